package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestJoelab(t *testing.T) {
	srv, env := newServer(t)
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "tool.exe"), "tool content")

	// upload
	r := cli(t, env, "joelab", "filesystem", "upload", file, "--machine", "lab1", "--path", `C:\tools\tool.exe`)
	if r.code != 0 {
		t.Fatalf("upload: %d %s", r.code, r.stdout)
	}
	r.object(t)
	if b, ok := srv.JoelabFile("lab1", `C:\tools\tool.exe`); !ok || string(b) != "tool content" {
		t.Errorf("file on machine: %q %v", b, ok)
	}

	// download into a folder: base name of the path, "\" as separator
	out := t.TempDir()
	r = cli(t, env, "joelab", "filesystem", "download", `C:\tools\tool.exe`, "--machine", "lab1", "-d", out)
	if r.code != 0 {
		t.Fatalf("download: %d %s", r.code, r.stdout)
	}
	p := r.object(t)["path"].(string)
	if p != filepath.Join(out, "tool.exe") {
		t.Errorf("path %s", p)
	}
	if b, _ := os.ReadFile(p); string(b) != "tool content" {
		t.Errorf("content %q", b)
	}
	req := lastRequest(t, srv)
	if req.Path != "/v2/joelab/filesystem/download" || req.Form.Get("path") != `C:\tools\tool.exe` || req.Form.Get("machine") != "lab1" {
		t.Errorf("request %s %v", req.Path, req.Form)
	}
	// download to a file name
	target := filepath.Join(out, "renamed.bin")
	r = cli(t, env, "joelab", "filesystem", "download", `C:\tools\tool.exe`, "--machine", "lab1", "--destination", target)
	if r.code != 0 || r.object(t)["path"] != target {
		t.Errorf("download to file: %d %s", r.code, r.stdout)
	}
	// default destination "."
	t.Chdir(out)
	r = cli(t, env, "joelab", "filesystem", "download", `C:\tools\tool.exe`, "--machine", "lab1")
	if r.code != 0 || r.object(t)["path"] != filepath.Join(out, "tool.exe") {
		t.Errorf("default dest: %d %s", r.code, r.stdout)
	}
	// missing remote file: API error
	r = cli(t, env, "joelab", "filesystem", "download", `C:\nope`, "--machine", "lab1", "-d", out)
	if r.code < 100 {
		t.Errorf("missing: %d %s", r.code, r.stdout)
	}
	assertNoPartFiles(t, out)

	// images
	r = cli(t, env, "joelab", "images", "capture", "--machine", "lab1", "--image", "img1")
	if r.code != 0 || lastRequest(t, srv).Form.Get("image") != "img1" || lastRequest(t, srv).Path != "/v2/joelab/images/capture" {
		t.Errorf("capture: %d %s %v", r.code, r.stdout, lastRequest(t, srv).Form)
	}
	r = cli(t, env, "joelab", "images", "reset", "--machine", "lab1")
	if r.code != 0 || lastRequest(t, srv).Form.Has("image") || lastRequest(t, srv).Path != "/v2/joelab/images/reset" {
		t.Errorf("reset: %d %s %v", r.code, r.stdout, lastRequest(t, srv).Form)
	}

	// network update: tri-state, last wins, unset not sent
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--enable-internet"}, "1"},
		{[]string{"--disable-internet"}, "0"},
		{[]string{"--disable-internet", "--enable-internet"}, "1"},
	} {
		args := append([]string{"joelab", "network", "update", "--machine", "lab1"}, tt.args...)
		r = cli(t, env, args...)
		req := lastRequest(t, srv)
		if r.code != 0 || req.Path != "/v2/joelab/network/update" || req.Form.Get("internet-enabled") != tt.want || (tt.want == "") == req.Form.Has("internet-enabled") {
			t.Errorf("%q: %d %s %v", tt.args, r.code, r.stdout, req.Form)
		}
	}

	// pcap
	r = cli(t, env, "joelab", "pcap", "start", "--machine", "lab1")
	if r.code != 0 || lastRequest(t, srv).Path != "/v2/joelab/pcap/start" || !srv.JoelabRecording("lab1") {
		t.Errorf("pcap start: %d %s", r.code, r.stdout)
	}
	r = cli(t, env, "joelab", "pcap", "stop", "--machine", "lab1")
	if r.code != 0 || lastRequest(t, srv).Path != "/v2/joelab/pcap/stop" {
		t.Errorf("pcap stop: %d %s", r.code, r.stdout)
	}
	r = cli(t, env, "joelab", "pcap", "download", "--machine", "lab1", "-d", out)
	if r.code != 0 || r.object(t)["path"] != filepath.Join(out, "lab1.pcap") {
		t.Errorf("pcap download: %d %s", r.code, r.stdout)
	}
	// unknown machine: API error
	r = cli(t, env, "joelab", "machine", "info", "--machine", "nope")
	if r.code < 100 {
		t.Errorf("unknown machine: %d %s", r.code, r.stdout)
	}
	noViolations(t, srv)
}
