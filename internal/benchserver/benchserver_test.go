package benchserver_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/internal/benchserver"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t *testing.T, cfg benchserver.Config) *httptest.Server {
	t.Helper()
	h, err := benchserver.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// The server must be a valid Joe Sandbox for what the benchmarks ask of it,
// or the figures would measure error paths.
func TestServesTheClient(t *testing.T) {
	srv := newServer(t, benchserver.Config{DownloadSize: 3<<20 + 5, Items: 1005, PageSize: 100})
	c, err := client.New(client.WithBaseURL(srv.URL+"/api"), client.WithAPIKey("any key"), client.WithAcceptTAC(true))
	require.NoError(t, err)
	ctx := context.Background()

	want := 1005
	for it, err := range c.Analyses(ctx) {
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(want), it.Webid)
		want--
	}
	require.Zero(t, want, "listing stopped early")

	var buf bytes.Buffer
	_, n, err := c.AnalysisDownload(ctx, "1", "memdumps", &buf)
	require.NoError(t, err)
	assert.EqualValues(t, 3<<20+5, n)
	assert.Equal(t, 3<<20+5, buf.Len())

	online, err := c.ServerOnline(ctx)
	require.NoError(t, err)
	assert.True(t, online)

	a, err := c.AnalysisInfo(ctx, "1")
	require.NoError(t, err)
	assert.NotEmpty(t, a.Webid, "the recorded jbxtest answer has a webid")

	f, err := os.Create(filepath.Join(t.TempDir(), "s.bin"))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(make([]byte, 25<<20))
	require.NoError(t, err)
	for _, opts := range [][]client.SubmitOption{nil, {client.WithoutChunking()}} {
		_, err := f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		res, err := c.SubmitSample(ctx, "", f, nil, opts...)
		require.NoError(t, err, "submit %v", opts)
		assert.Equal(t, "1", res.SubmissionID)
	}
}

func TestNoItemsIsAnEmptyList(t *testing.T) {
	srv := newServer(t, benchserver.Config{})
	c, err := client.New(client.WithBaseURL(srv.URL+"/api"), client.WithAPIKey("k"))
	require.NoError(t, err)
	n := 0
	for _, err := range c.Analyses(context.Background()) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n)
}

// Unknown endpoints and pagination tokens are Joe Sandbox errors (400 with
// an "errors" list), not canned successes.
func TestErrors(t *testing.T) {
	srv := newServer(t, benchserver.Config{Items: 10, PageSize: 3})
	for _, tt := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/api/v2/no/such", url.Values{"apikey": {"k"}}, `{"errors":[{"code":2,"message":"Unknown endpoint."}]}`},
		{"/api/v2/analysis/list", url.Values{"apikey": {"k"}, "pagination_next": {"bogus"}},
			`{"errors":[{"code":3,"message":"Invalid parameter pagination_next."}]}`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.PostForm(srv.URL+tt.path, tt.form)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.JSONEq(t, tt.want, string(body))
		})
	}
}

func TestNewRefusesBadConfigs(t *testing.T) {
	for _, cfg := range []benchserver.Config{
		{Items: -1, PageSize: 10},
		{Items: 10},
		{Items: 10, PageSize: -1},
		{DownloadSize: -1},
	} {
		_, err := benchserver.New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}
