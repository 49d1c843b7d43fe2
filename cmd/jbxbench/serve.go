package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// serveConfig is what a child server is started with.
type serveConfig struct {
	kind         string // "discard" or "jbxtest"
	listen       string
	latency      time.Duration // slept before each answer
	downloadSize int64
	items        int // analyses listed (discard) or seeded (jbxtest)
	pageSize     int
}

func (s serveConfig) args() []string {
	return []string{"-serve", s.kind, "-listen", s.listen, "-latency", s.latency.String(),
		"-download-size", strconv.FormatInt(s.downloadSize, 10),
		"-items", strconv.Itoa(s.items), "-page-size", strconv.Itoa(s.pageSize)}
}

// serve runs a server in this (child) process: it prints the API base URL
// on stdout and serves until stdin is closed, which the parent does when it
// is done with it (or dies).
func serve(cfg serveConfig) error {
	var h http.Handler
	switch cfg.kind {
	case "discard":
		d, err := newDiscardServer(cfg)
		if err != nil {
			return err
		}
		h = d
	case "jbxtest":
		jh := jbxtest.NewHandler(
			jbxtest.WithAPIKey(apiKey),
			jbxtest.WithAnalysisDuration(0),
			jbxtest.WithPageSize(cfg.pageSize),
			jbxtest.WithQuota(1<<30),
			jbxtest.WithSampleKeepLimit(16<<20), // above the 10 MiB chunks: chunks are checked, big files only hashed
			jbxtest.WithResourceSize(cfg.downloadSize),
		)
		if cfg.items > 0 {
			jh.SeedAnalyses(cfg.items)
		}
		h = jh
	default:
		return fmt.Errorf("-serve must be discard or jbxtest, not %q", cfg.kind)
	}
	if cfg.latency > 0 {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(cfg.latency)
			inner.ServeHTTP(w, r)
		})
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("http://%s/api\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return srv.Close()
}

// discardServer answers every endpoint the harness uses with precomputed
// bytes and discards request bodies: the cheapest valid Joe Sandbox.
type discardServer struct {
	online, info []byte
	pages        map[string][]byte // by pagination_next ("" is the first)
	blob         []byte
	downloadSize int64
}

func newDiscardServer(cfg serveConfig) (*discardServer, error) {
	jh := jbxtest.NewHandler(jbxtest.WithAPIKey(apiKey), jbxtest.WithAnalysisDuration(0))
	webid := jh.SeedAnalyses(1)[0]
	info, err := recordAnswer(jh, "/api/v2/analysis/info", "apikey="+apiKey+"&webid="+webid)
	if err != nil {
		return nil, err
	}
	d := &discardServer{
		online:       []byte(`{"data":{"online":true}}`),
		info:         info,
		pages:        map[string][]byte{},
		blob:         bytes.Repeat([]byte("jbxbench filler."), 256<<10/16),
		downloadSize: cfg.downloadSize,
	}
	// pages of analyses numbered items..1, newest first; the token of the
	// next page is "a" + the webid it starts after
	tok := ""
	for start := 0; start < cfg.items; start += cfg.pageSize {
		end := min(start+cfg.pageSize, cfg.items)
		var b bytes.Buffer
		b.WriteString(`{"data":[`)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"webid":"%d"}`, cfg.items-i)
		}
		b.WriteByte(']')
		next := ""
		if end < cfg.items {
			next = "a" + strconv.Itoa(cfg.items-end+1)
			fmt.Fprintf(&b, `,"pagination":{"next":"%s"}`, next)
		}
		b.WriteByte('}')
		d.pages[tok] = b.Bytes()
		tok = next
	}
	if len(d.pages) == 0 {
		d.pages[""] = []byte(`{"data":[]}`)
	}
	return d, nil
}

// recordAnswer returns what jbxtest answers to one request, so that canned
// answers have the size and shape of real ones.
func recordAnswer(h http.Handler, path, form string) ([]byte, error) {
	rr := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", path, rr.Code, rr.Body)
	}
	return rr.Body.Bytes(), nil
}

func (d *discardServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path[strings.Index(r.URL.Path, "/v2/")+1:]
	var page []byte
	if path == "v2/analysis/list" {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		page = d.pages[r.PostForm.Get("pagination_next")]
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch path {
	case "v2/server/online":
		_, _ = w.Write(d.online)
	case "v2/analysis/info":
		_, _ = w.Write(d.info)
	case "v2/analysis/list":
		if page == nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errors":[{"code":3,"message":"Invalid parameter pagination_next."}]}`))
			return
		}
		_, _ = w.Write(page)
	case "v2/submission/new":
		_, _ = w.Write([]byte(`{"data":{"submission_id":"1"}}`))
	case "v2/submission/chunked-sample":
		_, _ = w.Write([]byte(`{"data":{}}`))
	case "v2/analysis/download":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="resource.bin"`)
		w.Header().Set("Content-Length", strconv.FormatInt(d.downloadSize, 10))
		for left := d.downloadSize; left > 0; left -= int64(len(d.blob)) {
			if _, err := w.Write(d.blob[:min(left, int64(len(d.blob)))]); err != nil {
				return
			}
		}
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errors":[{"code":2,"message":"Unknown endpoint."}]}`))
	}
}

// child is a server running in a child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
	name  string
}

// startChild re-executes this program as a server and waits for its URL.
func startChild(cfg serveConfig) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if cfg.listen == "" {
		cfg.listen = "127.0.0.1:0"
	}
	cmd := exec.Command(self, cfg.args()...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server %s did not start: %w", cfg.kind, err)
	}
	name := cfg.kind
	if cfg.latency > 0 {
		name += "+" + cfg.latency.String()
	}
	return &child{cmd: cmd, stdin: in, url: strings.TrimSpace(line), name: name}, nil
}

// stop closes the child's stdin, which makes it exit, and waits for it.
func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
