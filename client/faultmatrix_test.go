package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// The fault matrix: every fault jbxtest can inject × every kind of call.
// Each cell states what the call must do (succeed at once, succeed after
// retrying, or fail with a specific typed error), how many requests the
// faulted exchange may cost, and what the server holds afterwards, and the
// test asserts all of it plus "nothing lost": no duplicate submission, no
// partial body reported as a success, no incomplete upload that looks
// complete. The CLI column (download to a folder) is in
// cmd/jbxapi/faultmatrix_test.go; docs/reliability.md shows the whole
// matrix.

// outcome is the expected result of a cell.
type outcome int

const (
	okFirst      outcome = iota + 1 // succeeded with the first request
	okRetried                       // succeeded after retrying the faulted request
	errConn                         // *ConnectionError
	errInternal                     // *APIError code 6 (ErrInternalServer), HTTP 500
	errBadGW                        // *APIError code 6, HTTP 502
	errHTML                         // *UnexpectedResponseError, HTTP 502
	errOffline                      // *APIError code 5 (ErrServerOffline), HTTP 503
	errConnTimed                    // *ConnectionError that is a timeout (net.Error Timeout)
)

func (o outcome) String() string {
	return [...]string{"", "ok", "retried, ok", "ConnectionError", "ErrInternalServer (500)", "APIError code 6 (502)",
		"UnexpectedResponseError (502)", "ErrServerOffline (503)", "ConnectionError (timeout)"}[o]
}

// check asserts that err is the outcome.
func (o outcome) check(t *testing.T, err error) {
	t.Helper()
	switch o {
	case okFirst, okRetried:
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	var apiErr *APIError
	var ce *ConnectionError
	var ue *UnexpectedResponseError
	switch o {
	case errConn:
		require.ErrorAs(t, err, &ce)
	case errConnTimed:
		require.ErrorAs(t, err, &ce)
		var te interface{ Timeout() bool }
		require.ErrorAs(t, err, &te)
		assert.True(t, te.Timeout(), "%v", err)
		assert.NotErrorIs(t, err, context.Canceled, "a timeout must not look like the caller's cancellation")
	case errInternal:
		require.ErrorIs(t, err, ErrInternalServer)
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusInternalServerError, apiErr.HTTPStatus)
	case errBadGW:
		require.ErrorIs(t, err, ErrInternalServer)
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusBadGateway, apiErr.HTTPStatus)
	case errHTML:
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, http.StatusBadGateway, ue.StatusCode)
	case errOffline:
		require.ErrorIs(t, err, ErrServerOffline)
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusServiceUnavailable, apiErr.HTTPStatus)
	default:
		t.Fatalf("unknown outcome %d", o)
	}
	assert.NotContains(t, err.Error(), jbxtest.DefaultAPIKey, "the API key leaked into the error")
}

// cell is the expectation of one fault × call.
type cell struct {
	out outcome
	// sent is the number of requests the faulted exchange took: 1 when it
	// was not retried, 1+retries when every attempt failed.
	sent int
	// subs is the number of submissions the call leaves on the server
	// (counted once the server has finished every request): for
	// submission/new and chunked uploads, exactly 1 on success, 0 or 1 as
	// stated on failure; 0 for every other call.
	subs int
}

// faultRow is one fault, with its expectation for each call kind, in the
// order of matrixCalls.
type faultRow struct {
	name    string
	rule    jbxtest.FaultRule // Path and OnRequest are set by the call kind
	opts    []Option          // client options the row needs
	persist bool              // the fault fires on every request from the target on
	cells   [6]cell
}

const (
	matrixRetries = 3
	matrixTimeout = 400 * time.Millisecond
	sampleSize    = 64 << 10
	chunkSize     = 16 << 10 // 4 chunks
	resourceSize  = 16 << 10
)

var (
	ok1       = cell{out: okFirst, sent: 1}
	retried   = cell{out: okRetried, sent: 2}
	ok1Sub    = cell{out: okFirst, sent: 1, subs: 1}
	retrySub  = cell{out: okRetried, sent: 2, subs: 1}
	allFailed = 1 + matrixRetries
)

