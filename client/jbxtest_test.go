package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

func newPair(t *testing.T, accept bool, sopts []jbxtest.Option, copts ...client.Option) (*jbxtest.Server, *client.Client) {
	t.Helper()
	srv := jbxtest.NewServer(t, sopts...)
	c, err := client.New(append([]client.Option{client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()),
		client.WithAcceptTAC(accept)}, copts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func noViolations(t *testing.T, srv *jbxtest.Server) {
	t.Helper()
	for _, v := range srv.Violations() {
		t.Errorf("contract violation: %+v", v)
	}
}

// TestAgainstFake runs every operation against jbxtest in both modes and
// asserts that the server recorded no contract violation.
func TestAgainstFake(t *testing.T) {
	for _, mode := range []jbxtest.Mode{jbxtest.ModeCloud, jbxtest.ModeOnPremise} {
		srv, c := newPair(t, true, []jbxtest.Option{jbxtest.WithMode(mode), jbxtest.WithAnalysisDuration(time.Millisecond), jbxtest.WithPageSize(2)},
			client.WithChunkSize(1000))
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("mode %v: %v", mode, err)
			}
		}
		_, err := c.ServerOnline(ctx)
		must(err)
		_, err = c.ServerInfo(ctx)
		must(err)
		_, err = c.ServerSystems(ctx)
		must(err)
		_, err = c.ServerLIACountries(ctx)
		must(err)
		_, err = c.ServerLanguagesAndLocales(ctx)
		must(err)
		if mode == jbxtest.ModeCloud {
			_, err = c.AccountInfo(ctx)
			must(err)
		}
		sample := bytes.Repeat([]byte("x"), 2500)
		res, err := c.SubmitSample(ctx, "s.exe", bytes.NewReader(sample), &client.SubmitParams{
			SubmissionParameters: client.SubmissionParameters{Comments: "c", InternetAccess: client.FlagOn}})
		must(err)
		if got := srv.RequestsTo("/v2/submission/chunked-sample"); len(got) != 3 {
			t.Fatalf("%d chunks", len(got))
		}
		_, err = c.SubmitURL(ctx, "https://example.com", nil)
		must(err)
		_, err = c.SubmitSampleURL(ctx, "https://example.com/x.exe", nil)
		must(err)
		_, err = c.SubmitCommandLine(ctx, "calc.exe", nil)
		must(err)
		_, err = c.SubmitCookbook(ctx, "cb.txt", strings.NewReader("cookbook"), nil)
		must(err)
		_, err = c.SubmitSample(ctx, "s2.exe", strings.NewReader("abc"), nil, client.WithCookbook("cb", strings.NewReader("cb")))
		must(err)
		sub, err := c.WaitSubmission(ctx, res.SubmissionID, &client.WaitOptions{Interval: 5 * time.Millisecond})
		must(err)
		webid := sub.Analyses[0].Webid
		_, err = c.AnalysisInfo(ctx, webid)
		must(err)
		_, err = c.AnalysisSearch(ctx, "s.exe")
		must(err)
		_, _, err = c.AnalysisDownload(ctx, webid, "html", io.Discard)
		must(err)
		all, err := c.ListAnalyses(ctx)
		must(err)
		if len(all) < 5 {
			t.Fatalf("%d analyses", len(all))
		}
		subs, err := c.ListSubmissions(ctx, &client.SubmissionListOptions{IncludeShared: client.FlagOff})
		must(err)
		if len(subs) != 6 {
			t.Fatalf("%d submissions", len(subs))
		}
		// Early break fetches no further page.
		before := len(srv.RequestsTo("/v2/analysis/list"))
		for range c.Analyses(ctx) {
			break
		}
		if n := len(srv.RequestsTo("/v2/analysis/list")) - before; n != 1 {
			t.Fatalf("%d pages fetched", n)
		}
		_, err = c.AnalysisDelete(ctx, webid)
		must(err)
		_, err = c.SubmissionDelete(ctx, res.SubmissionID)
		must(err)

		m := "lab1"
		_, err = c.JoelabMachineInfo(ctx, m)
		must(err)
		_, err = c.JoelabImagesList(ctx, m)
		must(err)
		_, err = c.JoelabImagesCapture(ctx, m, "")
		must(err)
		_, err = c.JoelabImagesReset(ctx, m, "")
		must(err)
		_, err = c.JoelabNetworkInfo(ctx, m)
		must(err)
		_, err = c.JoelabNetworkUpdate(ctx, m, client.NetworkSettings{InternetEnabled: client.FlagOn})
		must(err)
		_, err = c.JoelabInternetExitpoints(ctx)
		must(err)
		_, err = c.JoelabPcapStart(ctx, m)
		must(err)
		_, err = c.JoelabPcapStop(ctx, m)
		must(err)
		_, err = c.JoelabPcapDownload(ctx, m, io.Discard)
		must(err)
		_, err = c.JoelabFilesystemUpload(ctx, m, "f.txt", bytes.NewReader(sample), `C:\f.txt`)
		must(err)
		var buf bytes.Buffer
		_, err = c.JoelabFilesystemDownload(ctx, m, `C:\f.txt`, &buf)
		must(err)
		if !bytes.Equal(buf.Bytes(), sample) {
			t.Errorf("Joe Lab round trip: %d bytes", buf.Len())
		}
		for _, r := range srv.Requests() {
			if ua := r.Header["User-Agent"]; len(ua) != 1 || !strings.HasPrefix(ua[0], "jbxapi-go/") {
				t.Fatalf("%s: UA %v", r.Path, ua)
			}
		}
		noViolations(t, srv)
	}
}

