package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// chunkServer answers submission/new and chunk uploads like a current server
// (or an old one).
func chunkServer(t *testing.T, old bool, failChunk int) *fake {
	var failed atomic.Bool
	return newFake(t, func(w http.ResponseWriter, r rec, n int) {
		switch r.Path {
		case "/v2/submission/new":
			if old && r.Form.Get("chunked-sample") != "" {
				writeErr(w, 400, 3, "Unknown parameter chunked-sample.")
				return
			}
			writeData(w, map[string]any{"submission_id": "77"})
		case "/v2/submission/chunked-sample", "/v2/joelab/filesystem/upload-chunked":
			if old && r.Path == "/v2/joelab/filesystem/upload-chunked" {
				writeErr(w, 404, 8, "Unknown endpoint.")
				return
			}
			if r.Form.Get("current-chunk-index") == strconv.Itoa(failChunk) && !failed.Swap(true) {
				writeErr(w, 502, 6, "Bad gateway")
				return
			}
			writeData(w, map[string]any{})
		default:
			writeData(w, map[string]any{"ok": true})
		}
	})
}

func TestSubmitSampleChunked(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 2500) // 25000 bytes
	for _, tac := range []bool{true, false} {
		f := chunkServer(t, false, 2)
		c := f.client(t, WithChunkSize(10000), WithAcceptTAC(tac))
		r := bytes.NewReader(data)
		r.Seek(4000, io.SeekStart) // the size counts from the current position
		var calls, last atomic.Int64
		c.progress = func(done, total int64) { calls.Add(1); last.Store(done) }
		res, err := c.SubmitSample(context.Background(), "s.exe", r,
			&SubmitParams{SubmissionParameters: SubmissionParameters{Systems: []string{"w10"}, SSLInspection: FlagOn}})
		if err != nil || res.SubmissionID != "77" {
			t.Fatal(res, err)
		}
		tv := map[bool]string{true: "1", false: "0"}[tac]
		reqs := f.requests()
		wantPaths := []string{"/v2/submission/new", "/v2/submission/chunked-sample", "/v2/submission/chunked-sample",
			"/v2/submission/chunked-sample", "/v2/submission/chunked-sample"} // chunk 2 failed once and was retried
		if !reflect.DeepEqual(f.paths(), wantPaths) {
			for _, r := range reqs {
				t.Log(r.Path, r.Form)
			}
			t.Fatal(tac, f.paths())
		}
		want := url.Values{"apikey": {testKey}, "accept-tac": {tv}, "chunked-sample": {"s.exe"}, "systems[]": {"w10"}, "ssl-inspection": {"1"}}
		if !reflect.DeepEqual(reqs[0].Form, want) || reqs[0].CT != contentTypeURL {
			t.Fatalf("%v %s", reqs[0].Form, reqs[0].CT)
		}
		rest := data[4000:]
		sizes := []int{10000, 10000, 10000, 1000}
		idx := []string{"1", "2", "2", "3"}
		for i, rq := range reqs[1:] {
			wantF := url.Values{"apikey": {testKey}, "submission_id": {"77"}, "file-size": {"21000"}, "chunk-size": {"10000"},
				"chunk-count": {"3"}, "current-chunk-index": {idx[i]}, "current-chunk-size": {strconv.Itoa(sizes[i])}}
			if !reflect.DeepEqual(rq.Form, wantF) {
				t.Fatalf("chunk %d: %v", i, rq.Form)
			}
			n, _ := strconv.Atoi(idx[i])
			chunk := rest[(n-1)*10000 : min(n*10000, len(rest))]
			if fp := rq.Files["chunk"]; fp.Filename != "chunk" || fp.SHA256 != sum(chunk) || len(rq.Files) != 1 {
				t.Fatalf("chunk %d: %+v", i, rq.Files)
			}
		}
		if calls.Load() == 0 || last.Load() != 21000 {
			t.Fatal("progress", calls.Load(), last.Load())
		}
	}
}