// matrixRows: the faults. Faults fire once (on the target request of the
// call kind) unless persist is set.
var matrixRows = []faultRow{
	{
		name: "delay past the timeout",
		rule: jbxtest.FaultRule{Kind: jbxtest.FaultDelay, Delay: time.Second},
		opts: []Option{WithTimeout(matrixTimeout)},
		// submission/new: the timed-out request had been sent; the server
		// creates the submission once the delay is over, which is exactly
		// why the client must not send it again.
		cells: [6]cell{retried, retried, {out: errConnTimed, sent: 1, subs: 1}, retrySub, retried, retried},
	},
	{
		name:  "500 with JSON error body",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultStatus, Status: 500},
		cells: [6]cell{{errInternal, 1, 0}, {errInternal, 1, 0}, {errInternal, 1, 0}, {errInternal, 1, 1}, {errInternal, 1, 0}, {errInternal, 1, 0}},
	},
	{
		name:  "502 with JSON error body",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultStatus, Status: 502},
		cells: [6]cell{retried, retried, {errBadGW, 1, 0}, retrySub, retried, retried},
	},
	{
		name:  "429 with Retry-After: 1",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultTooManyRequests, RetryAfter: time.Second},
		cells: [6]cell{retried, retried, retrySub, retrySub, retried, retried},
	},
	{
		name:  "HTML error page (502)",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultHTML},
		cells: [6]cell{retried, retried, {errHTML, 1, 0}, retrySub, retried, retried},
	},
	{
		name:  "connection dropped before the response",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultDropConnection},
		cells: [6]cell{retried, retried, {errConn, 1, 0}, retrySub, retried, retried},
	},
	{
		name:  "connection dropped mid-upload (after 8 KiB)",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultDropMidRequest, Bytes: 8 << 10},
		cells: [6]cell{retried, retried, {errConn, 1, 0}, retrySub, retried, retried},
	},
	{
		name: "answer cut short (after 10 bytes)",
		rule: jbxtest.FaultRule{Kind: jbxtest.FaultTruncateBody, Bytes: 10},
		// submission/new: processed, but the id was lost with the answer;
		// re-sending would duplicate it. download: the bytes already
		// handed to the writer cannot be taken back, so it is not retried.
		cells: [6]cell{retried, retried, {errConn, 1, 1}, retrySub, retried, {errConn, 1, 0}},
	},
	{
		name:  "slow trickle (64 B per ms)",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultTrickle, Bytes: 64, Delay: time.Millisecond},
		cells: [6]cell{ok1, ok1, ok1Sub, ok1Sub, ok1, ok1},
	},
	{
		name:  "maintenance window (one 503 answer)",
		rule:  jbxtest.FaultRule{Kind: jbxtest.FaultMaintenance},
		cells: [6]cell{retried, retried, retrySub, retrySub, retried, retried},
	},
	{
		name:    "maintenance mode (lasting)",
		rule:    jbxtest.FaultRule{Kind: jbxtest.FaultMaintenance},
		persist: true,
		// chunked upload: the announcement got through, the chunks did
		// not; the submission stays pending and is never analysed.
		cells: [6]cell{{errOffline, allFailed, 0}, {errOffline, allFailed, 0}, {errOffline, allFailed, 0},
			{errOffline, allFailed, 1}, {errOffline, allFailed, 0}, {errOffline, allFailed, 0}},
	},
}

// matrixCall is one kind of call: the endpoint its fault targets and how to
// run and verify it.
type matrixCall struct {
	name   string
	path   string // the endpoint the fault targets
	nth    int    // ... on its nth request
	normal int    // requests to path when nothing goes wrong
	// run performs the call against srv with c and checks what the server
	// and the caller hold afterwards, given whether the call succeeded.
	run func(t *testing.T, env *matrixEnv) error
	// verify runs after the server has finished every request.
	verify func(t *testing.T, env *matrixEnv, err error)
}

type matrixEnv struct {
	srv    *jbxtest.Server
	c      *Client
	webids []string // seeded analyses
	sample []byte
	// filled by run
	subID  string
	buf    *bytes.Buffer
	n      int64
	listed []string
}