func TestFakeTermsAndOldServer(t *testing.T) {
	ctx := context.Background()
	srv, c := newPair(t, false, nil)
	_, err := c.SubmitURL(ctx, "https://example.com", nil)
	if !errors.Is(err, client.ErrTermsNotAccepted) || !strings.Contains(err.Error(), "JBX_ACCEPT_TAC") {
		t.Fatal(err)
	}
	if r := srv.RequestsTo("/v2/submission/new"); len(r) != 1 || r[0].Form.Get("accept-tac") != "0" {
		t.Fatal(r)
	}

	srv, c = newPair(t, true, []jbxtest.Option{jbxtest.WithOldServer()}, client.WithChunkSize(100))
	data := bytes.Repeat([]byte("y"), 250)
	if _, err := c.SubmitSample(ctx, "old.exe", bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	reqs := srv.RequestsTo("/v2/submission/new")
	if len(reqs) != 2 || reqs[1].Files["sample"].Size != 250 || srv.SubmissionCount() != 1 {
		t.Fatalf("%+v", reqs)
	}
	if _, err := c.JoelabFilesystemUpload(ctx, "lab1", "f", bytes.NewReader(data), ""); err != nil {
		t.Fatal(err)
	}
	if len(srv.RequestsTo("/v2/joelab/filesystem/upload")) != 1 {
		t.Fatal("no Joe Lab fallback")
	}
	noViolations(t, srv)
}

func TestFakeNoDuplicateUnderFaults(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []jbxtest.FaultKind{jbxtest.FaultDropConnection, jbxtest.FaultStatus, jbxtest.FaultHTML, jbxtest.FaultTooManyRequests} {
		srv, c := newPair(t, true, []jbxtest.Option{jbxtest.WithFaults(jbxtest.FaultRule{Path: "/v2/submission/new", OnRequest: 1, Kind: kind, Status: 502})})
		_, err := c.SubmitURL(ctx, "https://example.com", nil)
		n := srv.SubmissionCount()
		if n > 1 {
			t.Fatalf("%v: %d submissions", kind, n)
		}
		if kind == jbxtest.FaultTooManyRequests && (err != nil || n != 1) {
			t.Fatalf("429 not retried: %v", err)
		}
		if kind != jbxtest.FaultTooManyRequests && (err == nil || len(srv.RequestsTo("/v2/submission/new")) != 1) {
			t.Fatalf("%v: re-sent or no error: %v", kind, err)
		}
	}
	// Faults on idempotent calls are retried.
	srv, c := newPair(t, true, []jbxtest.Option{jbxtest.WithFaults(jbxtest.FaultRule{Path: "/v2/server/info", OnRequest: 1, Times: 2, Kind: jbxtest.FaultDropConnection})})
	if _, err := c.ServerInfo(ctx); err != nil || len(srv.RequestsTo("/v2/server/info")) != 3 {
		t.Fatal(err)
	}
	// A truncated download is an error, not success.
	srv, c = newPair(t, true, []jbxtest.Option{jbxtest.WithFaults(jbxtest.FaultRule{Path: "/v2/analysis/download", Kind: jbxtest.FaultTruncateBody, Bytes: 10})})
	webids := srv.SeedAnalyses(1)
	if _, _, err := c.AnalysisDownload(ctx, webids[0], "html", io.Discard); err == nil {
		t.Fatal("truncated download accepted")
	}
	// Maintenance.
	srv, c = newPair(t, true, nil, client.WithRetries(0))
	srv.SetMaintenance(true)
	if _, err := c.ServerInfo(ctx); !errors.Is(err, client.ErrServerOffline) {
		t.Fatal(err)
	}
}

// genReader is a generated io.ReaderAt of the given size (no file, no
// buffer).
type genReader struct{ size int64 }

func (g genReader) Size() int64 { return g.size }
func (g genReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= g.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), g.size-off)
	for i := range n {
		p[i] = byte((off + i) * 7)
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// peakHeap samples HeapInuse until stop is called and returns the growth
// over the baseline.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		if p := peak.Load(); p > base {
			return p - base
		}
		return 0
	}
}

const gib = 1 << 30

// TestMemoryChunkedUpload1GiB measures the client alone: jbxtest keeps
// every chunk in memory in the same process, so the server here is a
// minimal one that hashes each multipart part and throws it away.
func TestMemoryChunkedUpload1GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB upload")
	}
	var chunks, received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/v2/submission/new") {
			io.WriteString(w, `{"data":{"submission_id":"1"}}`)
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			w.WriteHeader(400)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, p)
			if p.FormName() == "chunk" {
				received.Add(n)
			}
		}
		chunks.Add(1)
		io.WriteString(w, `{"data":{}}`)
	}))
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL+"/api"), client.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	stop := peakHeap()
	_, err = c.SubmitSample(context.Background(), "big.bin", io.NewSectionReader(genReader{gib}, 0, gib), nil)
	growth := stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1 GiB chunked upload: %d chunks, peak heap growth %.1f MiB", chunks.Load(), float64(growth)/(1<<20))
	if chunks.Load() != 103 || received.Load() != gib {
		t.Fatalf("%d chunks, %d bytes", chunks.Load(), received.Load())
	}
	if growth > 32<<20 {
		t.Fatalf("peak heap growth %d bytes", growth)
	}
}

func TestMemoryDownload1GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB download")
	}
	srv, c := newPair(t, true, []jbxtest.Option{jbxtest.WithResourceSize(gib)})
	webids := srv.SeedAnalyses(1)
	stop := peakHeap()
	_, n, err := c.AnalysisDownload(context.Background(), webids[0], "html", io.Discard)
	growth := stop()
	if err != nil || n != gib {
		t.Fatal(n, err)
	}
	t.Logf("1 GiB download: peak heap growth %.1f MiB", float64(growth)/(1<<20))
	if growth > 32<<20 {
		t.Fatalf("peak heap growth %d bytes", growth)
	}
}
