package jbxtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jbx-go/jbxapi/gen"
)

const (
	pathServerOnline        = "/v2/server/online"
	pathJoelabUploadChunked = "/v2/joelab/filesystem/upload-chunked"
)

type endpointFunc func(h *Handler, c *call) (any, *apiError)

var endpoints map[string]endpointFunc

func init() {
	endpoints = map[string]endpointFunc{
		"/v2/server/online":                    epServerOnline,
		"/v2/server/info":                      epServerInfo,
		"/v2/server/systems":                   epServerSystems,
		"/v2/server/lia_countries":             epLiaCountries,
		"/v2/server/languages_and_locales":     epLanguages,
		"/v2/account/info":                     epAccountInfo,
		"/v2/submission/new":                   epSubmissionNew,
		"/v2/submission/chunked-sample":        epSubmissionChunk,
		"/v2/submission/info":                  epSubmissionInfo,
		"/v2/submission/delete":                epSubmissionDelete,
		"/v2/submission/list":                  epSubmissionList,
		"/v2/analysis/list":                    epAnalysisList,
		"/v2/analysis/info":                    epAnalysisInfo,
		"/v2/analysis/delete":                  epAnalysisDelete,
		"/v2/analysis/search":                  epAnalysisSearch,
		"/v2/analysis/download":                epAnalysisDownload,
		"/v2/joelab/machine/info":              machineEndpoint(false, epJoelabMachineInfo),
		"/v2/joelab/images/list":               machineEndpoint(false, epJoelabImagesList),
		"/v2/joelab/images/capture":            machineEndpoint(true, epJoelabImagesCapture),
		"/v2/joelab/images/reset":              machineEndpoint(true, epJoelabImagesReset),
		"/v2/joelab/filesystem/upload":         machineEndpoint(true, epJoelabUpload),
		"/v2/joelab/filesystem/upload-chunked": machineEndpoint(true, epJoelabUploadChunked),
		"/v2/joelab/filesystem/download":       machineEndpoint(false, epJoelabDownload),
		"/v2/joelab/network/info":              machineEndpoint(false, epJoelabNetworkInfo),
		"/v2/joelab/network/update":            machineEndpoint(true, epJoelabNetworkUpdate),
		"/v2/joelab/pcap/start":                machineEndpoint(true, epJoelabPcapStart),
		"/v2/joelab/pcap/stop":                 machineEndpoint(true, epJoelabPcapStop),
		"/v2/joelab/pcap/download":             machineEndpoint(false, epJoelabPcapDownload),
		"/v2/joelab/internet-exitpoints/list":  epJoelabExitpoints,
	}
}

var errTerms = &apiError{code: 1, msg: "You have to agree to the Terms and Conditions!"}

// needTerms enforces accept-tac=1 in Cloud mode.
func (h *Handler) needTerms(c *call) *apiError {
	if h.cfg.mode == ModeCloud && c.form.Get("accept-tac") != "1" {
		return errTerms
	}
	return nil
}

func errUnknownID(field, id string) *apiError {
	return &apiError{code: 3, msg: fmt.Sprintf("Invalid parameter %s: %q does not exist.", field, id)}
}

// --- server and account ---

func epServerOnline(h *Handler, c *call) (any, *apiError) {
	return gen.ServerOnline{Online: true}, nil
}

func epServerInfo(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.st.now()
	q := 0
	for _, a := range h.st.anaOrder {
		if a.status(now) != "finished" {
			q++
		}
	}
	return map[string]any{"queuesize": q, "version": "jbxtest", "apiversion": 2}, nil
}