var matrixCalls = []matrixCall{
	{
		name: "read-only call (analysis/info)", path: "analysis/info", nth: 1, normal: 1,
		run: func(t *testing.T, e *matrixEnv) error {
			a, err := e.c.AnalysisInfo(t.Context(), e.webids[0])
			if err == nil {
				assert.Equal(t, e.webids[0], a.Webid)
			}
			return err
		},
	},
	{
		name: "paged list, mid-iteration (analysis/list page 2)", path: "analysis/list", nth: 2, normal: 3,
		run: func(t *testing.T, e *matrixEnv) error {
			errs := 0
			var last error
			for a, err := range e.c.Analyses(t.Context()) {
				if err != nil {
					errs++
					last = err
					continue
				}
				e.listed = append(e.listed, a.Webid)
			}
			assert.LessOrEqual(t, errs, 1, "an error ends the iteration")
			return last
		},
		verify: func(t *testing.T, e *matrixEnv, err error) {
			sorted := slices.Sorted(slices.Values(e.listed))
			assert.Equal(t, len(sorted), len(slices.Compact(sorted)), "an item was yielded twice: %v", e.listed)
			if err == nil {
				assert.ElementsMatch(t, e.webids, e.listed)
			} else {
				assert.Len(t, e.listed, 2, "the first page, then the error")
			}
		},
	},
	{
		name: "submission/new (classic upload, 64 KiB)", path: "submission/new", nth: 1, normal: 1,
		run: func(t *testing.T, e *matrixEnv) error {
			res, err := e.c.SubmitSample(t.Context(), "s.exe", bytes.NewReader(e.sample), nil, WithoutChunking())
			if err == nil {
				e.subID = res.SubmissionID
			} else {
				assert.Nil(t, res)
			}
			return err
		},
		verify: func(t *testing.T, e *matrixEnv, err error) {
			if err == nil {
				verifySample(t, e)
			}
		},
	},
	{
		name: "chunked upload, chunk 2 of 4", path: "submission/chunked-sample", nth: 2, normal: 4,
		run: func(t *testing.T, e *matrixEnv) error {
			res, err := e.c.SubmitSample(t.Context(), "s.exe", bytes.NewReader(e.sample), nil)
			require.NotNil(t, res, "the announcement succeeded: its id is returned with any chunk error")
			e.subID = res.SubmissionID
			if err != nil {
				assert.Contains(t, err.Error(), "chunk 2 of 4")
			}
			return err
		},
		verify: func(t *testing.T, e *matrixEnv, err error) {
			if err == nil {
				verifySample(t, e)
				return
			}
			// the incomplete upload never becomes an analysis
			s, ok := e.srv.Submission(e.subID)
			require.True(t, ok)
			assert.Empty(t, s.Analyses, "an incomplete sample is being analysed")
		},
	},
	{
		name: "Joe Lab upload, chunk 2 of 4", path: "joelab/filesystem/upload-chunked", nth: 2, normal: 4,
		run: func(t *testing.T, e *matrixEnv) error {
			_, err := e.c.JoelabFilesystemUpload(t.Context(), "lab1", "tool.exe", bytes.NewReader(e.sample), `C:\tool.exe`)
			return err
		},
		verify: func(t *testing.T, e *matrixEnv, err error) {
			got, ok := e.srv.JoelabFile("lab1", `C:\tool.exe`)
			if err == nil {
				require.True(t, ok, "uploaded file missing")
				assert.True(t, bytes.Equal(e.sample, got), "uploaded file differs")
			} else {
				assert.False(t, ok, "an incomplete upload is stored as a file")
			}
		},
	},
	{
		name: "download to a writer (16 KiB)", path: "analysis/download", nth: 1, normal: 1,
		run: func(t *testing.T, e *matrixEnv) error {
			e.buf = &bytes.Buffer{}
			_, n, err := e.c.AnalysisDownload(t.Context(), e.webids[0], "html", e.buf)
			e.n = n
			assert.Equal(t, int64(e.buf.Len()), n, "n must count the bytes written")
			return err
		},
		verify: func(t *testing.T, e *matrixEnv, err error) {
			if err == nil {
				require.Equal(t, resourceSize, e.buf.Len(), "a partial body reported as success")
				// the same bytes as a clean download from a server without faults
				ref := jbxtest.NewServer(t, jbxtest.WithResourceSize(resourceSize))
				rc, err := New(WithBaseURL(ref.URL()), WithAPIKey(ref.APIKey()))
				require.NoError(t, err)
				var full bytes.Buffer
				_, _, err = rc.AnalysisDownload(t.Context(), ref.SeedAnalyses(1)[0], "html", &full)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(full.Bytes(), e.buf.Bytes()), "the body differs from a clean download")
			} else {
				assert.Less(t, e.buf.Len(), resourceSize)
			}
		},
	},
}

func verifySample(t *testing.T, e *matrixEnv) {
	t.Helper()
	s, ok := e.srv.Submission(e.subID)
	require.True(t, ok, "submission %s missing", e.subID)
	require.NotEmpty(t, s.Analyses, "submission %s has no analysis", e.subID)
	part, data, ok := e.srv.Upload(s.Analyses[0].Webid)
	require.True(t, ok)
	sum := sha256.Sum256(e.sample)
	assert.Equal(t, hex.EncodeToString(sum[:]), part.SHA256)
	assert.Equal(t, int64(len(e.sample)), part.Size)
	assert.True(t, bytes.Equal(e.sample, data))
}

