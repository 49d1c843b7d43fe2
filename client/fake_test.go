package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// A small recording server for unit tests of the request path (the
// contract-enforcing fake is jbxtest).

const testKey = "SECRETKEY0123456789abcdef"

type recFile struct {
	Filename string
	Size     int64
	SHA256   string
}

type rec struct {
	Path   string
	CT     string
	Header http.Header
	Form   url.Values
	Files  map[string]recFile
}

type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []rec
	handle func(w http.ResponseWriter, r rec, n int) // n: 1-based count of requests to r.Path
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r rec, n int)) *fake {
	t.Helper()
	f := &fake{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) URL() string { return f.srv.URL + "/api" }

func (f *fake) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithAPIKey(testKey), WithBaseURL(f.URL())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return time.Millisecond }
	return c
}

func (f *fake) requests() []rec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rec(nil), f.reqs...)
}

func (f *fake) paths() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Path)
	}
	return out
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	rc := rec{Path: strings.TrimPrefix(r.URL.Path, "/api"), Header: r.Header.Clone(), Form: url.Values{}, Files: map[string]recFile{}}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	rc.CT = mt
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			if p.FileName() == "" {
				b, _ := io.ReadAll(p)
				rc.Form.Add(p.FormName(), string(b))
				continue
			}
			h := sha256.New()
			n, err := io.Copy(h, p)
			if err != nil {
				return
			}
			rc.Files[p.FormName()] = recFile{Filename: p.FileName(), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		}
	default:
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.Form = r.PostForm
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rc)
	n := 0
	for _, q := range f.reqs {
		if q.Path == rc.Path {
			n++
		}
	}
	f.mu.Unlock()
	f.handle(w, rc, n)
}

func writeData(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": v})
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%d,"message":%q}]}`, code, msg)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
