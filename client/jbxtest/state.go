package jbxtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/jbx-go/jbxapi/gen"
)

// subject kinds
const (
	kindFile       = "file"
	kindURL        = "url"
	kindSampleURL  = "sample-url"
	kindCommand    = "command-line"
	kindCookbook   = "cookbook"
	defaultCookbok = "defaultwindowsofficecookbook.jbs"
)

// blob is a sample or cookbook as the server keeps it.
type blob struct {
	name              string
	size              int64
	md5, sha1, sha256 string
	data              []byte // nil when not kept
	kept              bool
}

func blobFromUpload(u *upload) *blob {
	return &blob{name: u.Filename, size: u.Size, md5: u.md5, sha1: u.sha1, sha256: u.SHA256, data: u.data, kept: u.kept}
}

func blobFromBytes(name string, b []byte) *blob {
	hs := newHashes()
	hs.write(b)
	return &blob{name: name, size: int64(len(b)), md5: hs.md5(), sha1: hs.sha1(), sha256: hs.sha256(), data: b, kept: true}
}

type submission struct {
	id       string
	num      int
	name     string
	created  time.Time
	kind     string
	subject  string // URL / command line for non-file subjects
	sample   *blob
	cookbook *blob
	systems  []string
	tags     []string
	comments string
	password string
	pending  bool         // chunked, not complete
	chunks   *chunkUpload // chunked upload in progress
	analyses []string     // webids
	seeded   bool
}

type analysis struct {
	webid      string
	num        int
	analysisid string
	sub        *submission
	system     string
	start      time.Time
	dur        time.Duration
}

type state struct {
	cfg         *config
	nextSub     int
	nextWeb     int
	nextAID     int
	subs        map[string]*submission
	subOrder    []*submission
	analyses    map[string]*analysis
	anaOrder    []*analysis
	quotaByDay  map[string]int
	quotaByMon  map[string]int
	machines    map[string]*machine
	machineList []string
}

func newState(cfg *config) *state {
	st := &state{cfg: cfg, nextSub: 100, nextWeb: 1000, nextAID: 500,
		subs: map[string]*submission{}, analyses: map[string]*analysis{},
		quotaByDay: map[string]int{}, quotaByMon: map[string]int{}, machines: map[string]*machine{}}
	for _, id := range cfg.machines {
		if _, dup := st.machines[id]; dup || id == "" {
			continue
		}
		st.machines[id] = newMachine(id, cfg.clock.Now())
		st.machineList = append(st.machineList, id)
	}
	return st
}

func (st *state) now() time.Time { return st.cfg.clock.Now() }

func (st *state) newSubmission() *submission {
	st.nextSub++
	s := &submission{id: strconv.Itoa(st.nextSub), num: st.nextSub, created: st.now()}
	st.subs[s.id] = s
	st.subOrder = append(st.subOrder, s)
	return s
}

// start creates the analyses of a complete submission.
func (st *state) start(s *submission, dur time.Duration) {
	s.pending = false
	systems := s.systems
	if len(systems) == 0 {
		systems = []string{DefaultSystem}
	}
	for _, sys := range systems {
		st.nextWeb++
		st.nextAID++
		a := &analysis{webid: strconv.Itoa(st.nextWeb), num: st.nextWeb, analysisid: strconv.Itoa(st.nextAID),
			sub: s, system: sys, start: st.now(), dur: dur}
		st.analyses[a.webid] = a
		st.anaOrder = append(st.anaOrder, a)
		s.analyses = append(s.analyses, a.webid)
	}
}

// unstart removes the analyses of a submission (a chunked submission that
// was provisionally started as a 0-byte sample and then got a chunk).
func (st *state) unstart(s *submission) {
	for _, w := range s.analyses {
		st.removeAnalysis(w)
	}
	s.analyses = nil
	s.pending = true
}

func (st *state) removeAnalysis(webid string) {
	a := st.analyses[webid]
	if a == nil {
		return
	}
	delete(st.analyses, webid)
	st.anaOrder = removeOrdered(st.anaOrder, a, func(x *analysis) int { return x.num })
	s := a.sub
	for i, w := range s.analyses {
		if w == webid {
			s.analyses = append(s.analyses[:i:i], s.analyses[i+1:]...)
			break
		}
	}
}

func (st *state) removeSubmission(s *submission) {
	for _, w := range append([]string(nil), s.analyses...) {
		st.removeAnalysis(w)
	}
	delete(st.subs, s.id)
	st.subOrder = removeOrdered(st.subOrder, s, func(x *submission) int { return x.num })
}

var statusRank = map[gen.Status]int{"submitted": 0, "running": 1, "finished": 2}

func (a *analysis) status(now time.Time) gen.Status {
	el := now.Sub(a.start)
	switch {
	case el >= a.dur:
		return "finished"
	case el >= a.dur/4:
		return "running"
	default:
		return "submitted"
	}
}

// subjectHash is the SHA-256 the verdict is derived from.
func (s *submission) subjectHash() string {
	switch {
	case s.sample != nil:
		return s.sample.sha256
	case s.kind == kindCookbook && s.cookbook != nil:
		return s.cookbook.sha256
	}
	sum := sha256.Sum256([]byte(s.subject))
	return hex.EncodeToString(sum[:])
}