// TestFaultMatrix runs every cell of the matrix in parallel, each against
// its own server.
func TestFaultMatrix(t *testing.T) {
	sample := make([]byte, sampleSize)
	for i := range sample {
		sample[i] = byte(i*7 + i/251)
	}
	for _, row := range matrixRows {
		for ci, call := range matrixCalls {
			want := row.cells[ci]
			t.Run(row.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				rule := row.rule
				rule.Path, rule.OnRequest, rule.Times = call.path, call.nth, 1
				if row.persist {
					rule.Times = 100
				}
				srv := jbxtest.NewServer(t, jbxtest.WithPageSize(2), jbxtest.WithAnalysisDuration(0),
					jbxtest.WithResourceSize(resourceSize), jbxtest.WithResponseValidation())
				c, err := New(append([]Option{WithBaseURL(srv.URL()), WithAPIKey(srv.APIKey()), WithAcceptTAC(true),
					WithRetries(matrixRetries), WithChunkSize(chunkSize)}, row.opts...)...)
				require.NoError(t, err)
				c.backoff = func(int) time.Duration { return time.Millisecond }
				e := &matrixEnv{srv: srv, c: c, webids: srv.SeedAnalyses(5), sample: sample}
				before := srv.SubmissionCount()
				srv.AddFault(rule)

				start := time.Now()
				err = call.run(t, e)
				took := time.Since(start)
				want.out.check(t, err)
				if row.rule.Kind == jbxtest.FaultTooManyRequests {
					assert.GreaterOrEqual(t, took, 900*time.Millisecond, "Retry-After not honoured")
				}

				srv.Close() // waits for every request, delayed ones included
				requests := len(srv.RequestsTo(call.path))
				if err == nil {
					assert.Equal(t, call.normal+want.sent-1, requests, "requests to %s", call.path)
				} else {
					assert.Equal(t, call.nth-1+want.sent, requests, "requests to %s", call.path)
				}
				assert.Equal(t, want.subs, srv.SubmissionCount()-before, "submissions created")
				if call.verify != nil {
					call.verify(t, e, err)
				}
				for _, v := range srv.Violations() {
					t.Errorf("contract violation: %+v", v)
				}
			})
		}
	}
}

// TestFaultMatrixSize keeps the matrix complete: one expectation per fault
// and call kind, every fault kind of jbxtest covered.
func TestFaultMatrixSize(t *testing.T) {
	kinds := map[jbxtest.FaultKind]bool{}
	for _, r := range matrixRows {
		kinds[r.rule.Kind] = true
		for i, c := range r.cells {
			assert.NotZero(t, c.out, "%s × %s has no expectation", r.name, matrixCalls[i].name)
		}
	}
	for k := jbxtest.FaultDelay; k <= jbxtest.FaultMaintenance; k++ {
		assert.True(t, kinds[k], "fault kind %v not in the matrix", k)
	}
	assert.Len(t, matrixCalls, len(matrixRows[0].cells))
	t.Logf("fault matrix: %d faults × %d calls = %d cells (+ %d CLI cells in cmd/jbxapi)",
		len(matrixRows), len(matrixCalls), len(matrixRows)*len(matrixCalls), len(matrixRows))
}

// TestSlowJSONAnswerTimesOut: WithTimeout covers reading a JSON answer. An
// answer that trickles in past the timeout is a timeout (not the caller's
// context.Canceled), retried like a timeout before the answer; when every
// attempt is too slow the timeout is reported.
func TestSlowJSONAnswerTimesOut(t *testing.T) {
	for _, times := range []int{1, 100} {
		t.Run(fmt.Sprint(times), func(t *testing.T) {
			srv := jbxtest.NewServer(t)
			webid := srv.SeedAnalyses(1)[0]
			// about 40 pieces of 8 bytes, 30 ms apart: over a second for the answer
			srv.AddFault(jbxtest.FaultRule{Path: "analysis/info", Times: times, Kind: jbxtest.FaultTrickle, Bytes: 8, Delay: 30 * time.Millisecond})
			c, err := New(WithBaseURL(srv.URL()), WithAPIKey(srv.APIKey()), WithTimeout(300*time.Millisecond), WithRetries(1))
			require.NoError(t, err)
			c.backoff = func(int) time.Duration { return time.Millisecond }
			_, err = c.AnalysisInfo(t.Context(), webid)
			if times == 1 {
				require.NoError(t, err)
			} else {
				errConnTimed.check(t, err)
			}
			assert.Len(t, srv.RequestsTo("analysis/info"), 2)
		})
	}
}
