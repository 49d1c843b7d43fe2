package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// newForm returns the form of the last submission/new request.
func newForm(t *testing.T, srv *jbxtest.Server) url.Values {
	t.Helper()
	reqs := srv.RequestsTo("/v2/submission/new")
	if len(reqs) == 0 {
		t.Fatal("no submission/new request")
	}
	return reqs[len(reqs)-1].Form
}

func TestSubmitParameters(t *testing.T) {
	// every boolean flag, its twin, and the wire name
	type want map[string][]string
	tests := []struct {
		args []string
		want want
		not  []string // fields that must not be sent
	}{
		{nil, want{"url": {"https://example.com"}, "accept-tac": {"1"}}, []string{"internet-access", "systems[]", "tags[]", "comments", "analysis-time"}},
		{[]string{"--internet"}, want{"internet-access": {"1"}}, nil},
		{[]string{"--no-internet"}, want{"internet-access": {"0"}}, nil},
		{[]string{"--internet", "--no-internet"}, want{"internet-access": {"0"}}, nil},
		{[]string{"--no-internet", "--internet"}, want{"internet-access": {"1"}}, nil},
		{[]string{"--internet=false"}, want{"internet-access": {"0"}}, nil},
		{[]string{"--internet-simulation", "--no-cache"}, want{"internet-simulation": {"1"}, "report-cache": {"0"}}, nil},
		{[]string{"--hca", "--no-dec", "--ssl-inspection", "--no-vbainstr", "--jsinstr", "--no-java", "--net", "--normal-user"},
			want{"hybrid-code-analysis": {"1"}, "hybrid-decompilation": {"0"}, "ssl-inspection": {"1"}, "vba-instrumentation": {"0"},
				"js-instrumentation": {"1"}, "java-jar-tracing": {"0"}, "dotnet-tracing": {"1"}, "start-as-normal-user": {"1"}}, nil},
		{[]string{"--no-unpack"}, want{"archive-no-unpack": {"1"}}, nil},
		{[]string{"--unpack"}, want{"archive-no-unpack": {"0"}}, nil},
		{[]string{"--archive-no-unpack"}, want{"archive-no-unpack": {"1"}}, nil},
		{[]string{"--no-archive-no-unpack"}, want{"archive-no-unpack": {"0"}}, nil},
		{[]string{"--no-unpack", "--no-archive-no-unpack"}, want{"archive-no-unpack": {"0"}}, nil},
		{[]string{"--no-chained-runs"}, want{"disable-chained-runs": {"1"}}, nil},
		{[]string{"--chained-runs"}, want{"disable-chained-runs": {"0"}}, nil},
		{[]string{"--live"}, want{"live-interaction": {"1"}}, nil},
		{[]string{"--no-live-interaction"}, want{"live-interaction": {"0"}}, nil},
		{[]string{"--hypervisor-based-inspection", "--fast-mode", "--no-secondary-results", "--apk-instrumentation", "--no-amsi-unpacking", "--powershell-logging", "--url-reputation"},
			want{"hypervisor-based-inspection": {"1"}, "fast-mode": {"1"}, "secondary-results": {"0"}, "apk-instrumentation": {"1"},
				"amsi-unpacking": {"0"}, "powershell-logging": {"1"}, "url-reputation": {"1"}}, nil},
		{[]string{"--anti-evasion-date", "--no-remote-assistance"}, want{"anti-evasion-date": {"1"}, "remote-assistance": {"0"}}, nil},
		{[]string{"--comments", "hello <b>", "--system", "w7", "--system", "w10", "--tag", "a,b", "--tag", "c"},
			want{"comments": {"hello <b>"}, "systems[]": {"w7", "w10"}, "tags[]": {"a,b", "c"}}, nil},
		{[]string{"--analysis-time", "120", "--delafter", "7", "--priority", "3"},
			want{"analysis-time": {"120"}, "delete-after-days": {"7"}, "priority": {"3"}}, nil},
		{[]string{"--document-password", "pw1"}, want{"office-files-password": {"pw1"}}, nil},
		{[]string{"--office-pw", "pw2"}, want{"office-files-password": {"pw2"}}, nil},
		{[]string{"--archive-password", "ap", "--command-line-argument", "-x", "--system-date", "2020-01-02"},
			want{"archive-password": {"ap"}, "command-line-argument": {"-x"}, "system-date": {"2020-01-02"}}, nil},
		{[]string{"--lia", "DE", "--langloc", "german", "--proxyconfig", "p1", "--browser", "chrome", "--encrypt", "secret"},
			want{"localized-internet-country": {"DE"}, "language-and-locale": {"german"}, "proxy-mode-config": {"p1"}, "browser": {"chrome"}, "encrypt-with-password": {"secret"}}, nil},
		{[]string{"--localized-internet-country", "FR", "--language-and-locale", "french", "--proxy-mode-config", "p2", "--encrypt-with-password", "s2", "--delete-after-days", "2"},
			want{"localized-internet-country": {"FR"}, "language-and-locale": {"french"}, "proxy-mode-config": {"p2"}, "encrypt-with-password": {"s2"}, "delete-after-days": {"2"}}, nil},
		{[]string{"--param", "email-notification", "1", "--param", "tags[]", "x", "--param", "tags[]", "y", "--tag", "z"},
			want{"email-notification": {"1"}, "tags[]": {"x", "y"}}, nil},
		{[]string{"--param", "comments", "--internet"}, want{"comments": {"--internet"}}, []string{"internet-access"}},
	}
	srv, env := newServer(t)
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"submit", "--url"}, tt.args...)
			args = append(args, "https://example.com")
			r := cli(t, env, args...)
			if r.code != 0 {
				t.Fatalf("code %d: %s %s", r.code, r.stdout, r.stderr)
			}
			if _, ok := r.object(t)["submission_id"]; !ok {
				t.Errorf("stdout %s", r.stdout)
			}
			form := newForm(t, srv)
			for k, v := range tt.want {
				if !slices.Equal(form[k], v) {
					t.Errorf("%s = %q, want %q", k, form[k], v)
				}
			}
			for _, k := range tt.not {
				if form.Has(k) {
					t.Errorf("%s sent: %q", k, form[k])
				}
			}
		})
	}
}

