package jbxtest

import (
	"fmt"
	"sort"

	"github.com/jbx-go/jbxapi/gen"
)

func sortStrings(s []string) { sort.Strings(s) }

// Submission returns a submission as submission/info would show it now.
func (h *Handler) Submission(id string) (gen.Submission, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.st.subs[id]
	if s == nil {
		return gen.Submission{}, false
	}
	return s.gen(h.st, h.st.now()), true
}

// Analysis returns an analysis as analysis/info would show it now.
func (h *Handler) Analysis(webid string) (gen.Analysis, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.st.analyses[webid]
	if a == nil {
		return gen.Analysis{}, false
	}
	return a.gen(h.st.now()), true
}

// SubmissionCount returns the number of submissions the server holds
// (pending chunked ones included, deleted ones not).
func (h *Handler) SubmissionCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.st.subs)
}

// AnalysisCount returns the number of analyses the server holds.
func (h *Handler) AnalysisCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.st.analyses)
}

// Upload returns the sample of an analysis as the server received it: its
// summary (file name, size, SHA-256) and its bytes. data is nil when the
// sample was larger than the keep limit (see WithSampleKeepLimit); ok is
// false for an unknown webid or an analysis without a sample (URL, command
// line, cookbook only).
func (h *Handler) Upload(webid string) (part FilePart, data []byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.st.analyses[webid]
	if a == nil || a.sub.sample == nil {
		return FilePart{}, nil, false
	}
	b := a.sub.sample
	return FilePart{Filename: b.name, Size: b.size, SHA256: b.sha256}, b.data, true
}

// SeedAnalyses creates n submissions of one finished analysis each (file
// samples with deterministic content; no quota is charged) and returns their
// webids, oldest first.
func (h *Handler) SeedAnalyses(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, n)
	for i := range n {
		s := h.st.newSubmission()
		s.kind = kindFile
		s.seeded = true
		s.sample = blobFromBytes(fmt.Sprintf("seed-%s.exe", s.id), fmt.Appendf(nil, "jbxtest seed sample %d/%d of submission %s", i+1, n, s.id))
		s.name = s.sample.name
		s.comments = "seeded by jbxtest"
		h.st.start(s, 0)
		out = append(out, s.analyses...)
	}
	return out
}

// JoelabFile returns the bytes of a file stored on a Joe Lab machine (by
// filesystem/upload or a completed upload-chunked).
func (h *Handler) JoelabFile(machine, path string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.st.machines[machine]
	if m == nil {
		return nil, false
	}
	b := m.files[path]
	if b == nil || !b.kept {
		return nil, false
	}
	return append([]byte(nil), b.data...), true
}

// JoelabRecording reports whether a PCAP recording is running on a machine.
func (h *Handler) JoelabRecording(machine string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.st.machines[machine]
	return m != nil && m.recording
}
