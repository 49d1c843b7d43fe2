//go:build unix

package client_test

// Benchmarks of the client's hot paths against an in-process server that
// does no work (package internal/benchserver: it discards request bodies
// and answers with canned bytes), so that the figures are the client's.
// They are the before/after evidence of the optimisations (benchstat); the
// end-to-end figures with budgets come from cmd/jbxbench (make bench).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/internal/benchserver"
)

const (
	benchUploadSize   = 64 << 20
	benchDownloadSize = 64 << 20
	benchPageSize     = 100
	benchItems        = 100_000 // analyses listed by the paging benchmark's server
)

// newBenchServer starts a Joe Sandbox that does nothing (package
// internal/benchserver): canned answers, downloads of benchDownloadSize
// bytes, and no analyses to list.
func newBenchServer(b *testing.B) *httptest.Server {
	srv, _ := startBenchServer(b, 0)
	return srv
}

// startBenchServer starts a do-nothing Joe Sandbox listing items analyses
// in pages of benchPageSize, and returns it with the count of connections
// it accepted.
func startBenchServer(b *testing.B, items int) (*httptest.Server, *atomic.Int64) {
	b.Helper()
	h, err := benchserver.New(benchserver.Config{Items: items, PageSize: benchPageSize, DownloadSize: benchDownloadSize})
	if err != nil {
		b.Fatal(err)
	}
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv, &conns
}