var systemsList = []gen.System{
	{Name: "w10x64_21h1_office", Description: ptr("Windows 10 64 bit (version 21H1), Office 2019, Chrome 106, Firefox 105, Adobe Reader DC 22"), Arch: ptr("WINDOWS"), Count: ptr(12)},
	{Name: "w11x64_office", Description: ptr("Windows 11 64 bit, Office 2021, Chrome 120, Edge 120"), Arch: ptr("WINDOWS"), Count: ptr(6)},
	{Name: "w7x64_office", Description: ptr("Windows 7 64 bit, Office 2010 SP2, <b>Java 8</b>, Adobe Reader DC 19"), Arch: ptr("WINDOWS"), Count: ptr(4)},
	{Name: "android13", Description: ptr("Android 13 (API 33), Chrome 116"), Arch: ptr("ANDROID"), Count: ptr(2)},
	{Name: "ubuntu22", Description: ptr("Ubuntu Linux 22.04 LTS, 64 bit"), Arch: ptr("LINUX"), Count: ptr(3)},
	{Name: "macos13", Description: ptr("macOS Ventura 13.4, Apple Silicon"), Arch: ptr("MAC"), Count: ptr(1)},
}

func epServerSystems(h *Handler, c *call) (any, *apiError) { return systemsList, nil }

var liaCountries = []string{"Argentina", "Australia", "Brazil", "Canada", "France", "Germany", "India", "Italy",
	"Japan", "Netherlands", "Russia", "Singapore", "Spain", "Sweden", "Switzerland", "United Kingdom", "United States"}

var languages = []string{"English - United States", "English - United Kingdom", "German - Germany", "German - Switzerland",
	"French - France", "Italian - Italy", "Spanish - Spain", "Japanese - Japan", "Russian - Russia", "Chinese - China"}

func named(xs []string) []gen.NamedItem {
	out := make([]gen.NamedItem, len(xs))
	for i, x := range xs {
		out[i] = gen.NamedItem{Name: x}
	}
	return out
}

func epLiaCountries(h *Handler, c *call) (any, *apiError) { return named(liaCountries), nil }
func epLanguages(h *Handler, c *call) (any, *apiError)    { return named(languages), nil }

