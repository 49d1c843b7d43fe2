package jbxtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running in-memory Joe Sandbox: an httptest.Server on
// 127.0.0.1 serving a Handler under /api. Every state and record method of
// Handler is available on it.
type Server struct {
	*Handler
	ts        *httptest.Server
	closeOnce sync.Once
	conns     atomic.Int64
}

// NewServer starts a Server. t may be nil; when it is not, the server is
// closed by t.Cleanup. NewServer panics if the embedded contract cannot be
// loaded.
func NewServer(t testing.TB, opts ...Option) *Server {
	if t != nil {
		t.Helper()
	}
	h := NewHandler(opts...)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	s := &Server{Handler: h, ts: httptest.NewUnstartedServer(mux)}
	s.ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.ts.Start()
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// URL returns the base URL of the API, ending in "/api"; endpoints are
// URL()+"/v2/...".
func (s *Server) URL() string { return s.ts.URL + "/api" }

// Connections returns the number of connections the server has accepted,
// e.g. to check that a client keeps its connections alive.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Client returns an *http.Client suited to the server (the one of the
// underlying httptest.Server).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down, blocking until all requests have finished.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(s.ts.Close)
}

// Handler is the bare http.Handler of the fake Joe Sandbox. It serves the
// endpoints below any path prefix that ends in "/api" (or paths that start
// with "/v2/", when mounted with http.StripPrefix). It is safe for
// concurrent use.
type Handler struct {
	cfg  config
	spec *spec

	mu          sync.Mutex
	seq         int
	reqs        []*Request
	viols       []Violation
	pathCount   map[string]int
	faults      []*faultState
	maintenance bool
	st          *state
}

// NewHandler returns a Handler configured by opts. It panics if the embedded
// contract cannot be loaded (a build problem, not a runtime condition).
func NewHandler(opts ...Option) *Handler {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	sp, err := loadSpec()
	if err != nil {
		panic("jbxtest: " + err.Error())
	}
	h := &Handler{cfg: cfg, spec: sp, pathCount: map[string]int{}}
	for _, r := range cfg.faults {
		h.faults = append(h.faults, &faultState{rule: normRule(r)})
	}
	h.st = newState(&h.cfg)
	return h
}

func normRule(r FaultRule) FaultRule {
	r.Path = normPath(r.Path)
	return r
}

// APIKey returns the API key the handler accepts. When it was configured
// with WithAPIKey(""), any non-empty key is accepted and APIKey returns
// DefaultAPIKey, which then works as well as any other.
func (h *Handler) APIKey() string {
	if h.cfg.apiKey == "" {
		return DefaultAPIKey
	}
	return h.cfg.apiKey
}

// Requests returns copies of the recorded requests, in arrival order.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Request, 0, len(h.reqs))
	for _, r := range h.reqs {
		out = append(out, copyRequest(r))
	}
	return out
}

// RequestsTo returns copies of the recorded requests to one endpoint
// ("/v2/analysis/info"; the "/v2" prefix may be left out), in arrival order.
func (h *Handler) RequestsTo(path string) []Request {
	path = normPath(path)
	var out []Request
	for _, r := range h.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Violations returns the contract violations recorded so far, in order.
func (h *Handler) Violations() []Violation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Violation(nil), h.viols...)
}

// ResetRecord forgets the recorded requests and violations (the state of
// submissions, analyses and machines is kept); Seq and the per-endpoint
// request counters of fault rules start again from 1.
func (h *Handler) ResetRecord() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs, h.viols, h.seq = nil, nil, 0
	h.pathCount = map[string]int{}
}

// AddFault installs one more fault rule.
func (h *Handler) AddFault(r FaultRule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, &faultState{rule: normRule(r)})
}

// SetMaintenance switches maintenance mode: while it is on, server/online
// answers {"online": false} and every other call fails with code 5 (HTTP 503).
func (h *Handler) SetMaintenance(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.maintenance = on
}

func copyRequest(r *Request) Request {
	c := *r
	c.Header = maps.Clone(r.Header)
	if r.Form != nil {
		c.Form = url.Values{}
		for k, v := range r.Form {
			c.Form[k] = append([]string(nil), v...)
		}
	}
	c.Files = maps.Clone(r.Files)
	return c
}