// reportCPU reports the CPU time (user + system) and the read and write
// system calls per op, for the whole process (the in-process server's
// share included): figures that other load on a shared machine disturbs
// much less than the wall time. Use it as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start, r0, w0 := cpuTime(), procIO("syscr"), procIO("syscw")
	return func() {
		if b.N <= 0 {
			return
		}
		n := float64(b.N)
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/n, "cpu-ns/op")
		if r0 >= 0 {
			b.ReportMetric(float64(procIO("syscr")-r0)/n, "reads/op")
			b.ReportMetric(float64(procIO("syscw")-w0)/n, "writes/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procIO returns a counter of /proc/self/io (Linux), or -1.
func procIO(key string) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && k == key {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

func newBenchClient(b *testing.B, srv *httptest.Server, opts ...client.Option) *client.Client {
	b.Helper()
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(srv.URL + "/api"), client.WithAPIKey(jbxtest.DefaultAPIKey), client.WithAcceptTAC(true),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchSample(b *testing.B, size int64) *os.File {
	b.Helper()
	path := filepath.Join(b.TempDir(), "sample.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	block := bytes.Repeat([]byte{0x5a}, 1<<20)
	for left := size; left > 0; left -= int64(len(block)) {
		if _, err := f.Write(block[:min(left, int64(len(block)))]); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { _ = f.Close() })
	return f
}

func benchUpload(b *testing.B, opts ...client.SubmitOption) {
	srv := newBenchServer(b)
	c := newBenchClient(b, srv)
	f := benchSample(b, benchUploadSize)
	ctx := context.Background()
	b.SetBytes(benchUploadSize)
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := c.SubmitSample(ctx, "", f, nil, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadChunked submits a 64 MiB file in 10 MiB chunks.
func BenchmarkUploadChunked(b *testing.B) { benchUpload(b) }

// BenchmarkUploadClassic submits a 64 MiB file in one streamed request.
func BenchmarkUploadClassic(b *testing.B) { benchUpload(b, client.WithoutChunking()) }

// BenchmarkDownload downloads a 64 MiB resource to io.Discard or to a
// file, with and without a progress callback.
func BenchmarkDownload(b *testing.B) {
	for _, bc := range []struct {
		name     string
		toFile   bool
		progress bool
	}{{"discard", false, false}, {"file", true, false}, {"discard+progress", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := newBenchServer(b)
			var opts []client.Option
			if bc.progress {
				opts = append(opts, client.WithProgress(func(done, total int64) {}))
			}
			c := newBenchClient(b, srv, opts...)
			var w io.Writer = io.Discard
			if bc.toFile {
				f, err := os.Create(filepath.Join(b.TempDir(), "download.bin"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				w = f
			}
			ctx := context.Background()
			b.SetBytes(benchDownloadSize)
			defer reportCPU(b)()
			for b.Loop() {
				if f, ok := w.(*os.File); ok {
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						b.Fatal(err)
					}
				}
				if _, _, err := c.AnalysisDownload(ctx, "1", "memdumps", w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalysesPaging iterates over analyses; one op is one item, so
// allocs/op is the allocations per item (pages of 100 items). The server
// lists benchItems analyses: the iteration starts over when they run out.
func BenchmarkAnalysesPaging(b *testing.B) {
	srv, _ := startBenchServer(b, benchItems)
	c := newBenchClient(b, srv)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for n := 0; n < b.N; {
		for _, err := range c.Analyses(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			if n++; n >= b.N {
				break
			}
		}
	}
}

// BenchmarkSmallCalls measures server/online and analysis/info over one
// keep-alive client, sequentially and from many goroutines.
func BenchmarkSmallCalls(b *testing.B) {
	calls := map[string]func(*client.Client) error{
		"online": func(c *client.Client) error { _, err := c.ServerOnline(context.Background()); return err },
		"info":   func(c *client.Client) error { _, err := c.AnalysisInfo(context.Background(), "1"); return err },
	}
	for _, name := range []string{"online", "info"} {
		call := calls[name]
		b.Run(name+"/sequential", func(b *testing.B) {
			c := newBenchClient(b, newBenchServer(b))
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := call(c); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parallel16", func(b *testing.B) {
			srv, conns := startBenchServer(b, 0)
			c := newBenchClient(b, srv)
			b.ReportAllocs()
			defer func() { b.ReportMetric(float64(conns.Load())/float64(b.N), "conns/op") }()
			defer reportCPU(b)()
			// 16 goroutines whatever GOMAXPROCS is (2 on the bench machine)
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(c); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestAnswerEnvelope guards the single-pass decoding of JSON answers: an
// answer is accepted when its top-level object has "data" (matched like
// encoding/json matches field names), whatever else it holds, and is an
// UnexpectedResponseError otherwise.
func TestAnswerEnvelope(t *testing.T) {
	tests := []struct {
		body   string
		online bool
		err    string // "unexpected", "decoding" or "" (success)
	}{
		{body: `{"data":{"online":true}}`, online: true},
		{body: " \n{ \"data\" : {\"online\":true} }\n", online: true},
		{body: `{"DATA":{"online":true}}`, online: true},
		{body: `{"d\u0061ta":{"online":true}}`, online: true},
		{body: `{"x":"\"data\"","y":[1,{"z":"]}"},null],"data":{"online":true}}`, online: true},
		{body: `{"data":null}`},
		{body: `{"data":"yes"}`, err: "decoding"},
		{body: `{"a":{"data":{"online":true}}}`, err: "unexpected"},
		{body: `{"x":"data"}`, err: "unexpected"},
		{body: `[{"data":{"online":true}}]`, err: "unexpected"},
		{body: `null`, err: "unexpected"},
		{body: `{"data":{"online":true}`, err: "unexpected"},
		{body: ``, err: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := client.New(client.WithBaseURL(srv.URL+"/api"), client.WithAPIKey("k"), client.WithRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			online, err := c.ServerOnline(context.Background())
			var ue *client.UnexpectedResponseError
			switch tt.err {
			case "":
				if err != nil || online != tt.online {
					t.Fatalf("got %v, %v; want %v", online, err, tt.online)
				}
			case "unexpected":
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, %v; want an UnexpectedResponseError", online, err)
				}
			case "decoding":
				if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "decoding the answer") {
					t.Fatalf("got %v, %v; want a decoding error", online, err)
				}
			}
		})
	}
}