func epAccountInfo(h *Handler, c *call) (any, *apiError) {
	if h.cfg.mode == ModeOnPremise {
		return nil, &apiError{code: 8, msg: "Unknown endpoint."}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d, m := h.st.quotaUsed()
	lim := h.cfg.quota
	mlim := lim * 30
	return gen.AccountInfo{
		Type: ptr("ultimate"),
		Quota: &gen.AccountInfo_Quota{
			Daily:   &gen.QuotaCounter{Current: ptr(d), Limit: ptr(lim), Remaining: ptr(max(lim-d, 0))},
			Monthly: &gen.QuotaCounter{Current: ptr(m), Limit: ptr(mlim), Remaining: ptr(max(mlim-m, 0))},
		},
	}, nil
}

// --- submissions ---

var cloudOnlyParams = []string{"delete-after-days", "proxy-mode-config", "url-reputation"}

func epSubmissionNew(h *Handler, c *call) (any, *apiError) {
	if e := h.needTerms(c); e != nil {
		return nil, e
	}
	if h.cfg.mode == ModeOnPremise {
		for _, p := range cloudOnlyParams {
			if _, ok := c.form[p]; ok {
				return nil, &apiError{code: 3, msg: fmt.Sprintf("Unknown parameter %s.", p)}
			}
		}
	}
	if _, ok := c.form["chunked-sample"]; ok && h.cfg.oldServer {
		return nil, &apiError{code: 3, msg: "Unknown parameter chunked-sample."}
	}
	var subjects []string
	for _, k := range []string{"url", "sample-url", "command-line", "chunked-sample"} {
		if _, ok := c.form[k]; ok {
			subjects = append(subjects, k)
		}
	}
	if _, ok := c.files["sample"]; ok {
		subjects = append(subjects, "sample")
	}
	_, hasCookbook := c.files["cookbook"]
	if len(subjects) == 0 && !hasCookbook {
		return nil, &apiError{code: 2, violation: true, msg: "Missing parameter sample (or url, sample-url, command-line, chunked-sample, cookbook)."}
	}
	if len(subjects) > 1 {
		return nil, &apiError{code: 3, violation: true, msg: "Invalid parameters: give exactly one of " + strings.Join(subjects, ", ") + "."}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.st
	if e := st.chargeQuota(); e != nil {
		return nil, e
	}
	s := st.newSubmission()
	s.systems = append([]string(nil), c.form["systems[]"]...)
	s.tags = append([]string(nil), c.form["tags[]"]...)
	s.comments = c.form.Get("comments")
	s.password = c.form.Get("encrypt-with-password")
	if cb, ok := c.files["cookbook"]; ok {
		s.cookbook = blobFromUpload(cb)
	}
	kind := kindCookbook
	if len(subjects) == 1 {
		kind = subjects[0]
	}
	switch kind {
	case "sample":
		s.kind = kindFile
		s.sample = blobFromUpload(c.files["sample"])
	case "chunked-sample":
		// The file follows in chunks. A 0-byte file needs no chunk, so the
		// submission starts at once as a 0-byte sample; the first chunk
		// withdraws that start until the last chunk has arrived.
		s.kind = kindFile
		s.sample = blobFromBytes(c.form.Get("chunked-sample"), []byte{})
		s.chunks = &chunkUpload{name: c.form.Get("chunked-sample")}
	case kindCookbook:
		s.kind = kindCookbook
	default:
		s.kind = kind
		s.subject = c.form.Get(kind)
	}
	s.name = s.filename()
	st.start(s, h.cfg.analysisDur)
	return gen.SubmissionNewResult{SubmissionID: s.id}, nil
}

// submissionOf finds the submission the form's submission_id names; h.mu is
// held.
func (h *Handler) submissionOf(c *call) (*submission, *apiError) {
	id := c.form.Get("submission_id")
	s := h.st.subs[id]
	if s == nil {
		return nil, errUnknownID("submission_id", id)
	}
	return s, nil
}

// analysisOf finds the analysis the form's webid names; h.mu is held.
func (h *Handler) analysisOf(c *call) (*analysis, *apiError) {
	id := c.form.Get("webid")
	a := h.st.analyses[id]
	if a == nil {
		return nil, errUnknownID("webid", id)
	}
	return a, nil
}

func epSubmissionChunk(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.st
	s, e := h.submissionOf(c)
	if e != nil {
		return nil, e
	}
	if s.chunks == nil {
		return nil, &apiError{code: 3, violation: true, msg: fmt.Sprintf("Invalid parameter submission_id: submission %s was not announced with chunked-sample.", s.id)}
	}
	f := parseChunkFields(c)
	if !s.chunks.begun {
		// Not a 0-byte file after all: withdraw the provisional start and
		// wait for the last chunk. (Validate first, so that a wrong first
		// chunk changes nothing.)
		if e := s.chunks.check(f, c.files["chunk"]); e != nil {
			return nil, e
		}
		st.unstart(s)
	}
	complete, e := s.chunks.add(f, c.files["chunk"], h.cfg.keepThreshold)
	if e != nil {
		return nil, e
	}
	if complete && s.pending {
		s.sample = s.chunks.blob()
		st.start(s, h.cfg.analysisDur)
	}
	return map[string]any{"submission_id": s.id, "current-chunk-index": f.index}, nil
}

func epSubmissionInfo(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, e := h.submissionOf(c)
	if e != nil {
		return nil, e
	}
	return s.gen(h.st, h.st.now()), nil
}

func epSubmissionDelete(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, e := h.submissionOf(c)
	if e != nil {
		return nil, e
	}
	h.st.removeSubmission(s)
	return map[string]any{}, nil
}

func pageToken(kind string, num int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("jbxtest:%s:%d", kind, num)))
}

