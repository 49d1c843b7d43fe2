package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jbx-go/jbxapi/client/internal/form"
	"github.com/jbx-go/jbxapi/gen"
)

const (
	maxErrorBody   = 1 << 20  // error answers are read up to this size
	maxJSONBody    = 64 << 20 // JSON answers are read up to this size
	maxRetryAfter  = 10 * time.Minute
	snippetLen     = 200
	contentTypeURL = "application/x-www-form-urlencoded"
)

// sendFunc is the signature of the generated ...WithBody methods of gen.Client.
type sendFunc func(ctx context.Context, contentType string, body io.Reader, reqEditors ...gen.RequestEditorFn) (*http.Response, error)

// bodyFunc builds a fresh request body for one attempt; size is -1 when
// unknown.
type bodyFunc func() (contentType string, body io.Reader, size int64, err error)

// request is one API call as the single request path sees it.
type request struct {
	send       sendFunc
	body       bodyFunc
	replayable bool // body can be rebuilt: the call may be retried
	submission bool // submission/new: retried only when it provably never reached the server
	stream     bool // the caller streams the body of a 2xx answer (timeout covers the headers only)
}

var errAttemptTimeout = errors.New("request timed out")

// timeoutError is the cause of an attempt cut off by WithTimeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string   { return fmt.Sprintf("no answer within %s", e.d) }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Unwrap() error   { return errAttemptTimeout }

// do is the single request path: every call of the client goes through it.
// It sets the User-Agent, applies the per-attempt timeout, retries what may
// be retried, logs, and turns error answers into typed errors. On success it
// returns the 2xx response, whose body the caller must close.
func (c *Client) do(ctx context.Context, rq request) (*http.Response, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			if r, ok := lastErr.(*retryable); ok && r.after > 0 {
				wait = r.after
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("jbxapi: giving up retrying: %w", errors.Join(context.Cause(ctx), stripRetry(lastErr)))
			case <-t.C:
			}
		}
		resp, err, retry := c.attempt(ctx, rq, attempt)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !retry || attempt >= c.retries || !rq.replayable || ctx.Err() != nil {
			return nil, stripRetry(err)
		}
	}
}

// retryable wraps an error that may be retried, with the server's
// Retry-After if it gave one.
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

func stripRetry(err error) error {
	if r, ok := err.(*retryable); ok {
		return r.err
	}
	return err
}

// attempt sends the request once. retry reports whether the failure may be
// retried under the rules of the request.
func (c *Client) attempt(ctx context.Context, rq request, n int) (_ *http.Response, _ error, retry bool) {
	ct, body, size, err := rq.body()
	if err != nil {
		return nil, err, false
	}
	actx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if c.timeout > 0 {
		timer = time.AfterFunc(c.timeout, func() { cancel(&timeoutError{c.timeout}) })
	}
	stop := func() {
		if timer != nil {
			timer.Stop()
		}
	}
	var op string
	edit := func(_ context.Context, req *http.Request) error {
		op = "/" + strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, c.basePath), "/")
		req.Header.Set("User-Agent", c.userAgent)
		req.Header.Set("Accept", "application/json, */*")
		if size >= 0 {
			req.ContentLength = size
			if size == 0 {
				req.Body = http.NoBody
			}
		}
		if rq.replayable {
			req.GetBody = func() (io.ReadCloser, error) {
				_, b, _, err := rq.body()
				if err != nil {
					return nil, err
				}
				return io.NopCloser(b), nil
			}
		}
		return nil
	}
	start := time.Now()
	resp, err := rq.send(actx, ct, body, edit)
	if err != nil {
		stop()
		cause := context.Cause(actx)
		cancel(nil)
		if rc, ok := body.(io.Closer); ok {
			_ = rc.Close()
		}
		err = c.timedOut(ctx, op, err, cause)
		c.log(ctx, op, 0, time.Since(start), n, err)
		var re *RedirectError
		if errors.As(err, &re) {
			return nil, re, false
		}
		err, retry = c.broken(ctx, rq, op, err)
		return nil, err, retry
	}
	c.log(ctx, op, resp.StatusCode, time.Since(start), n, nil)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if rq.stream {
			stop()
			resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: func() { stop(); cancel(nil) }}
			return resp, nil, false
		}
		// A JSON answer is read within the attempt: the timeout covers it,
		// and an answer cut short is a broken exchange like any other,
		// retried under the same rules.
		jb, err := readJSONBody(resp)
		stop()
		cause := context.Cause(actx)
		cancel(nil)
		if err != nil {
			err, retry = c.broken(ctx, rq, op, c.timedOut(ctx, op, err, cause))
			return nil, err, retry
		}
		resp.Body = jb
		return resp, nil, false
	}
	defer func() { stop(); cancel(nil) }()
	apiErr := c.decodeError(resp)
	retry = false
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		retry = true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		retry = !rq.submission
	}
	if retry && (errors.Is(apiErr, ErrQuotaExceeded) || errors.Is(apiErr, ErrTermsNotAccepted)) {
		retry = false
	}
	if retry {
		return nil, &retryable{err: apiErr, after: retryAfter(resp.Header.Get("Retry-After"), c.now())}, true
	}
	return nil, apiErr, false
}

