package jbxtest

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what a FaultRule does to a request.
type FaultKind int

const (
	// FaultDelay waits Delay before handling the request normally.
	FaultDelay FaultKind = iota + 1
	// FaultStatus answers Status (default 500) with the JSON error
	// {"errors":[{"code":6,"message":"Internal server error."}]}.
	FaultStatus
	// FaultTooManyRequests answers 429 with a Retry-After header of
	// RetryAfter rounded up to whole seconds (default 1) and the JSON error
	// {"errors":[{"code":1,"message":"Too many requests. Please retry later."}]}.
	FaultTooManyRequests
	// FaultHTML answers Status (default 502) with an HTML error page
	// (Content-Type text/html), as a proxy in front of the server would.
	FaultHTML
	// FaultDropConnection closes the connection before any response is sent.
	FaultDropConnection
	// FaultTruncateBody handles the request normally but sends only the first
	// Bytes bytes of the body (the full Content-Length is announced), then
	// closes the connection.
	FaultTruncateBody
	// FaultTrickle handles the request normally but sends the body slowly:
	// Bytes bytes at a time (default 16), with Delay between writes (default
	// 10ms).
	FaultTrickle
	// FaultDropMidRequest reads the first Bytes bytes of the request body
	// (default 1; fewer when the body is shorter), then closes the
	// connection without answering: a connection lost in the middle of an
	// upload. The request is not processed.
	FaultDropMidRequest
	// FaultMaintenance answers as the server does in maintenance mode (see
	// Handler.SetMaintenance) without reading the request: server/online
	// gets {"online": false}, every other endpoint code 5 with HTTP 503.
	// With OnRequest and Times it makes a maintenance window that ends by
	// itself.
	FaultMaintenance
)

func (k FaultKind) String() string {
	switch k {
	case FaultDelay:
		return "delay"
	case FaultStatus:
		return "status"
	case FaultTooManyRequests:
		return "too-many-requests"
	case FaultHTML:
		return "html"
	case FaultDropConnection:
		return "drop-connection"
	case FaultTruncateBody:
		return "truncate-body"
	case FaultTrickle:
		return "trickle"
	case FaultDropMidRequest:
		return "drop-mid-request"
	case FaultMaintenance:
		return "maintenance"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// FaultRule injects a fault into matching requests, deterministically.
//
// A rule matches a request when Path is "" or names the request's endpoint
// ("/v2/analysis/download"; the "/v2" prefix may be left out), counted by
// endpoint (or over all requests when Path is ""). With OnRequest n > 0 it
// fires on the n-th matching request and, when Times > 1, on the Times-1
// following ones; with OnRequest 0 it fires on every matching request, at
// most Times times when Times > 0. Faults fire before anything else is
// checked (API key, contract), as a network or proxy fault would; the
// request is still recorded.
type FaultRule struct {
	Path       string
	OnRequest  int
	Times      int
	Kind       FaultKind
	Delay      time.Duration
	Status     int
	RetryAfter time.Duration
	Bytes      int64
}

type faultState struct {
	rule  FaultRule
	fired int
}

func normPath(p string) string {
	if p == "" {
		return ""
	}
	p = "/" + strings.TrimPrefix(p, "/")
	if !strings.HasPrefix(p, "/v2/") {
		p = "/v2" + p
	}
	return p
}

// matches reports whether the rule fires for a request that is the n-th to
// its scope, and counts the firing.
func (f *faultState) matches(n int) bool {
	r := f.rule
	if r.OnRequest > 0 {
		times := max(r.Times, 1)
		return n >= r.OnRequest && n < r.OnRequest+times
	}
	if r.Times > 0 && f.fired >= r.Times {
		return false
	}
	return true
}

func writeFaultStatus(w http.ResponseWriter, r FaultRule) {
	status := r.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeRawError(w, status, 6, "Internal server error.")
}

func writeFault429(w http.ResponseWriter, r FaultRule) {
	secs := int(math.Ceil(r.RetryAfter.Seconds()))
	if secs <= 0 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeRawError(w, http.StatusTooManyRequests, 1, "Too many requests. Please retry later.")
}

func writeFaultHTML(w http.ResponseWriter, r FaultRule) {
	status := r.Status
	if status == 0 {
		status = http.StatusBadGateway
	}
	body := fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n<body><h1>%d %s</h1><hr><center>nginx</center></body></html>\n",
		status, http.StatusText(status), status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// dropMidRequest reads up to n bytes of the request body (at least one),
// then drops the connection.
func dropMidRequest(w http.ResponseWriter, r *http.Request, n int64) {
	_, _ = io.CopyN(io.Discard, r.Body, max(n, 1))
	dropConnection(w)
}

// maintenanceMessage is the message of the code 5 answer in maintenance mode.
const maintenanceMessage = "The server is in maintenance mode. Please try again later."

// writeFaultMaintenance answers c as in maintenance mode.
func (h *Handler) writeFaultMaintenance(w http.ResponseWriter, c *call) {
	op := h.spec.ops[c.path]
	if c.path == pathServerOnline {
		h.writeJSON(w, c, op, http.StatusOK, map[string]any{"data": map[string]any{"online": false}})
		return
	}
	c.code = 5
	h.writeError(w, c, op, &apiError{code: 5, msg: maintenanceMessage})
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// truncWriter passes the first limit body bytes and then aborts the
// connection.
type truncWriter struct {
	http.ResponseWriter
	limit   int64
	written int64
}

func (t *truncWriter) Write(p []byte) (int, error) {
	room := t.limit - t.written
	if int64(len(p)) <= room {
		n, err := t.ResponseWriter.Write(p)
		t.written += int64(n)
		return n, err
	}
	if room > 0 {
		n, _ := t.ResponseWriter.Write(p[:room])
		t.written += int64(n)
	}
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}

func (t *truncWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// trickleWriter sends the body in small pieces with pauses.
type trickleWriter struct {
	http.ResponseWriter
	step  int
	delay time.Duration
	done  <-chan struct{}
}

func (t *trickleWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(t.step, len(p))
		m, err := t.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		if f, ok := t.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		p = p[k:]
		select {
		case <-time.After(t.delay):
		case <-t.done:
			return n, http.ErrAbortHandler
		}
	}
	return n, nil
}

func (t *trickleWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