func parsePageToken(kind, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "jbxtest:"+kind+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// page selects a page of a list kept oldest first (num(i) grows with i)
// and served newest first: the items older than the token's item. It
// returns the index range [lo, hi), served from hi-1 down to lo, and the
// token of the next page ("" on the last). A binary search finds the
// token's place, so a page costs the same however long the list is.
func page(kind string, n int, num func(int) int, tok string, size int, paged bool) (lo, hi int, next string, e *apiError) {
	hi = n
	if tok != "" {
		after, ok := parsePageToken(kind, tok)
		if !ok {
			return 0, 0, "", &apiError{code: 3, msg: "Invalid parameter pagination_next."}
		}
		hi = sort.Search(n, func(i int) bool { return num(i) >= after })
	}
	if paged {
		lo = max(hi-size, 0)
		if lo > 0 {
			next = pageToken(kind, num(lo))
		}
	}
	return lo, hi, next, nil
}

func epSubmissionList(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, next, e := listPage(h, c, "s", h.st.subOrder, func(s *submission) int { return s.num }, true,
		func(num int) gen.SubmissionListItem { return gen.SubmissionListItem{SubmissionID: strconv.Itoa(num)} })
	if e != nil {
		return nil, e
	}
	return rawResp{gen.SubmissionListPage{Data: items, Pagination: next}}, nil
}

func epAnalysisList(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, next, e := listPage(h, c, "a", h.st.anaOrder, func(a *analysis) int { return a.num }, c.form.Get("pagination") == "1",
		func(num int) gen.AnalysisListItem { return gen.AnalysisListItem{Webid: strconv.Itoa(num)} })
	if e != nil {
		return nil, e
	}
	return rawResp{gen.AnalysisListPage{Data: items, Pagination: next}}, nil
}

// listPage serves the page the call asks for of a list kept oldest first
// (see page), newest first, each element as item makes it from its number.
// The caller holds h.mu.
func listPage[E, T any](h *Handler, c *call, kind string, order []E, num func(E) int, paged bool, item func(int) T) ([]T, *gen.Pagination, *apiError) {
	lo, hi, next, e := page(kind, len(order), func(i int) int { return num(order[i]) }, c.form.Get("pagination_next"), h.cfg.pageSize, paged)
	if e != nil {
		return nil, nil, e
	}
	items := make([]T, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		items = append(items, item(num(order[i])))
	}
	if next == "" {
		return items, nil, nil
	}
	return items, &gen.Pagination{Next: next}, nil
}

func epAnalysisInfo(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, e := h.analysisOf(c)
	if e != nil {
		return nil, e
	}
	return a.gen(h.st.now()), nil
}

func epAnalysisDelete(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, e := h.analysisOf(c)
	if e != nil {
		return nil, e
	}
	h.st.removeAnalysis(a.webid)
	return map[string]any{}, nil
}

func epAnalysisSearch(h *Handler, c *call) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := strings.ToLower(c.form.Get("q"))
	now := h.st.now()
	out := []gen.Analysis{}
	for i := len(h.st.anaOrder) - 1; i >= 0; i-- {
		a := h.st.anaOrder[i]
		s := a.sub
		fields := []string{s.filename(), s.comments, s.scriptname(), s.subject}
		if s.sample != nil {
			fields = append(fields, s.sample.md5, s.sample.sha1, s.sample.sha256)
		}
		if s.kind == kindCookbook && s.cookbook != nil {
			fields = append(fields, s.cookbook.md5, s.cookbook.sha1, s.cookbook.sha256)
		}
		match := a.webid == q || a.analysisid == q && a.status(now) == "finished"
		for _, f := range fields {
			if f != "" && strings.Contains(strings.ToLower(f), q) {
				match = true
				break
			}
		}
		if match {
			out = append(out, a.gen(now))
		}
	}
	return out, nil
}

// --- chunked uploads (samples and Joe Lab files) ---

type chunkFields struct {
	fileSize, chunkSize, curSize int64
	count, index                 int
}