// timedOut replaces err by a timeout error when the attempt was cut off by
// WithTimeout (cause) rather than by the caller's context.
func (c *Client) timedOut(ctx context.Context, op string, err, cause error) error {
	var te *timeoutError
	if errors.As(cause, &te) && ctx.Err() == nil {
		return &url.Error{Op: "Post", URL: c.baseURL + op, Err: te}
	}
	return err
}

// broken turns the failure of an exchange (sending the request or reading
// the answer) into a *ConnectionError and tells whether it may be retried.
func (c *Client) broken(ctx context.Context, rq request, op string, err error) (error, bool) {
	ce := &ConnectionError{Op: op, Err: err, key: c.apiKey}
	if ctx.Err() != nil {
		return ce, false
	}
	if rq.submission && !neverReached(err) {
		return ce, false
	}
	if certificateError(err) {
		// the same certificate will be refused again: fail at once
		return ce, false
	}
	return &retryable{err: ce}, true
}

type cancelBody struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// neverReached reports whether err proves that the request never reached
// the server: the connection could not be established.
func neverReached(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// defaultBackoff is a jittered exponential backoff: between half and all of
// 0.5 s·2^(attempt-1), capped at 30 s.
func defaultBackoff(attempt int) time.Duration {
	ceil := min(500*time.Millisecond<<min(attempt-1, 10), 30*time.Second)
	return ceil/2 + rand.N(ceil/2+1)
}

func (c *Client) log(ctx context.Context, op string, status int, d time.Duration, attempt int, err error) {
	if c.logger == nil {
		return
	}
	args := []any{"method", http.MethodPost, "path", op, "status", status, "duration", d, "attempt", attempt + 1}
	if err != nil {
		args = append(args, "error", redact(err.Error(), c.apiKey))
	}
	c.logger.DebugContext(ctx, "jbxapi request", args...)
}

// decodeError turns a non-2xx answer into an *APIError or an
// *UnexpectedResponseError. It reads at most maxErrorBody bytes and closes
// the body.
func (c *Client) decodeError(resp *http.Response) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(b, &env) == nil && len(env.Errors) > 0 {
		var e gen.APIError
		if json.Unmarshal(env.Errors[0], &e) == nil {
			return &APIError{
				Code:       e.Code,
				Message:    redact(e.Message, c.apiKey),
				HTTPStatus: resp.StatusCode,
				Raw:        json.RawMessage(redact(string(env.Errors[0]), c.apiKey)),
			}
		}
	}
	return c.unexpected(resp, b)
}

func (c *Client) unexpected(resp *http.Response, b []byte) *UnexpectedResponseError {
	// The content type is the server's text too, and goes into Error().
	return &UnexpectedResponseError{StatusCode: resp.StatusCode, ContentType: redact(resp.Header.Get("Content-Type"), c.apiKey), Snippet: snippet(b, c.apiKey)}
}

// snippet returns the start of b, at most snippetLen bytes, with key
// redacted. It redacts while it cuts, so that no key straddling the cut
// leaks its first part, however many keys come before it.
func snippet(b []byte, key string) string {
	k := []byte(key)
	var sb strings.Builder
	for len(b) > 0 && sb.Len() < snippetLen {
		if len(k) > 0 && bytes.HasPrefix(b, k) {
			sb.WriteString(redactedMark)
			b = b[len(k):]
			continue
		}
		sb.WriteByte(b[0])
		b = b[1:]
	}
	s := sb.String()
	return s[:min(len(s), snippetLen)]
}