func (h *Handler) addViolation(seq int, path, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.viols = append(h.viols, Violation{Seq: seq, Path: path, Reason: reason})
}

// endpointPath maps the URL path to "/v2/...".
func endpointPath(p string) string {
	if strings.HasPrefix(p, "/v2/") {
		return p
	}
	if i := strings.Index(p, "/api/"); i >= 0 {
		return p[i+len("/api"):]
	}
	return p
}

// upload is one received file part.
type upload struct {
	FilePart
	md5, sha1 string
	data      []byte // nil when not kept
	kept      bool
}

// call is the context of one request.
type call struct {
	h     *Handler
	r     *http.Request
	rec   *Request
	path  string
	form  url.Values
	files map[string]*upload
	ct    string
	code  int
}

// rawResp is a JSON answer written as it is (not wrapped in "data").
type rawResp struct{ v any }

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := endpointPath(r.URL.Path)
	ct, _ := mediaType(r.Header.Get("Content-Type"))
	rec := &Request{Method: r.Method, Path: path, ContentType: ct, Header: r.Header.Clone()}

	h.mu.Lock()
	h.seq++
	rec.Seq = h.seq
	h.reqs = append(h.reqs, rec)
	fault := h.pickFault(path)
	h.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w}
	c := &call{h: h, r: r, rec: rec, path: path, ct: ct}
	dropped := false
	defer func() {
		h.mu.Lock()
		rec.Status = sw.status
		rec.ErrorCode = c.code
		h.mu.Unlock()
		if h.cfg.logger != nil {
			attrs := []any{"seq", rec.Seq, "method", r.Method, "path", path, "status", sw.status,
				"bytes", sw.bytes, "duration", time.Since(start).Round(time.Microsecond)}
			if c.code != 0 {
				attrs = append(attrs, "code", c.code)
			}
			if fault != nil {
				attrs = append(attrs, "fault", fault.Kind.String())
			}
			if dropped {
				attrs = append(attrs, "dropped", true)
			}
			h.cfg.logger.Info("jbxtest request", attrs...)
		}
	}()

	var out http.ResponseWriter = sw
	if fault != nil {
		switch fault.Kind {
		case FaultDelay:
			select {
			case <-time.After(fault.Delay):
			case <-r.Context().Done():
				return
			}
		case FaultStatus:
			c.code = 6
			writeFaultStatus(sw, *fault)
			return
		case FaultTooManyRequests:
			c.code = 1
			writeFault429(sw, *fault)
			return
		case FaultHTML:
			writeFaultHTML(sw, *fault)
			return
		case FaultDropConnection:
			dropped = true
			dropConnection(w)
			return
		case FaultDropMidRequest:
			dropped = true
			dropMidRequest(w, r, fault.Bytes)
			return
		case FaultMaintenance:
			h.writeFaultMaintenance(sw, c)
			return
		case FaultTruncateBody:
			out = &truncWriter{ResponseWriter: sw, limit: fault.Bytes}
		case FaultTrickle:
			step := int(fault.Bytes)
			if step <= 0 {
				step = 16
			}
			d := fault.Delay
			if d <= 0 {
				d = 10 * time.Millisecond
			}
			out = &trickleWriter{ResponseWriter: sw, step: step, delay: d, done: r.Context().Done()}
		}
	}

	op := h.spec.ops[path]
	resp, aerr := h.process(c, op)
	if aerr != nil {
		if aerr.violation {
			h.addViolation(rec.Seq, path, aerr.msg)
		}
		c.code = aerr.code
		h.writeError(out, c, op, aerr)
		return
	}
	switch v := resp.(type) {
	case *download:
		h.writeDownload(out, c, v)
	case rawResp:
		h.writeJSON(out, c, op, http.StatusOK, v.v)
	default:
		h.writeJSON(out, c, op, http.StatusOK, map[string]any{"data": v})
	}
}

// pickFault finds the first rule that fires for this request; h.mu is held.
func (h *Handler) pickFault(path string) *FaultRule {
	h.pathCount[path]++
	h.pathCount[""]++
	for _, f := range h.faults {
		if f.rule.Path != "" && f.rule.Path != path {
			continue
		}
		if f.matches(h.pathCount[f.rule.Path]) {
			f.fired++
			r := f.rule
			return &r
		}
	}
	return nil
}