func parseChunkFields(c *call) chunkFields {
	i64 := func(k string) int64 { n, _ := strconv.ParseInt(c.form.Get(k), 10, 64); return n }
	return chunkFields{
		fileSize: i64("file-size"), chunkSize: i64("chunk-size"), curSize: i64("current-chunk-size"),
		count: int(i64("chunk-count")), index: int(i64("current-chunk-index")),
	}
}

// chunkUpload assembles a file from chunks, checking every chunk.
type chunkUpload struct {
	name  string
	begun bool
	f     chunkFields // file-size, chunk-size, chunk-count of the first chunk
	next  int         // next expected index
	sums  []string    // sha256 of each received chunk
	hs    *hashes
	buf   bytes.Buffer
	kept  bool
	size  int64
}

func chunkErr(field, format string, args ...any) *apiError {
	return &apiError{code: 3, violation: true, msg: fmt.Sprintf("Invalid parameter %s: %s.", field, fmt.Sprintf(format, args...))}
}

// check validates a chunk without changing anything.
func (u *chunkUpload) check(f chunkFields, part *upload) *apiError {
	if part == nil {
		return errMissing("chunk")
	}
	want := int64(0)
	if f.chunkSize > 0 {
		want = (f.fileSize + f.chunkSize - 1) / f.chunkSize
	}
	if int64(f.count) != want {
		return chunkErr("chunk-count", "must be ceil(file-size / chunk-size) = %d, not %d", want, f.count)
	}
	if u.begun {
		if f.fileSize != u.f.fileSize {
			return chunkErr("file-size", "changed between chunks (was %d, now %d)", u.f.fileSize, f.fileSize)
		}
		if f.chunkSize != u.f.chunkSize {
			return chunkErr("chunk-size", "changed between chunks (was %d, now %d)", u.f.chunkSize, f.chunkSize)
		}
	}
	if f.index < 1 || f.index > f.count {
		return chunkErr("current-chunk-index", "must be between 1 and chunk-count (%d), not %d", f.count, f.index)
	}
	exp := f.chunkSize
	if f.index == f.count {
		exp = f.fileSize - int64(f.count-1)*f.chunkSize
	}
	if f.curSize != exp {
		return chunkErr("current-chunk-size", "chunk %d of %d must be %d bytes, not %d", f.index, f.count, exp, f.curSize)
	}
	if part.Size != f.curSize {
		return chunkErr("chunk", "%d bytes received but current-chunk-size is %d", part.Size, f.curSize)
	}
	next := 1
	if u.begun {
		next = u.next
	}
	if f.index < next {
		if u.sums[f.index-1] != part.SHA256 {
			return chunkErr("chunk", "chunk %d was already received with different content", f.index)
		}
		return nil
	}
	if f.index > next {
		return chunkErr("current-chunk-index", "expected chunk %d, not %d", next, f.index)
	}
	if part.data == nil {
		return chunkErr("chunk", "chunk too large for jbxtest to keep")
	}
	return nil
}

// add checks and stores a chunk; complete reports whether the file is whole.
func (u *chunkUpload) add(f chunkFields, part *upload, keep int64) (complete bool, e *apiError) {
	if e := u.check(f, part); e != nil {
		return false, e
	}
	if !u.begun {
		u.begun, u.f, u.next, u.hs, u.kept = true, f, 1, newHashes(), f.fileSize <= keep
	}
	if f.index < u.next { // an idempotent re-send
		return u.next > u.f.count, nil
	}
	u.hs.write(part.data)
	if u.kept {
		u.buf.Write(part.data)
	}
	u.size += part.Size
	u.sums = append(u.sums, part.SHA256)
	u.next++
	return u.next > u.f.count, nil
}

func (u *chunkUpload) blob() *blob {
	b := &blob{name: u.name, size: u.size, md5: u.hs.md5(), sha1: u.hs.sha1(), sha256: u.hs.sha256(), kept: u.kept}
	if u.kept {
		b.data = slices.Clone(u.buf.Bytes())
		if b.data == nil {
			b.data = []byte{}
		}
	}
	return b
}