func TestSubmitSampleWithCookbookChunked(t *testing.T) {
	f := chunkServer(t, false, 0)
	c := f.client(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "sample.bin")
	os.WriteFile(p, []byte("MZ..."), 0o600)
	file, _ := os.Open(p)
	defer file.Close()
	_, err := c.SubmitSample(context.Background(), "", file, nil, WithCookbook("", strings.NewReader("cookbook")))
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].CT != "multipart/form-data" || reqs[0].Form.Get("chunked-sample") != "sample.bin" {
		t.Fatal(reqs)
	}
	if cb := reqs[0].Files["cookbook"]; cb.Filename != "cookbook" || cb.SHA256 != sum([]byte("cookbook")) || len(reqs[0].Files) != 1 {
		t.Fatal(reqs[0].Files)
	}
	if reqs[1].Files["chunk"].SHA256 != sum([]byte("MZ...")) {
		t.Fatal(reqs[1])
	}
}

func TestSubmitSampleOldServerFallback(t *testing.T) {
	f := chunkServer(t, true, 0)
	c := f.client(t, WithChunkSize(10))
	data := []byte("abcdefghijklmnopqrstuvwxyz")
	r := bytes.NewReader(data)
	r.Seek(3, io.SeekStart)
	res, err := c.SubmitSample(context.Background(), "a.doc", r, &SubmitParams{SubmissionParameters: SubmissionParameters{Comments: "c"}})
	if err != nil || res.SubmissionID != "77" {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[1].CT != "multipart/form-data" {
		t.Fatal(f.paths())
	}
	want := url.Values{"apikey": {testKey}, "accept-tac": {"0"}, "comments": {"c"}}
	if !reflect.DeepEqual(reqs[1].Form, want) {
		t.Fatal(reqs[1].Form)
	}
	if s := reqs[1].Files["sample"]; s.Filename != "a.doc" || s.SHA256 != sum(data[3:]) {
		t.Fatal(s)
	}
	if pos, _ := r.Seek(0, io.SeekCurrent); pos != 3 {
		t.Fatal("not rewound", pos)
	}
}

// onlyReader hides every interface but io.Reader.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// seekOnly is an io.ReadSeeker that is no io.ReaderAt.
type seekOnly struct{ io.ReadSeeker }

func TestSubmitSamplePlainReaderAndClassic(t *testing.T) {
	f := chunkServer(t, false, 0)
	c := f.client(t)
	if _, err := c.SubmitSample(context.Background(), "", onlyReader{strings.NewReader("plain")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitSample(context.Background(), "x", bytes.NewReader([]byte("classic")), nil, WithoutChunking()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitSample(context.Background(), "y", seekOnly{strings.NewReader("seeker")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitSample(context.Background(), "z", io.NewSectionReader(strings.NewReader("section"), 0, 7), nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if s := reqs[0].Files["sample"]; s.Filename != "sample" || s.SHA256 != sum([]byte("plain")) || reqs[0].Form.Get("chunked-sample") != "" {
		t.Fatal(reqs[0])
	}
	if s := reqs[1].Files["sample"]; s.Filename != "x" || s.SHA256 != sum([]byte("classic")) {
		t.Fatal(reqs[1])
	}
	if reqs[3].Files["chunk"].SHA256 != sum([]byte("seeker")) || reqs[5].Files["chunk"].SHA256 != sum([]byte("section")) {
		t.Fatal(f.paths())
	}
	// Cookbook alone.
	if _, err := c.SubmitCookbook(context.Background(), "cb.txt", strings.NewReader("x"), &SubmitParams{SubmissionParameters: SubmissionParameters{FastMode: FlagOn}}); err != nil {
		t.Fatal(err)
	}
	last := f.requests()[len(f.requests())-1]
	if last.Files["cookbook"].Filename != "cb.txt" || last.Form.Get("fast-mode") != "1" || last.Form.Get("accept-tac") != "0" {
		t.Fatal(last)
	}
	if _, err := c.SubmitCookbook(context.Background(), "", nil, nil); err == nil {
		t.Fatal("nil cookbook accepted")
	}
}

// TestNoDuplicateSubmission: a submission/new that may have reached the
// server is never re-sent; one refused before processing is.
func TestNoDuplicateSubmission(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		wantReq int
	}{
		{"502", 502, 1}, {"504", 504, 1}, {"500", 500, 1}, {"503", 503, 2}, {"429", 429, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
				if n == 1 {
					if tc.status == 429 {
						w.Header().Set("Retry-After", "0")
					}
					writeErr(w, tc.status, 6, "x")
					return
				}
				writeData(w, map[string]any{"submission_id": "1"})
			})
			_, _ = f.client(t).SubmitURL(context.Background(), "https://x", nil)
			if got := len(f.requests()); got != tc.wantReq {
				t.Fatalf("%d requests, want %d", got, tc.wantReq)
			}
		})
	}
	// A dropped connection after the request was sent: not re-sent.
	var hits atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		hits.Add(1)
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	})
	_, err := f.client(t).SubmitURL(context.Background(), "https://x", nil)
	var ce *ConnectionError
	if !errors.As(err, &ce) || hits.Load() != 1 {
		t.Fatal(err, hits.Load())
	}
	// The same fault on an idempotent call is retried.
	hits.Store(0)
	_, err = f.client(t, WithRetries(2)).ServerInfo(context.Background())
	if err == nil || hits.Load() != 3 {
		t.Fatal(err, hits.Load())
	}
	// Connection refused proves the server never saw it: retried.
	f.srv.Close()
	c := f.client(t, WithRetries(2))
	var attempts atomic.Int32
	c.backoff = func(int) time.Duration { attempts.Add(1); return time.Millisecond }
	if _, err := c.SubmitURL(context.Background(), "https://x", nil); err == nil || attempts.Load() != 2 {
		t.Fatal(err, attempts.Load())
	}
}

func TestJoelabUpload(t *testing.T) {
	for _, old := range []bool{false, true} {
		f := chunkServer(t, old, 0)
		c := f.client(t, WithChunkSize(4), WithAcceptTAC(true))
		if _, err := c.JoelabFilesystemUpload(context.Background(), "m", "f.txt", strings.NewReader("0123456789"), `C:\x`); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if !old {
			if len(reqs) != 3 {
				t.Fatal(f.paths())
			}
			want := url.Values{"apikey": {testKey}, "accept-tac": {"1"}, "machine": {"m"}, "path": {`C:\x`}, "file-size": {"10"},
				"chunk-size": {"4"}, "chunk-count": {"3"}, "current-chunk-index": {"3"}, "current-chunk-size": {"2"}}
			if !reflect.DeepEqual(reqs[2].Form, want) || reqs[2].Files["chunk"].Filename != "chunk" {
				t.Fatal(reqs[2])
			}
			continue
		}
		if !reflect.DeepEqual(f.paths(), []string{"/v2/joelab/filesystem/upload-chunked", "/v2/joelab/filesystem/upload"}) {
			t.Fatal(f.paths())
		}
		want := url.Values{"apikey": {testKey}, "accept-tac": {"1"}, "machine": {"m"}, "path": {`C:\x`}}
		if !reflect.DeepEqual(reqs[1].Form, want) || reqs[1].Files["file"].Filename != "f.txt" || reqs[1].Files["file"].SHA256 != sum([]byte("0123456789")) {
			t.Fatal(reqs[1])
		}
	}
	// Empty and plain inputs take the classic upload.
	f := chunkServer(t, false, 0)
	c := f.client(t)
	c.JoelabFilesystemUpload(context.Background(), "m", "", strings.NewReader(""), "")
	c.JoelabFilesystemUpload(context.Background(), "m", "", onlyReader{strings.NewReader("abc")}, "")
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Path != "/v2/joelab/filesystem/upload" || reqs[1].Files["file"].Filename != "file" || reqs[1].Form.Get("path") != "" {
		t.Fatal(reqs)
	}
}
