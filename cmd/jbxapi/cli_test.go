package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

type result struct {
	code   int
	stdout string
	stderr string
}

// json decodes stdout (one document).
func (r result) json(t *testing.T) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return v
}

func (r result) object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("stdout is not an object: %s", r.stdout)
	}
	return m
}

// cli runs the command line in process with env (nil: none).
func cli(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(context.Background(), &out, &errOut, func(k string) string { return env[k] })
	a.clientOpts = []client.Option{client.WithRetries(0)}
	code := a.main(args)
	r := result{code: code, stdout: out.String(), stderr: errOut.String()}
	// nothing but one or more whole JSON documents on stdout
	joined := " " + strings.Join(args, " ") + " "
	notJSON := false
	for _, s := range []string{" table ", " completion ", " --version ", " --help ", " -h "} {
		notJSON = notJSON || strings.Contains(joined, s)
	}
	if r.stdout != "" && !notJSON {
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
		}
	}
	return r
}

func newServer(t *testing.T, opts ...jbxtest.Option) (*jbxtest.Server, map[string]string) {
	srv := jbxtest.NewServer(t, opts...)
	return srv, map[string]string{"JBX_API_URL": srv.URL(), "JBX_API_KEY": srv.APIKey(), "JBX_ACCEPT_TAC": "1"}
}

// common returns the common flags naming srv.
func common(srv *jbxtest.Server) []string {
	return []string{"--apiurl", srv.URL(), "--apikey", srv.APIKey()}
}

func lastRequest(t *testing.T, srv *jbxtest.Server) jbxtest.Request {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request")
	}
	return reqs[len(reqs)-1]
}

