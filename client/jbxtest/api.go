// Package jbxtest is an in-memory Joe Sandbox for tests, the way
// net/http/httptest serves net/http.
//
// A Server keeps real state (submissions, analyses, reports, Joe Lab machines),
// runs analyses on a clock the test controls, and validates every request
// against the contract in api/jbxapi.yaml before it handles it. A request that
// breaks the contract is answered the way the real server answers it and is
// recorded as a Violation, so that a test can assert that a client made none.
//
//	srv := jbxtest.NewServer(t)            // closed by t.Cleanup
//	c, _ := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()))
//	...
//	require.Empty(t, srv.Violations())
package jbxtest

import (
	"net/url"
	"time"
)

// Mode selects which flavour of Joe Sandbox the server imitates.
type Mode int

const (
	// ModeCloud imitates Joe Sandbox Cloud: calls that submit work or change a
	// Joe Lab machine need accept-tac=1 (code 1 otherwise), account/info exists.
	ModeCloud Mode = iota
	// ModeOnPremise imitates an on-premise server: accept-tac is ignored and
	// Cloud-only submission parameters (delete-after-days, url-reputation,
	// proxy-mode-config) are refused with code 3, "Unknown parameter NAME.".
	ModeOnPremise
)

// Clock is the time source of a Server. The default is the real clock; tests
// that want analyses to finish on command pass a *FakeClock.
type Clock interface {
	Now() time.Time
}

// Request is what the server recorded of one request it received: the
// endpoint, the form fields as they arrived (apikey included; multipart file
// parts are not in Form but in Files) and a summary of every file part.
type Request struct {
	Seq         int                 // 1-based arrival number
	Method      string              // always POST for a well-behaved client
	Path        string              // e.g. "/v2/analysis/info" (relative to the base URL)
	ContentType string              // media type without parameters
	Header      map[string][]string // request headers (User-Agent, ...)
	Form        url.Values          // every non-file field, repeated keys kept in order
	Files       map[string]FilePart // file parts by field name ("sample", "cookbook", "chunk", "file")
	Status      int                 // HTTP status of the answer
	ErrorCode   int                 // JSON error code of the answer, 0 on success
}

// FilePart summarises one file part of a multipart request.
type FilePart struct {
	Filename string // the file name the client gave
	Size     int64  // bytes received
	SHA256   string // hex
}

// Violation is a request that broke the contract in api/jbxapi.yaml (or an
// answer of the server's own that did, in the server's self-check mode).
type Violation struct {
	Seq    int    // the Request.Seq it belongs to
	Path   string // endpoint
	Reason string // what was wrong, e.g. `Unknown parameter bogus.` or a schema error
}
