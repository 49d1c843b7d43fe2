package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// TestDownloadHostileNames serves names that try to leave the folder.
func TestDownloadHostileNames(t *testing.T) {
	for _, name := range []string{"../../x", "/etc/passwd", `..\..\y`} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
			_, _ = w.Write([]byte("content"))
		}))
		root := t.TempDir()
		dir := filepath.Join(root, "a", "b")
		r := cli(t, nil, "--apiurl", ts.URL+"/api", "--apikey", "k", "analysis", "download", "1", "--dir", dir)
		ts.Close()
		if r.code != 0 {
			t.Fatalf("%q: %d %s", name, r.code, r.stdout)
		}
		p := r.object(t)["html"].(string)
		if filepath.Dir(p) != dir {
			t.Errorf("%q saved as %s, outside %s", name, p, dir)
		}
		// nothing else anywhere under root
		var files []string
		_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 1 {
			t.Errorf("%q: files %q", name, files)
		}
	}
}

func TestAnalysisDownload(t *testing.T) {
	srv, env := newServer(t)
	webid := srv.SeedAnalyses(1)[0]
	dir := t.TempDir()

	// default type html into --dir, absolute path printed
	r := cli(t, env, "analysis", "download", webid, "--dir", dir)
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stdout)
	}
	obj := r.object(t)
	p, _ := obj["html"].(string)
	if len(obj) != 1 || !filepath.IsAbs(p) || filepath.Dir(p) != dir {
		t.Errorf("paths %v", obj)
	}
	req := lastRequest(t, srv)
	if req.Path != "/v2/analysis/download" || req.Form.Get("type") != "html" || req.Form.Get("webid") != webid || req.Form.Has("run") {
		t.Errorf("request %s %v", req.Path, req.Form)
	}

	// several types and --run; --run N on the wire
	r = cli(t, env, "analysis", "download", webid, "json", "irjsonfixed", "--run", "0", "--dir", dir)
	if r.code != 0 || len(r.object(t)) != 2 {
		t.Errorf("%d %s", r.code, r.stdout)
	}
	if lastRequest(t, srv).Form.Get("run") != "0" {
		t.Errorf("run not sent: %v", lastRequest(t, srv).Form)
	}

	// default folder ./WEBID, created, existing is fine
	t.Chdir(t.TempDir())
	for range 2 {
		r = cli(t, env, "analysis", "download", webid)
		if r.code != 0 {
			t.Fatalf("%d %s", r.code, r.stdout)
		}
		p := r.object(t)["html"].(string)
		if filepath.Base(filepath.Dir(p)) != webid {
			t.Errorf("not in ./%s: %s", webid, p)
		}
	}

	// a bad type: API error, 100+code, raw object
	r = cli(t, env, "analysis", "download", webid, "bogus", "--dir", dir)
	if r.code < 100 || r.object(t)["message"] == nil {
		t.Errorf("bogus: %d %s", r.code, r.stdout)
	}
	// --ignore-errors: null and a message on stderr
	r = cli(t, env, "analysis", "download", webid, "html", "bogus", "--ignore-errors", "--dir", dir)
	obj = r.object(t)
	if r.code != 0 || obj["bogus"] != nil || obj["html"] == nil || r.stderr == "" {
		t.Errorf("ignore-errors: %d %s %q", r.code, r.stdout, r.stderr)
	}
	if _, ok := obj["bogus"]; !ok {
		t.Errorf("bogus missing: %s", r.stdout)
	}
	// all failed: the first error
	r = cli(t, env, "analysis", "download", webid, "bogus", "bogus2", "--ignore-errors", "--dir", dir)
	if r.code < 100 {
		t.Errorf("all failed: %d %s", r.code, r.stdout)
	}
	assertNoPartFiles(t, dir)
}

func assertNoPartFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("left over: %s", e.Name())
		}
	}
}

func TestDownloadTruncated(t *testing.T) {
	srv, env := newServer(t,
		jbxtest.WithResourceSize(100_000),
		jbxtest.WithFaults(jbxtest.FaultRule{Path: "/v2/analysis/download", Kind: jbxtest.FaultTruncateBody, Bytes: 1000}))
	webid := srv.SeedAnalyses(1)[0]
	dir := t.TempDir()
	r := cli(t, env, "analysis", "download", webid, "--dir", dir)
	if r.code == 0 {
		t.Fatalf("truncated download succeeded: %s", r.stdout)
	}
	if obj := r.object(t); obj["code"] != json.Number("1") {
		t.Errorf("error object %s", r.stdout)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left after a failed download: %v", entries)
	}
}

func TestAnalysisReport(t *testing.T) {
	srv, env := newServer(t)
	webid := srv.SeedAnalyses(1)[0]
	r := cli(t, env, "analysis", "report", webid, "--run", "0")
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stdout)
	}
	r.object(t)
	req := lastRequest(t, srv)
	if req.Form.Get("type") != "irjsonfixed" || req.Form.Get("run") != "0" {
		t.Errorf("form %v", req.Form)
	}
	// not JSON: exit 5 with the official message
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte("<html>"))
	}))
	defer ts.Close()
	r = cli(t, nil, "--apiurl", ts.URL, "--apikey", "k", "analysis", "report", "1")
	if r.code != 5 || r.object(t)["message"] != "Invalid response. Is the API url correct?" {
		t.Errorf("%d %s", r.code, r.stdout)
	}
}

func TestAnalysisDeleteAndWait(t *testing.T) {
	srv, env := newServer(t, jbxtest.WithAnalysisDuration(0))
	webids := srv.SeedAnalyses(2)
	dir := t.TempDir()
	r := cli(t, env, "analysis", "wait", webids[0], "--interval", "10ms", "--download", "html", "--dir", dir)
	if r.code != 0 || r.object(t)["status"] != "finished" {
		t.Errorf("wait: %d %s", r.code, r.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("downloads %v", entries)
	}
	r = cli(t, env, "analysis", "delete", webids[1])
	if r.code != 0 || lastRequest(t, srv).Path != "/v2/analysis/delete" || lastRequest(t, srv).Form.Get("webid") != webids[1] {
		t.Errorf("delete: %d %s", r.code, r.stdout)
	}
	r = cli(t, env, "analysis", "info", webids[1])
	if r.code < 100 {
		t.Errorf("deleted analysis still there: %d", r.code)
	}
	// submission wait and delete
	id := submitURL(t, env)
	r = cli(t, env, "submission", "wait", id, "--interval", "10ms")
	if r.code != 0 || r.object(t)["status"] != "finished" {
		t.Errorf("submission wait: %d %s", r.code, r.stdout)
	}
	r = cli(t, env, "submission", "delete", id)
	if r.code != 0 || lastRequest(t, srv).Form.Get("submission_id") != id {
		t.Errorf("submission delete: %d %s", r.code, r.stdout)
	}
}

func TestWaitTimeout(t *testing.T) {
	_, env := newServer(t, jbxtest.WithAnalysisDuration(1<<40))
	id := submitURL(t, env)
	r := cli(t, env, "submission", "wait", id, "--interval", "10ms", "--timeout", "50ms")
	if r.code != 5 || !strings.Contains(r.stdout, "not finished") {
		t.Errorf("%d %s", r.code, r.stdout)
	}
}
