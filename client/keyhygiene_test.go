package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// hygieneKey is a recognisable API key: 64 hex digits, like a real one.
const hygieneKey = "d1ce5a1e0badc0de5eed1e55c0ffee00facade00deadbeef0123456789abcdef"

// requireNoKey fails if s holds the key or any 16-character piece of it.
func requireNoKey(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i+16 <= len(hygieneKey); i++ {
		if strings.Contains(s, hygieneKey[i:i+16]) {
			t.Fatalf("%s holds (part of) the API key:\n%s", what, s)
		}
	}
}

// urlRecorder is a transport that records the URL and headers of every
// request it sends.
type urlRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *urlRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, fmt.Sprintf("%s %s %v", req.Method, req.URL, req.Header))
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *urlRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.seen, "\n")
}

// echoServer answers every request with status, content type and body, in
// which "KEY" is replaced by the API key the request carried: a server that
// echoes the key back.
func echoServer(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseMultipartForm(1 << 20)
		key := r.FormValue("apikey")
		w.Header().Set("Content-Type", strings.ReplaceAll(contentType, "KEY", key))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, strings.ReplaceAll(body, "KEY", key))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestKeyNotInErrors checks the error of every kind the client returns
// against a server that echoes the key wherever it can.
func TestKeyNotInErrors(t *testing.T) {
	page := "<html><body>" + strings.Repeat("x", 170) + "KEY" + strings.Repeat("y", 300) + "</body></html>"
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		check  func(t *testing.T, err error)
	}{
		{"APIError echoing the key", http.StatusForbidden, "application/json",
			`{"errors":[{"code":4,"message":"Invalid API key KEY.","apikey":"KEY"}]}`,
			func(t *testing.T, err error) {
				var apiErr *client.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.ErrorIs(t, err, client.ErrInvalidAPIKey)
				requireNoKey(t, "APIError.Message", apiErr.Message)
				requireNoKey(t, "APIError.Raw", string(apiErr.Raw))
			}},
		{"UnexpectedResponseError, key in an HTML page across the snippet's end", http.StatusOK, "text/html; charset=KEY", page,
			func(t *testing.T, err error) {
				var ue *client.UnexpectedResponseError
				require.ErrorAs(t, err, &ue)
				requireNoKey(t, "Snippet", ue.Snippet)
				requireNoKey(t, "ContentType", ue.ContentType)
			}},
		{"UnexpectedResponseError on an error status", http.StatusBadGateway, "text/html", "<p>KEY</p>",
			func(t *testing.T, err error) {
				var ue *client.UnexpectedResponseError
				require.ErrorAs(t, err, &ue)
				requireNoKey(t, "Snippet", ue.Snippet)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := echoServer(t, tt.status, tt.ct, tt.body)
			c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(hygieneKey), client.WithRetries(0))
			require.NoError(t, err)
			_, err = c.AnalysisInfo(context.Background(), "1")
			require.Error(t, err)
			requireNoKey(t, "the error", err.Error())
			requireNoKey(t, "the error (%+v)", fmt.Sprintf("%+v", err))
			tt.check(t, err)
		})
	}

	t.Run("ConnectionError whose cause holds the key", func(t *testing.T) {
		failing := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return nil, errors.New("proxy refused the body apikey=" + hygieneKey)
		})
		c, err := client.New(client.WithBaseURL("http://jbx.invalid/api"), client.WithAPIKey(hygieneKey),
			client.WithRetries(0), client.WithTransport(failing))
		require.NoError(t, err)
		_, err = c.ServerOnline(context.Background())
		var ce *client.ConnectionError
		require.ErrorAs(t, err, &ce)
		requireNoKey(t, "the error", err.Error())
	})

	t.Run("ConnectionError of a closed server", func(t *testing.T) {
		ts := httptest.NewServer(http.NotFoundHandler())
		ts.Close()
		c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(hygieneKey), client.WithRetries(0))
		require.NoError(t, err)
		_, err = c.ServerOnline(context.Background())
		var ce *client.ConnectionError
		require.ErrorAs(t, err, &ce)
		requireNoKey(t, "the error", err.Error())
	})

	t.Run("RedirectError to a host named after the key", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			http.Redirect(w, r, "http://"+r.PostFormValue("apikey")+".evil.invalid/api/v2/server/online", http.StatusTemporaryRedirect)
		}))
		t.Cleanup(ts.Close)
		c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(hygieneKey), client.WithRetries(0))
		require.NoError(t, err)
		_, err = c.ServerOnline(context.Background())
		var re *client.RedirectError
		require.ErrorAs(t, err, &re)
		requireNoKey(t, "the error", err.Error())
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestKeyNotInLogsOrURLs runs successes, retried faults and failures with
// debug logging on (the client's and the fake server's) and checks that the
// key is sent in the form body only: never in a log line, a URL or a
// header.
func TestKeyNotInLogsOrURLs(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := jbxtest.NewServer(t, jbxtest.WithAPIKey(hygieneKey), jbxtest.WithLogger(logger),
		jbxtest.WithAnalysisDuration(0), jbxtest.WithPageSize(1),
		jbxtest.WithFaults(
			jbxtest.FaultRule{Path: "/v2/server/online", OnRequest: 1, Kind: jbxtest.FaultStatus, Status: http.StatusServiceUnavailable},
			jbxtest.FaultRule{Path: "/v2/server/online", OnRequest: 2, Kind: jbxtest.FaultDropConnection},
			jbxtest.FaultRule{Path: "/v2/server/info", Kind: jbxtest.FaultHTML, Status: http.StatusNotFound, Times: 1},
		))
	rec := &urlRecorder{base: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(rec.base.(*http.Transport).CloseIdleConnections)
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(hygieneKey), client.WithAcceptTAC(true),
		client.WithTransport(rec), client.WithLogger(logger), client.WithRetries(2))
	require.NoError(t, err)
	ctx := context.Background()

	online, err := c.ServerOnline(ctx) // 503, dropped connection, then success
	require.NoError(t, err)
	assert.True(t, online)
	_, err = c.ServerInfo(ctx) // an HTML page: an error
	require.Error(t, err)
	requireNoKey(t, "the error", err.Error())
	sub, err := c.SubmitSample(ctx, "s.exe", strings.NewReader("MZ sample"), nil)
	require.NoError(t, err)
	subInfo, err := c.SubmissionInfo(ctx, sub.SubmissionID)
	require.NoError(t, err)
	require.NotEmpty(t, subInfo.Analyses)
	webid := subInfo.Analyses[0].Webid
	_, _, err = c.AnalysisDownload(ctx, webid, "html", io.Discard)
	require.NoError(t, err)
	list, err := c.ListAnalyses(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	_, err = c.AnalysisInfo(ctx, "no-such-webid") // an API error
	require.Error(t, err)
	requireNoKey(t, "the error", err.Error())

	bad, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(strings.ToUpper(hygieneKey)), client.WithLogger(logger))
	require.NoError(t, err)
	_, err = bad.ServerInfo(ctx)
	require.Error(t, err)

	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	require.Contains(t, out, "jbxapi request", "the client logged")
	require.Contains(t, out, "attempt=3", "the retries were logged")
	requireNoKey(t, "the log", out)
	requireNoKey(t, "the request lines", rec.all())

	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	inBody := map[string]int{}
	for _, r := range reqs {
		requireNoKey(t, "a path", r.Path)
		requireNoKey(t, "a header", fmt.Sprint(r.Header))
		if r.Form.Has("apikey") { // faults answer before the form is read
			inBody[r.Form.Get("apikey")]++
		}
	}
	assert.Equal(t, map[string]int{hygieneKey: 7, strings.ToUpper(hygieneKey): 1}, inBody,
		"the key travels in the form body of every request")
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRedirectToAnotherHostNeverResendsKey: a 307 or 308 (which keep method
// and body) and a 302 from server A to server B are refused: B receives
// nothing, and the error, a *RedirectError, names the hosts but not the key.
func TestRedirectToAnotherHostNeverResendsKey(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			b := jbxtest.NewServer(t, jbxtest.WithAPIKey(hygieneKey))
			var aHits int
			var mu sync.Mutex
			a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				aHits++
				mu.Unlock()
				w.Header().Set("Location", b.URL()+strings.TrimPrefix(r.URL.Path, "/api"))
				w.WriteHeader(status)
			}))
			t.Cleanup(a.Close)
			c, err := client.New(client.WithBaseURL(a.URL+"/api"), client.WithAPIKey(hygieneKey))
			require.NoError(t, err)

			_, err = c.AnalysisInfo(context.Background(), "1")
			var re *client.RedirectError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, strings.TrimPrefix(a.URL, "http://"), re.From)
			assert.Equal(t, strings.TrimPrefix(strings.TrimSuffix(b.URL(), "/api"), "http://"), re.To)
			requireNoKey(t, "the error", err.Error())
			assert.Empty(t, b.Requests(), "B received nothing")
			mu.Lock()
			assert.Equal(t, 1, aHits, "a refused redirect is not retried")
			mu.Unlock()
		})
	}

	t.Run("same host is followed", func(t *testing.T) {
		front := http.NewServeMux()
		front.HandleFunc("/old/api/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/new/api/"+strings.TrimPrefix(r.URL.Path, "/old/api/"), http.StatusPermanentRedirect)
		})
		front.Handle("/new/", http.StripPrefix("/new", jbxtest.NewHandler(jbxtest.WithAPIKey(hygieneKey))))
		ts := httptest.NewServer(front)
		t.Cleanup(ts.Close)
		c, err := client.New(client.WithBaseURL(ts.URL+"/old/api"), client.WithAPIKey(hygieneKey))
		require.NoError(t, err)
		online, err := c.ServerOnline(context.Background())
		require.NoError(t, err, "a 308 on the same host keeps method and body, key included")
		assert.True(t, online)
	})
}

// TestKeyNotInTimeoutError: a timed-out attempt's error names the endpoint,
// not the key.
func TestKeyNotInTimeoutError(t *testing.T) {
	srv := jbxtest.NewServer(t, jbxtest.WithAPIKey(hygieneKey),
		jbxtest.WithFaults(jbxtest.FaultRule{Kind: jbxtest.FaultDelay, Delay: time.Second}))
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(hygieneKey), client.WithRetries(0),
		client.WithTimeout(50*time.Millisecond))
	require.NoError(t, err)
	_, err = c.ServerOnline(context.Background())
	var ce *client.ConnectionError
	require.ErrorAs(t, err, &ce)
	requireNoKey(t, "the error", err.Error())
}