func TestSubmitZeroIsSent(t *testing.T) {
	srv, env := newServer(t)
	r := cli(t, env, "submit", "--url", "https://example.com", "--analysis-time", "0")
	// the server refuses 0, but it was sent, as the official client sends it
	if got := newForm(t, srv).Get("analysis-time"); got != "0" {
		t.Errorf("analysis-time=%q (exit %d)", got, r.code)
	}
	if r.code != 100+3 {
		t.Errorf("exit %d", r.code)
	}
}

func TestSubmitModes(t *testing.T) {
	srv, env := newServer(t)
	dir := t.TempDir()
	sample := writeFile(t, filepath.Join(dir, "sample.exe"), "MZ sample")
	cookbook := writeFile(t, filepath.Join(dir, "cb.jbs"), "cookbook")

	r := cli(t, env, "submit", "--sample-url", "https://example.com/x.exe")
	if r.code != 0 || newForm(t, srv).Get("sample-url") != "https://example.com/x.exe" {
		t.Errorf("sample-url: %d %v", r.code, newForm(t, srv))
	}
	r = cli(t, env, "submit", "--command-line", "cmd /c dir")
	if r.code != 0 || newForm(t, srv).Get("command-line") != "cmd /c dir" {
		t.Errorf("command-line: %d %v", r.code, newForm(t, srv))
	}
	// a file: chunked upload under its base name, printed result
	r = cli(t, env, "submit", sample, "--comments", "c1")
	if r.code != 0 {
		t.Fatalf("file: %d %s", r.code, r.stdout)
	}
	form := newForm(t, srv)
	if form.Get("chunked-sample") != "sample.exe" || form.Get("comments") != "c1" {
		t.Errorf("file form: %v", form)
	}
	id := r.object(t)["submission_id"].(string)
	if _, ok := srv.Submission(id); !ok {
		t.Errorf("unknown submission %s", id)
	}
	// with a cookbook: the sample and the cookbook
	r = cli(t, env, "submit", "--cookbook", cookbook, sample)
	if r.code != 0 {
		t.Fatalf("cookbook: %d %s", r.code, r.stdout)
	}
	reqs := srv.RequestsTo("/v2/submission/new")
	last := reqs[len(reqs)-1]
	if cb, ok := last.Files["cookbook"]; !ok || cb.Filename != "cb.jbs" || cb.Size != 8 {
		t.Errorf("cookbook part: %+v", last.Files)
	}
	noViolations(t, srv)
}

