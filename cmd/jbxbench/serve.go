package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/internal/benchserver"
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
		d, err := benchserver.New(benchserver.Config{Items: cfg.items, PageSize: cfg.pageSize, DownloadSize: cfg.downloadSize})
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