// verdict derives detection and score from a SHA-256 in hex.
func verdict(sha string) (gen.Detection, int) {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) == 0 {
		return "unknown", 0
	}
	score := int(b[0]) * 101 / 256
	switch {
	case score < 30:
		return "clean", score
	case score < 70:
		return "suspicious", score
	}
	return "malicious", score
}

func (s *submission) filename() string {
	switch {
	case s.sample != nil:
		return s.sample.name
	case s.kind == kindCookbook && s.cookbook != nil:
		return s.cookbook.name
	}
	return s.subject
}

func (s *submission) scriptname() string {
	if s.cookbook != nil && s.cookbook.name != "" {
		return s.cookbook.name
	}
	return defaultCookbok
}

func ptr[T any](v T) *T { return &v }

// gen builds the analysis object as analysis/info shows it.
func (a *analysis) gen(now time.Time) gen.Analysis {
	s := a.sub
	st := a.status(now)
	det, score := gen.Detection("unknown"), 0
	if st == "finished" {
		det, score = verdict(s.subjectHash())
	}
	threat := ""
	if det == "malicious" {
		threat = "Trojan.Generic"
	}
	created := a.start.UTC().Truncate(time.Second)
	out := gen.Analysis{
		Webid:                a.webid,
		Status:               st,
		Detection:            ptr(det),
		Score:                ptr(score),
		Time:                 &created,
		Filename:             ptr(s.filename()),
		Scriptname:           ptr(s.scriptname()),
		Comments:             ptr(s.comments),
		Encrypted:            ptr(s.password != ""),
		Classification:       ptr(""),
		Threatname:           ptr(threat),
		HasMalwareconfig:     ptr(false),
		AdditionalProperties: map[string]any{},
	}
	if len(s.tags) > 0 {
		out.Tags = append([]string(nil), s.tags...)
	} else {
		out.AdditionalProperties["tags"] = []string{}
	}
	if b := s.sample; b != nil {
		out.MD5, out.SHA1, out.SHA256 = ptr(b.md5), ptr(b.sha1), ptr(b.sha256)
	} else if s.kind == kindCookbook && s.cookbook != nil {
		out.MD5, out.SHA1, out.SHA256 = ptr(s.cookbook.md5), ptr(s.cookbook.sha1), ptr(s.cookbook.sha256)
	}
	if st == "finished" {
		out.AnalysisID = ptr(a.analysisid)
		out.Duration = ptr(int(a.dur / time.Second))
	}
	b := hashByte(s.subjectHash(), 1)
	out.Runs = []gen.AnalysisRun{{
		System:               a.system,
		Detection:            det,
		Score:                ptr(score),
		Yara:                 ptr(st == "finished" && b&1 != 0),
		Sigma:                ptr(st == "finished" && b&2 != 0),
		Suricata:             ptr(st == "finished" && b&4 != 0),
		AdditionalProperties: map[string]any{"error": nil},
	}}
	return out
}

func hashByte(sha string, i int) byte {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) <= i {
		return 0
	}
	return b[i]
}

// gen builds the submission object as submission/info shows it.
func (s *submission) gen(st *state, now time.Time) gen.Submission {
	created := s.created.UTC().Truncate(time.Second)
	out := gen.Submission{
		SubmissionID:         s.id,
		Name:                 ptr(s.filename()),
		Status:               "submitted",
		Time:                 &created,
		Analyses:             []gen.Analysis{},
		AdditionalProperties: map[string]any{},
	}
	least := -1
	var best *gen.Analysis
	for _, w := range s.analyses {
		a := st.analyses[w]
		if a == nil {
			continue
		}
		g := a.gen(now)
		out.Analyses = append(out.Analyses, g)
		if r := statusRank[g.Status]; least < 0 || r < least {
			least = r
			out.Status = g.Status
		}
		if best == nil || *g.Score > *best.Score {
			gg := g
			best = &gg
		}
	}
	if best == nil {
		out.AdditionalProperties["most_relevant_analysis"] = nil
	} else {
		out.MostRelevantAnalysis = &gen.MostRelevantAnalysis{Webid: best.Webid, Detection: best.Detection, Score: best.Score}
	}
	return out
}

// quota bookkeeping: h.mu is held.
func (st *state) quotaKeys() (day, month string) {
	n := st.now().UTC()
	return n.Format("2006-01-02"), n.Format("2006-01")
}

func (st *state) quotaUsed() (day, month int) {
	d, m := st.quotaKeys()
	return st.quotaByDay[d], st.quotaByMon[m]
}

func (st *state) chargeQuota() *apiError {
	d, m := st.quotaKeys()
	if st.cfg.quota >= 0 && st.quotaByDay[d] >= st.cfg.quota {
		return &apiError{code: 1, status: 429, msg: fmt.Sprintf(
			"Submission failed: the number of allowed submissions (%d) per day have been reached.", st.cfg.quota)}
	}
	st.quotaByDay[d]++
	st.quotaByMon[m]++
	return nil
}

// removeOrdered removes x from list, which is kept in ascending order of
// num (items are appended as they are numbered), in place. The slice is
// never shared outside the handler's lock, so no copy is needed.
func removeOrdered[T comparable](list []T, x T, num func(T) int) []T {
	n := num(x)
	i := sort.Search(len(list), func(i int) bool { return num(list[i]) >= n })
	if i < len(list) && list[i] == x {
		return slices.Delete(list, i, i+1)
	}
	if i = slices.Index(list, x); i >= 0 { // not where the order puts it: look everywhere
		return slices.Delete(list, i, i+1)
	}
	return list
}