func TestSubmitOldServer(t *testing.T) {
	srv, env := newServer(t, jbxtest.WithOldServer())
	sample := writeFile(t, filepath.Join(t.TempDir(), "s.exe"), "MZ")
	r := cli(t, env, "submit", sample)
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stdout)
	}
	reqs := srv.RequestsTo("/v2/submission/new")
	if p, ok := reqs[len(reqs)-1].Files["sample"]; !ok || p.Filename != "s.exe" {
		t.Errorf("classic upload: %+v", reqs[len(reqs)-1].Files)
	}
}

func TestSubmitFolder(t *testing.T) {
	srv, env := newServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.exe"), "b")
	writeFile(t, filepath.Join(dir, "a.exe"), "a")
	writeFile(t, filepath.Join(dir, "sub", "c.exe"), "c")
	writeFile(t, filepath.Join(dir, "sub", "deeper", "d.exe"), "d")

	files, err := walkFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	if want := []string{"a.exe", "b.exe", "sub/c.exe", "sub/deeper/d.exe"}; !slices.Equal(rel, want) {
		t.Errorf("walk order %q, want %q", rel, want)
	}

	for _, jobs := range []string{"1", "3"} {
		srv.ResetRecord()
		r := cli(t, env, "submit", dir, "--jobs", jobs)
		if r.code != 0 {
			t.Fatalf("jobs %s: %d %s %s", jobs, r.code, r.stdout, r.stderr)
		}
		docs := decodeAll(t, r.stdout)
		if len(docs) != 4 {
			t.Errorf("jobs %s: %d documents: %s", jobs, len(docs), r.stdout)
		}
		var names []string
		for _, rq := range srv.RequestsTo("/v2/submission/new") {
			names = append(names, rq.Form.Get("chunked-sample"))
		}
		if jobs == "1" && !slices.Equal(names, []string{"a.exe", "b.exe", "c.exe", "d.exe"}) {
			t.Errorf("order %q", names)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"a.exe", "b.exe", "c.exe", "d.exe"}) {
			t.Errorf("submitted %q", names)
		}
	}
}

func TestSubmitFolderPartialFailure(t *testing.T) {
	srv, env := newServer(t, jbxtest.WithFaults(jbxtest.FaultRule{Path: "/v2/submission/new", OnRequest: 2, Kind: jbxtest.FaultStatus, Status: 500}))
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(dir, n), n)
	}
	r := cli(t, env, "submit", dir, "--jobs", "1")
	if r.code != 106 {
		t.Errorf("code %d, want 106\n%s%s", r.code, r.stdout, r.stderr)
	}
	docs := decodeAll(t, r.stdout)
	if len(docs) != 3 {
		t.Fatalf("%d documents: %s", len(docs), r.stdout)
	}
	if m := docs[1].(map[string]any); m["code"] != json.Number("6") {
		t.Errorf("second document %v", m)
	}
	if !strings.Contains(r.stderr, filepath.Join(dir, "b")) {
		t.Errorf("stderr does not name the file: %q", r.stderr)
	}
	if n := len(srv.RequestsTo("/v2/submission/new")); n != 3 {
		t.Errorf("%d submissions", n)
	}
}

func decodeAll(t *testing.T, s string) []any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []any
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestSubmitWait(t *testing.T) {
	srv, env := newServer(t, jbxtest.WithAnalysisDuration(0))
	dir := t.TempDir()
	sample := writeFile(t, filepath.Join(dir, "s.exe"), "MZ")
	r := cli(t, env, "submit", sample, "--wait", "--interval", "10ms", "--download", "html", "--download", "json", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("%d %s %s", r.code, r.stdout, r.stderr)
	}
	obj := r.object(t)
	if obj["status"] != "finished" {
		t.Errorf("not final: %s", r.stdout)
	}
	analyses, _ := obj["analyses"].([]any)
	if len(analyses) == 0 {
		t.Fatalf("no analyses: %s", r.stdout)
	}
	webid := analyses[0].(map[string]any)["webid"].(string)
	entries, _ := os.ReadDir(filepath.Join(dir, webid))
	if len(entries) != 2 {
		t.Errorf("downloads: %v", entries)
	}
	if len(srv.RequestsTo("/v2/analysis/download")) != 2 {
		t.Errorf("downloads requested: %d", len(srv.RequestsTo("/v2/analysis/download")))
	}
}
