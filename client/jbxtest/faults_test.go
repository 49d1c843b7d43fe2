package jbxtest_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// countingReader counts the bytes the HTTP client took from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestFaultDropMidRequest(t *testing.T) {
	f := newFx(t)
	f.srv.AddFault(jbxtest.FaultRule{Path: "submission/new", OnRequest: 1, Kind: jbxtest.FaultDropMidRequest, Bytes: 1024})
	// A body far larger than the socket buffers, so that the client is
	// still writing when the server hangs up.
	b := mp(field("apikey", f.key), field("accept-tac", "1"), file("sample", "big.bin", bytes.Repeat([]byte("A"), 32<<20)))
	cr := &countingReader{r: bytes.NewReader(b.r)}
	resp, err := f.cl.SubmissionNewWithBody(t.Context(), b.ct, cr)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the connection is dropped without an answer")
	assert.Less(t, cr.n, int64(len(b.r)), "the upload was cut off before its end")
	assert.Equal(t, 0, f.srv.SubmissionCount(), "the dropped request is not processed")
	reqs := f.srv.RequestsTo("submission/new")
	require.Len(t, reqs, 1, "the dropped request is recorded")
	assert.Zero(t, reqs[0].Status, "no answer was sent")

	// the next request is served normally
	f.submitURL("https://example.com")
	assert.Equal(t, 1, f.srv.SubmissionCount())
	f.noViolations()
}

func TestFaultMaintenance(t *testing.T) {
	f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{OnRequest: 2, Times: 2, Kind: jbxtest.FaultMaintenance}))
	webid := f.srv.SeedAnalyses(1)[0]
	f.ok("/v2/analysis/info", "webid", webid) // request 1: before the window

	// request 2: in the window, an ordinary endpoint gets code 5 / 503
	status, code, msg := f.fail("/v2/analysis/info", form("apikey", f.key, "webid", webid))
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, 5, code)
	assert.Contains(t, msg, "maintenance")
	// request 3: still in the window, server/online answers offline
	assert.JSONEq(t, `{"online":false}`, string(f.ok("/v2/server/online")))
	// request 4: the window is over
	f.ok("/v2/analysis/info", "webid", webid)
	assert.JSONEq(t, `{"online":true}`, string(f.ok("/v2/server/online")))
	f.noViolations()
}

func TestFaultKindString(t *testing.T) {
	for k, want := range map[jbxtest.FaultKind]string{
		jbxtest.FaultDelay: "delay", jbxtest.FaultStatus: "status", jbxtest.FaultTooManyRequests: "too-many-requests",
		jbxtest.FaultHTML: "html", jbxtest.FaultDropConnection: "drop-connection", jbxtest.FaultTruncateBody: "truncate-body",
		jbxtest.FaultTrickle: "trickle", jbxtest.FaultDropMidRequest: "drop-mid-request", jbxtest.FaultMaintenance: "maintenance",
		jbxtest.FaultKind(99): "FaultKind(99)",
	} {
		assert.Equal(t, want, k.String())
	}
}