func statusFor(code int) int {
	switch code {
	case 2, 3:
		return http.StatusBadRequest
	case 1, 4, 7:
		return http.StatusForbidden
	case 5:
		return http.StatusServiceUnavailable
	case 6:
		return http.StatusInternalServerError
	case 8:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

func errorBody(code int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": msg}}})
	return b
}

func writeRawError(w http.ResponseWriter, status, code int, msg string) {
	b := errorBody(code, msg)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (h *Handler) writeError(w http.ResponseWriter, c *call, op *operation, e *apiError) {
	status := e.status
	if status == 0 {
		status = statusFor(e.code)
	}
	h.writeJSON(w, c, op, status, map[string]any{"errors": []map[string]any{{"code": e.code, "message": e.msg}}})
}

func (h *Handler) writeJSON(w http.ResponseWriter, c *call, op *operation, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		c.code = 6
		b = errorBody(6, "Internal server error: "+err.Error())
	}
	if h.cfg.validateResp && op != nil {
		if err := validateResponse(c.r.Context(), op, status, b); err != nil {
			h.addViolation(c.rec.Seq, c.path, "response: "+firstLine(err.Error()))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

const (
	maxFormBytes  = 16 << 20
	maxFieldBytes = 1 << 20
)

// process parses, checks and dispatches one request.
func (h *Handler) process(c *call, op *operation) (any, *apiError) {
	r := c.r
	if r.Method != http.MethodPost {
		return nil, &apiError{code: 8, status: http.StatusMethodNotAllowed, violation: true,
			msg: fmt.Sprintf("Unknown endpoint: %s %s (every call is a POST).", r.Method, c.path)}
	}
	if op == nil {
		return nil, &apiError{code: 8, msg: "Unknown endpoint.", violation: true}
	}
	if h.cfg.oldServer && c.path == pathJoelabUploadChunked {
		return nil, &apiError{code: 8, msg: "Unknown endpoint."}
	}
	var rawForm []byte
	switch c.ct {
	case ctForm, "":
		b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
		if err != nil {
			return nil, &apiError{code: 3, msg: "Could not read the request body: " + err.Error()}
		}
		if len(b) > maxFormBytes {
			return nil, &apiError{code: 3, msg: "Request body too large.", violation: true}
		}
		f, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, &apiError{code: 3, msg: "Malformed form body: " + err.Error(), violation: true}
		}
		c.form, rawForm = f, b
		if c.ct == "" && len(b) > 0 {
			h.addViolation(c.rec.Seq, c.path, "request body without Content-Type")
		}
	case ctMultipart:
		if err := c.parseMultipart(op); err != nil {
			return nil, err
		}
	default:
		return nil, &apiError{code: 3, violation: true, msg: fmt.Sprintf("Unsupported Content-Type %q.", c.ct)}
	}
	h.mu.Lock()
	c.rec.Form = url.Values{}
	for k, v := range c.form {
		c.rec.Form[k] = append([]string(nil), v...)
	}
	if len(c.files) > 0 {
		c.rec.Files = map[string]FilePart{}
		for k, f := range c.files {
			c.rec.Files[k] = f.FilePart
		}
	}
	maint := h.maintenance
	h.mu.Unlock()

	if maint {
		if c.path == pathServerOnline {
			return map[string]any{"online": false}, nil
		}
		return nil, &apiError{code: 5, msg: "The server is in maintenance mode. Please try again later."}
	}

	// The API key: a missing one is a contract violation (code 2), a wrong
	// one is code 4.
	if keys, ok := c.form["apikey"]; ok && len(keys) == 1 && keys[0] != "" {
		if h.cfg.apiKey != "" && keys[0] != h.cfg.apiKey {
			return nil, &apiError{code: 4, msg: "Invalid API key."}
		}
	}

	// The contract.
	b := op.bodies[c.ct]
	if c.ct == "" {
		b = op.bodies[ctForm]
	}
	if b == nil && c.ct == ctMultipart {
		// Real servers accept multipart everywhere; the contract does not.
		h.addViolation(c.rec.Seq, c.path, "multipart/form-data is not a declared content type of this endpoint")
		b = op.bodies[ctForm]
	}
	if b == nil {
		return nil, &apiError{code: 3, violation: true,
			msg: fmt.Sprintf("This endpoint needs a multipart/form-data body, not %s.", orNone(c.ct))}
	}
	files := map[string]FilePart{}
	for k, f := range c.files {
		files[k] = f.FilePart
	}
	obj, aerr := checkFields(b, c.form, files)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := validateObject(b, obj); aerr != nil {
		return nil, aerr
	}
	if rawForm != nil && c.ct == ctForm && len(b.schema.AllOf) == 0 {
		// kin-openapi's urlencoded decoder cannot decode a top-level allOf
		// ("unsupported schema of request body"); those bodies were fully
		// checked by validateObject above.
		if aerr := validateURLEncoded(r.Context(), op, rawForm); aerr != nil {
			return nil, aerr
		}
	}
	fn := endpoints[c.path]
	if fn == nil {
		return nil, &apiError{code: 8, msg: "Unknown endpoint."}
	}
	return fn(h, c)
}

func orNone(s string) string {
	if s == "" {
		return "no Content-Type"
	}
	return s
}

// parseMultipart reads a multipart body, streaming file parts through the
// hashes and keeping their bytes only up to the keep limit.
func (c *call) parseMultipart(op *operation) *apiError {
	mr, err := c.r.MultipartReader()
	if err != nil {
		return &apiError{code: 3, msg: "Malformed multipart body: " + err.Error(), violation: true}
	}
	b := op.bodies[ctMultipart]
	c.form = url.Values{}
	c.files = map[string]*upload{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &apiError{code: 3, msg: "Malformed multipart body: " + err.Error(), violation: true}
		}
		name := p.FormName()
		if name == "" {
			_ = p.Close()
			continue
		}
		isFile := p.FileName() != "" || (b != nil && b.isFile(name))
		if !isFile {
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			_ = p.Close()
			if err != nil {
				return &apiError{code: 3, msg: "Malformed multipart body: " + err.Error(), violation: true}
			}
			if len(v) > maxFieldBytes {
				return &apiError{code: 3, msg: fmt.Sprintf("Field %s too large.", name), violation: true}
			}
			c.form[name] = append(c.form[name], string(v))
			continue
		}
		if _, dup := c.files[name]; dup {
			_ = p.Close()
			return &apiError{code: 3, msg: fmt.Sprintf("Invalid parameter %s: given more than once.", name), violation: true}
		}
		u, err := readUpload(p, c.h.cfg.keepThreshold)
		_ = p.Close()
		if err != nil {
			return &apiError{code: 3, msg: "Malformed multipart body: " + err.Error(), violation: true}
		}
		c.files[name] = u
	}
	return nil
}

func readUpload(p *multipart.Part, keep int64) (*upload, error) {
	hs := newHashes()
	var buf bytes.Buffer
	kept := true
	n, err := copyChunks(p, func(b []byte) {
		hs.write(b)
		if kept {
			if int64(buf.Len()+len(b)) > keep {
				kept = false
				buf = bytes.Buffer{}
			} else {
				buf.Write(b)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	u := &upload{FilePart: FilePart{Filename: p.FileName(), Size: n, SHA256: hs.sha256()}, md5: hs.md5(), sha1: hs.sha1(), kept: kept}
	if kept {
		u.data = buf.Bytes()
		if u.data == nil {
			u.data = []byte{}
		}
	}
	return u, nil
}

func copyChunks(r io.Reader, f func([]byte)) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			f(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

type hashes struct{ m, s1, s256 hash.Hash }

func newHashes() *hashes { return &hashes{md5.New(), sha1.New(), sha256.New()} }

func (h *hashes) write(b []byte) {
	h.m.Write(b)
	h.s1.Write(b)
	h.s256.Write(b)
}
func (h *hashes) md5() string    { return hex.EncodeToString(h.m.Sum(nil)) }
func (h *hashes) sha1() string   { return hex.EncodeToString(h.s1.Sum(nil)) }
func (h *hashes) sha256() string { return hex.EncodeToString(h.s256.Sum(nil)) }

var _ = context.Background
var _ = slog.Default
