package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// cliKey is a recognisable API key: 64 hex digits, like a real one.
const cliKey = "c0ffee00d15ea5e0ba5eba11decade00f00dfeed0123456789abcdef01234567"

// noKey fails if the output holds the key or any 16-character piece of it.
func noKey(t *testing.T, args []string, r result) {
	t.Helper()
	for i := 0; i+16 <= len(cliKey); i++ {
		if strings.Contains(r.stdout+r.stderr, cliKey[i:i+16]) {
			t.Fatalf("%q printed (part of) the API key:\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
		}
	}
}

// TestCLINeverPrintsKey runs succeeding and failing commands, with the key
// given as a flag and in the environment, against servers that echo the
// key wherever they can, and checks that stdout and stderr never show it.
func TestCLINeverPrintsKey(t *testing.T) {
	srv := jbxtest.NewServer(t, jbxtest.WithAPIKey(cliKey), jbxtest.WithAnalysisDuration(0))
	webids := srv.SeedAnalyses(2)
	echo := func(status int, contentType, body string) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseMultipartForm(1 << 20)
			key := r.FormValue("apikey")
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, strings.ReplaceAll(body, "KEY", key))
		}))
		t.Cleanup(ts.Close)
		return ts.URL + "/api"
	}
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		http.Redirect(w, r, "http://"+r.PostFormValue("apikey")+".invalid/api/v2/server/online", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tlsURL := tlsServer(t)
	sample := filepath.Join(t.TempDir(), "sample.exe")
	if err := os.WriteFile(sample, []byte("MZ sample"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	tests := []struct {
		url  string
		args []string
		ok   bool
	}{
		{srv.URL(), []string{"server", "online"}, true},
		{srv.URL(), []string{"account", "info"}, true},
		{srv.URL(), []string{"analysis", "list"}, true},
		{srv.URL(), []string{"analysis", "info", webids[0]}, true},
		{srv.URL(), []string{"analysis", "download", webids[0], "html", "--dir", dir}, true},
		{srv.URL(), []string{"submit", sample, "--accept-tac"}, true},
		{srv.URL(), []string{"submit", "--url", "https://example.com"}, false}, // terms not accepted
		{srv.URL(), []string{"analysis", "info", "999999"}, false},
		{echo(http.StatusForbidden, "application/json", `{"errors":[{"code":4,"message":"Invalid API key KEY.","key":"KEY"}]}`),
			[]string{"server", "info"}, false},
		{echo(http.StatusOK, "text/html", "<html>"+strings.Repeat("x", 180)+"KEY</html>"), []string{"server", "info"}, false},
		{echo(http.StatusBadGateway, "text/html", "<p>bad gateway for KEY</p>"), []string{"analysis", "list"}, false},
		{redirect.URL + "/api", []string{"server", "online"}, false},
		{closed.URL + "/api", []string{"server", "online"}, false},
		{tlsURL, []string{"server", "online"}, false},
		{srv.URL(), []string{"server", "online", "unexpected-argument"}, false},
		{srv.URL(), []string{"bogus-command"}, false},
		{srv.URL(), []string{"server", "--help"}, true},
	}
	for _, tt := range tests {
		for _, viaEnv := range []bool{false, true} {
			var env map[string]string
			args := tt.args
			if viaEnv {
				env = map[string]string{"JBX_API_URL": tt.url, "JBX_API_KEY": cliKey}
			} else {
				args = append([]string{"--apiurl", tt.url, "--apikey", cliKey}, args...)
			}
			r := cli(t, env, args...)
			if (r.code == 0) != tt.ok {
				t.Errorf("%q: exit code %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
			}
			noKey(t, args, r)
		}
	}
}

// tlsServer serves the fake Joe Sandbox over TLS with httptest's self-signed
// certificate and returns its API URL.
func tlsServer(t *testing.T) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(jbxtest.NewHandler(jbxtest.WithAPIKey(cliKey)))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL + "/api"
}

// TestCLITLS: a self-signed server is refused by default, with a message
// that names --no-check-certificate; with that flag it is accepted.
func TestCLITLS(t *testing.T) {
	url := tlsServer(t)
	r := cli(t, nil, "--apiurl", url, "--apikey", cliKey, "server", "online")
	if r.code != 3 {
		t.Fatalf("exit code %d, want 3 (connection error)\nstdout: %s", r.code, r.stdout)
	}
	msg, _ := r.object(t)["message"].(string)
	if !strings.Contains(msg, "--no-check-certificate") || !strings.Contains(msg, "certificate") {
		t.Errorf("the message does not say how to opt out: %q", msg)
	}

	r = cli(t, nil, "--apiurl", url, "--apikey", cliKey, "--no-check-certificate", "server", "online")
	if r.code != 0 {
		t.Fatalf("--no-check-certificate: exit code %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	var out struct {
		Online bool `json:"online"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !out.Online {
		t.Errorf("stdout %q (%v)", r.stdout, err)
	}
}