// decodeJSON decodes a 2xx JSON answer into out, a gen envelope type. The
// answer must carry "data". It decodes the body once, into out, and then
// checks for "data" with a scan of the top-level keys (the decode has
// validated the JSON). The body is normally already in memory: attempt
// reads it within the attempt (see readJSONBody).
func (c *Client) decodeJSON(resp *http.Response, out any) error {
	defer resp.Body.Close()
	jb, ok := resp.Body.(*jsonBody)
	if !ok {
		var err error
		if jb, err = readJSONBody(resp); err != nil {
			return &ConnectionError{Op: resp.Request.URL.Path, Err: err, key: c.apiKey}
		}
		defer jb.Close()
	}
	b := jb.buf.Bytes()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return c.unexpected(resp, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		if !json.Valid(b) || !hasDataKey(b) {
			return c.unexpected(resp, b)
		}
		return fmt.Errorf("jbxapi: decoding the answer: %w", err)
	}
	if !hasDataKey(b) {
		return c.unexpected(resp, b)
	}
	return nil
}

// jsonBody is a JSON answer read in full, held in a pooled buffer that
// Close returns to the pool (nothing may use the bytes after Close).
type jsonBody struct {
	buf *bytes.Buffer
}

// Read reads (and consumes) the answer; decodeJSON uses buf directly.
func (b *jsonBody) Read(p []byte) (int, error) {
	if b.buf == nil {
		return 0, io.EOF
	}
	return b.buf.Read(p)
}

// readJSONBody reads the body of resp (at most maxJSONBody bytes) into a
// pooled buffer, sized from Content-Length when the server gives it, and
// closes it.
func readJSONBody(resp *http.Response) (*jsonBody, error) {
	defer resp.Body.Close()
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	// the announced length sizes the buffer only up to what is pooled: a
	// server announcing more than it sends cannot make the client allocate
	// more than it received
	if cl := resp.ContentLength; cl > 0 && cl <= maxPooledBody {
		buf.Grow(int(cl) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxJSONBody)); err != nil {
		putBuffer(buf)
		return nil, err
	}
	return &jsonBody{buf: buf}, nil
}

// Close returns the buffer to the pool; a second Close does nothing.
func (b *jsonBody) Close() error {
	if b.buf != nil {
		putBuffer(b.buf)
		b.buf = nil
	}
	return nil
}

func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		bodyPool.Put(buf)
	}
}

// maxPooledBody bounds the buffers kept for reuse by decodeJSON.
const maxPooledBody = 1 << 20

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// hasDataKey reports whether the valid JSON document b is an object with a
// member named "data", matched as encoding/json matches field names
// (case-insensitively, escapes decoded). A null value counts.
func hasDataKey(b []byte) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := stringEnd(b, i)
		key := b[i+1 : max(i+1, end-1)]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if json.Unmarshal(b[i:end], &s) == nil {
				key = []byte(s)
			}
		}
		if bytes.EqualFold(key, []byte("data")) {
			return true
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, skipValue(b, skipSpace(b, i+1)))
		if i >= len(b) || b[i] != ',' {
			return false
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
			i++
		}
		return i
	}
}

// formRequest builds a replayable url-encoded request from v (a gen form
// struct) plus extra values, which replace the fields of the same name.
func formRequest(send sendFunc, v any, extra url.Values) (request, error) {
	vals, err := form.Encode(v)
	if err != nil {
		return request{}, err
	}
	mergeExtra(vals, extra)
	enc := vals.Encode()
	return request{
		send: send,
		body: func() (string, io.Reader, int64, error) {
			return contentTypeURL, strings.NewReader(enc), int64(len(enc)), nil
		},
		replayable: true,
	}, nil
}

func mergeExtra(vals, extra url.Values) {
	for k, vs := range extra {
		if k == "apikey" {
			continue
		}
		vals[k] = append([]string(nil), vs...)
	}
}

// call sends a url-encoded form and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, send sendFunc, v any, out any) error {
	rq, err := formRequest(send, v, nil)
	if err != nil {
		return err
	}
	return c.callRequest(ctx, rq, out)
}

func (c *Client) callRequest(ctx context.Context, rq request, out any) error {
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	return c.decodeJSON(resp, out)
}

func (c *Client) tac() gen.AcceptTAC {
	if c.acceptTAC {
		return gen.TACAccepted
	}
	return gen.TACNotAccepted
}