func noViolations(t *testing.T, srv *jbxtest.Server) {
	t.Helper()
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("contract violations: %+v", v)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"analysis", "info", "--version"}, {"--apikey", "x", "--version", "bogus"}} {
		r := cli(t, nil, args...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != client.Version {
			t.Errorf("%v: code %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{},
		{"bogus"},
		{"analysis"},
		{"analysis", "bogus"},
		{"analysis", "info"},
		{"analysis", "info", "1", "2"},
		{"analysis", "info", "1", "--bogus"},
		{"submit"},
		{"submit", "x", "--url", "--sample-url"},
		{"submit", "x", "--cookbook", "c", "--command-line"},
		{"submit", "x", "--analysis-time", "ten"},
		{"submit", "x", "--delafter", "x"},
		{"submit", "x", "--priority", "1.5"},
		{"submit", "x", "--param", "a"},
		{"submit", "x", "--internet=maybe"},
		{"analysis", "report", "1", "--run", "x"},
		{"joelab", "machine", "info"},
		{"server", "online", "--output", "xml"},
	}
	for _, args := range tests {
		r := cli(t, nil, args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "Usage:") || !strings.Contains(r.stderr, "error:") {
			t.Errorf("%q: code %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	r := cli(t, nil, "submit", "--help")
	if r.code != 0 {
		t.Fatalf("code %d", r.code)
	}
	for _, want := range []string{"--internet", "--jobs", "--wait", "--lia", "--param", "--system"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("submit --help lacks %s", want)
		}
	}
	r = cli(t, nil, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion bash: %d %q", r.code, r.stderr)
	}
}

// TestSimpleCommands checks each command without side effects: the endpoint,
// the form, the exit code and that stdout is the server's data.
func TestSimpleCommands(t *testing.T) {
	srv, env := newServer(t)
	webids := srv.SeedAnalyses(2)
	subID := submitURL(t, env)
	tests := []struct {
		args []string
		path string
		form map[string]string
		kind string // "object", "list"
	}{
		{[]string{"server", "online"}, "/v2/server/online", nil, "object"},
		{[]string{"server", "info"}, "/v2/server/info", nil, "object"},
		{[]string{"server", "systems"}, "/v2/server/systems", nil, "list"},
		{[]string{"server", "lia_countries"}, "/v2/server/lia_countries", nil, "list"},
		{[]string{"server", "languages_and_locales"}, "/v2/server/languages_and_locales", nil, "list"},
		{[]string{"account", "info"}, "/v2/account/info", nil, "object"},
		{[]string{"analysis", "list"}, "/v2/analysis/list", map[string]string{"pagination": "1"}, "list"},
		{[]string{"analysis", "info", webids[0]}, "/v2/analysis/info", map[string]string{"webid": webids[0]}, "object"},
		{[]string{"analysis", "search", "seed"}, "/v2/analysis/search", map[string]string{"q": "seed"}, "list"},
		{[]string{"submission", "list"}, "/v2/submission/list", nil, "list"},
		{[]string{"submission", "list", "--include-shared"}, "/v2/submission/list", map[string]string{"include-shared": "1"}, "list"},
		{[]string{"submission", "list", "--include-shared", "--no-include-shared"}, "/v2/submission/list", map[string]string{"include-shared": "0"}, "list"},
		{[]string{"submission", "info", subID}, "/v2/submission/info", map[string]string{"submission_id": subID}, "object"},
		{[]string{"joelab", "machine", "info", "--machine", "lab1"}, "/v2/joelab/machine/info", map[string]string{"machine": "lab1"}, "object"},
		{[]string{"joelab", "images", "list", "--machine", "lab1"}, "/v2/joelab/images/list", map[string]string{"machine": "lab1"}, "list"},
		{[]string{"joelab", "network", "info", "--machine", "lab1"}, "/v2/joelab/network/info", map[string]string{"machine": "lab1"}, "object"},
		{[]string{"joelab", "internet-exitpoints", "list"}, "/v2/joelab/internet-exitpoints/list", nil, "list"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			// both flag positions
			for _, args := range [][]string{append(common(srv), tt.args...), append(append([]string{}, tt.args...), common(srv)...)} {
				r := cli(t, nil, args...)
				if r.code != 0 {
					t.Fatalf("%q: code %d\n%s%s", args, r.code, r.stdout, r.stderr)
				}
				switch tt.kind {
				case "object":
					r.object(t)
				case "list":
					if _, ok := r.json(t).([]any); !ok {
						t.Errorf("not a list: %s", r.stdout)
					}
				}
				req := lastRequest(t, srv)
				if req.Path != tt.path {
					t.Errorf("path %s, want %s", req.Path, tt.path)
				}
				if req.Form.Get("apikey") != srv.APIKey() {
					t.Errorf("apikey %q", req.Form.Get("apikey"))
				}
				if ua := req.Header["User-Agent"]; len(ua) != 1 || ua[0] != "CLI (jbxapi-go/"+client.Version+")" {
					t.Errorf("User-Agent %q", ua)
				}
				for k, v := range tt.form {
					if got := req.Form.Get(k); got != v {
						t.Errorf("form %s=%q, want %q", k, got, v)
					}
				}
				if tt.form == nil || tt.form["include-shared"] == "" {
					if req.Form.Has("include-shared") {
						t.Errorf("include-shared sent: %v", req.Form)
					}
				}
			}
		})
	}
	noViolations(t, srv)
}

// submitURL submits a URL and returns the submission id.
func submitURL(t *testing.T, env map[string]string) string {
	t.Helper()
	r := cli(t, env, "submit", "--url", "https://example.com")
	if r.code != 0 {
		t.Fatalf("submit: %d %s %s", r.code, r.stdout, r.stderr)
	}
	id, _ := r.object(t)["submission_id"].(string)
	if id == "" {
		t.Fatalf("no submission_id: %s", r.stdout)
	}
	return id
}

func TestOutputExactJSON(t *testing.T) {
	srv, env := newServer(t)
	r := cli(t, env, "server", "online")
	if r.code != 0 || r.stdout != "{\n    \"online\": true\n}\n" {
		t.Errorf("server online: %d %q", r.code, r.stdout)
	}
	webid := srv.SeedAnalyses(1)[0]
	r = cli(t, env, "analysis", "info", webid)
	wantJSON := rawData(t, srv, "/v2/analysis/info", url.Values{"webid": {webid}})
	if r.stdout != string(wantJSON) {
		t.Errorf("analysis info:\n%s\nwant\n%s", r.stdout, wantJSON)
	}
	if strings.Contains(r.stdout, "\n  \"") || !strings.Contains(r.stdout, "\n    \"webid\": ") {
		t.Errorf("not indented by 4: %s", r.stdout)
	}
}

// rawData asks the server directly and returns its "data" as the official
// command line prints it.
func rawData(t *testing.T, srv *jbxtest.Server, path string, form url.Values) string {
	t.Helper()
	form.Set("apikey", srv.APIKey())
	resp, err := http.PostForm(srv.URL()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Data json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	out, err := pyJSON(env.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestTableOutput(t *testing.T) {
	srv, env := newServer(t)
	webids := srv.SeedAnalyses(2)
	r := cli(t, env, "analysis", "list", "--output", "table")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "WEBID") || !strings.Contains(r.stdout, webids[1]) {
		t.Errorf("table: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = cli(t, env, "analysis", "info", webids[0], "-o", "table")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "KEY") || !strings.Contains(r.stdout, "webid") {
		t.Errorf("table: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestAPIError(t *testing.T) {
	srv, env := newServer(t)
	// unknown analysis: code 2? whatever the server says, 100+code and the raw object
	r := cli(t, env, "analysis", "info", "999999")
	obj := r.object(t)
	code, _ := obj["code"].(json.Number).Int64()
	if r.code != 100+int(code) || obj["message"] == nil {
		t.Errorf("code %d, stdout %s", r.code, r.stdout)
	}
	// wrong key: code 4 → 104
	r = cli(t, nil, "--apiurl", srv.URL(), "--apikey", "bad", "server", "info")
	if r.code != 104 || r.object(t)["code"].(json.Number).String() != "4" {
		t.Errorf("bad key: %d %s", r.code, r.stdout)
	}
	// Joe Sandbox Cloud without accept-tac: code 1 → 101
	r = cli(t, nil, "--apiurl", srv.URL(), "--apikey", srv.APIKey(), "submit", "--url", "https://example.com")
	if r.code != 101 {
		t.Errorf("no tac: %d %s", r.code, r.stdout)
	}
	r = cli(t, nil, "--apiurl", srv.URL(), "--apikey", srv.APIKey(), "submit", "--url", "https://example.com", "--accept-tac")
	if r.code != 0 {
		t.Errorf("--accept-tac: %d %s", r.code, r.stdout)
	}
}

func TestConnectionError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := cli(t, nil, "--apiurl", "http://"+addr+"/api", "--apikey", "k", "server", "online")
	obj := r.object(t)
	if r.code != 3 || obj["code"].(json.Number).String() != "1" || obj["message"] == "" {
		t.Errorf("code %d, %s", r.code, r.stdout)
	}
}

func TestLocalErrors(t *testing.T) {
	_, env := newServer(t)
	missing := filepath.Join(t.TempDir(), "missing.exe")
	for _, args := range [][]string{
		{"submit", missing},
		{"submit", "--cookbook", missing, missing},
		{"joelab", "filesystem", "upload", missing, "--machine", "lab1"},
	} {
		r := cli(t, env, args...)
		obj := r.object(t)
		if r.code != 4 || obj["code"].(json.Number).String() != "1" {
			t.Errorf("%q: code %d, %s", args, r.code, r.stdout)
		}
	}
}

func TestMissingAPIKey(t *testing.T) {
	r := cli(t, nil, "server", "online")
	if r.code != 5 {
		t.Errorf("code %d %s", r.code, r.stdout)
	}
}

func TestEnvironment(t *testing.T) {
	srv, env := newServer(t)
	r := cli(t, env, "submit", "--url", "https://example.com")
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stdout)
	}
	req := lastRequest(t, srv)
	if req.Form.Get("accept-tac") != "1" || req.Form.Get("url") != "https://example.com" {
		t.Errorf("form %v", req.Form)
	}
	// --apiurl beats JBX_API_URL
	env["JBX_API_URL"] = "http://127.0.0.1:1/api"
	r = cli(t, env, "server", "online", "--apiurl", srv.URL())
	if r.code != 0 {
		t.Errorf("%d %s", r.code, r.stdout)
	}
}
