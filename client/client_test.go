package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewConfig(t *testing.T) {
	t.Setenv(EnvAPIKey, "envkey")
	t.Setenv(EnvAPIURL, "https://env.example/api/")
	t.Setenv(EnvAcceptTAC, "1")
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if c.apiKey != "envkey" || c.BaseURL() != "https://env.example/api" || !c.AcceptTAC() {
		t.Fatalf("env not used: %+v", c)
	}
	if c.UserAgent() != "jbxapi-go/"+Version {
		t.Fatal(c.UserAgent())
	}
	c, err = New(WithAPIKey("k"), WithBaseURL("http://h/joesandbox/index.php/api/"), WithAcceptTAC(false), WithUserAgent("My Integration"))
	if err != nil {
		t.Fatal(err)
	}
	if c.apiKey != "k" || c.BaseURL() != "http://h/joesandbox/index.php/api" || c.AcceptTAC() {
		t.Fatalf("options do not win: %+v", c)
	}
	if c.UserAgent() != "My Integration (jbxapi-go/"+Version+")" {
		t.Fatal(c.UserAgent())
	}

	t.Setenv(EnvAPIURL, "")
	t.Setenv(EnvAcceptTAC, "yes")
	c, err = New()
	if err != nil || c.BaseURL() != CloudURL || c.AcceptTAC() {
		t.Fatal(err, c.BaseURL(), c.AcceptTAC())
	}

	bad := map[string][]Option{
		"no key":          {WithAPIKey("")},
		"malformed":       {WithBaseURL("://x")},
		"no scheme":       {WithBaseURL("jbxcloud.joesecurity.org/api")},
		"ftp":             {WithBaseURL("ftp://h/api")},
		"query":           {WithBaseURL("https://h/api?x=1")},
		"userinfo":        {WithBaseURL("https://u:p@h/api")},
		"negative":        {WithRetries(-1)},
		"chunk":           {WithChunkSize(0)},
		"nil http":        {WithHTTPClient(nil)},
		"nil rt":          {WithTransport(nil)},
		"nil proxy":       {WithProxy(nil)},
		"nil proxy url":   {WithProxyURL(nil)},
		"http+transport":  {WithHTTPClient(&http.Client{}), WithTransport(http.DefaultTransport)},
		"http+insecure":   {WithHTTPClient(&http.Client{}), WithInsecureSkipVerify()},
		"transport+proxy": {WithTransport(http.DefaultTransport), WithProxyURL(&url.URL{Scheme: "http", Host: "p"})},
	}
	for name, opts := range bad {
		if _, err := New(opts...); err == nil {
			t.Errorf("%s: want error", name)
		} else if strings.Contains(err.Error(), "u:p") {
			t.Errorf("%s: credentials in error %q", name, err)
		}
	}
	for _, opts := range [][]Option{
		{WithInsecureSkipVerify(), WithProxyURL(&url.URL{Scheme: "http", Host: "p"}), WithTimeout(time.Second), WithLogger(slog.Default())},
		{WithTransport(http.DefaultTransport)},
		{WithHTTPClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }})},
	} {
		if _, err := New(opts...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeData(w, map[string]any{"online": true}) })
	c := f.client(t, WithUserAgent("Integr"))
	ok, err := c.ServerOnline(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ua := f.requests()[0].Header.Get("User-Agent"); ua != "Integr (jbxapi-go/"+Version+")" {
		t.Fatal(ua)
	}
}

// TestWireSimple checks the fields each simple call sends against those the
// official client sends for the same call.
func TestWireSimple(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		switch r.Path {
		case "/v2/server/online":
			writeData(w, map[string]any{"online": true})
		case "/v2/server/systems", "/v2/server/lia_countries", "/v2/server/languages_and_locales",
			"/v2/joelab/internet-exitpoints/list", "/v2/analysis/search", "/v2/joelab/images/list":
			writeData(w, []any{map[string]any{"name": "x", "webid": "1", "status": "finished"}})
		case "/v2/analysis/info":
			writeData(w, map[string]any{"webid": "1", "status": "finished", "future": 1})
		case "/v2/submission/info":
			writeData(w, map[string]any{"submission_id": "5", "status": "running"})
		default:
			writeData(w, map[string]any{})
		}
	})
	ctx := context.Background()
	key := testKey
	for _, tac := range []bool{true, false} {
		c := f.client(t, WithAcceptTAC(tac))
		tv := "0"
		if tac {
			tv = "1"
		}
		tests := []struct {
			name string
			call func() error
			path string
			form url.Values
		}{
			{"ServerOnline", func() error { _, err := c.ServerOnline(ctx); return err }, "/v2/server/online", url.Values{"apikey": {key}}},
			{"ServerInfo", func() error { _, err := c.ServerInfo(ctx); return err }, "/v2/server/info", url.Values{"apikey": {key}}},
			{"ServerSystems", func() error { _, err := c.ServerSystems(ctx); return err }, "/v2/server/systems", url.Values{"apikey": {key}}},
			{"ServerLIACountries", func() error { _, err := c.ServerLIACountries(ctx); return err }, "/v2/server/lia_countries", url.Values{"apikey": {key}}},
			{"ServerLanguagesAndLocales", func() error { _, err := c.ServerLanguagesAndLocales(ctx); return err }, "/v2/server/languages_and_locales", url.Values{"apikey": {key}}},
			{"AccountInfo", func() error { _, err := c.AccountInfo(ctx); return err }, "/v2/account/info", url.Values{"apikey": {key}}},
			{"AnalysisInfo", func() error {
				a, err := c.AnalysisInfo(ctx, "1")
				if err == nil && a.AdditionalProperties["future"] == nil {
					return errors.New("unknown field lost")
				}
				return err
			}, "/v2/analysis/info", url.Values{"apikey": {key}, "webid": {"1"}}},
			{"AnalysisDelete", func() error { _, err := c.AnalysisDelete(ctx, "1"); return err }, "/v2/analysis/delete", url.Values{"apikey": {key}, "webid": {"1"}}},
			{"AnalysisSearch", func() error { _, err := c.AnalysisSearch(ctx, "q x"); return err }, "/v2/analysis/search", url.Values{"apikey": {key}, "q": {"q x"}}},
			{"SubmissionInfo", func() error { _, err := c.SubmissionInfo(ctx, "5"); return err }, "/v2/submission/info", url.Values{"apikey": {key}, "submission_id": {"5"}}},
			{"SubmissionDelete", func() error { _, err := c.SubmissionDelete(ctx, "5"); return err }, "/v2/submission/delete", url.Values{"apikey": {key}, "submission_id": {"5"}}},
			{"JoelabMachineInfo", func() error { _, err := c.JoelabMachineInfo(ctx, "m"); return err }, "/v2/joelab/machine/info", url.Values{"apikey": {key}, "machine": {"m"}}},
			{"JoelabImagesList", func() error { _, err := c.JoelabImagesList(ctx, "m"); return err }, "/v2/joelab/images/list", url.Values{"apikey": {key}, "machine": {"m"}}},
			{"JoelabImagesCapture", func() error { _, err := c.JoelabImagesCapture(ctx, "m", ""); return err }, "/v2/joelab/images/capture", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}}},
			{"JoelabImagesCaptureImage", func() error { _, err := c.JoelabImagesCapture(ctx, "m", "img"); return err }, "/v2/joelab/images/capture", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}, "image": {"img"}}},
			{"JoelabImagesReset", func() error { _, err := c.JoelabImagesReset(ctx, "m", "img"); return err }, "/v2/joelab/images/reset", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}, "image": {"img"}}},
			{"JoelabNetworkInfo", func() error { _, err := c.JoelabNetworkInfo(ctx, "m"); return err }, "/v2/joelab/network/info", url.Values{"apikey": {key}, "machine": {"m"}}},
			{"JoelabNetworkUpdate", func() error {
				_, err := c.JoelabNetworkUpdate(ctx, "m", NetworkSettings{InternetEnabled: Bool(true), InternetExitpoint: "de", Extra: url.Values{"x": {"y"}}})
				return err
			}, "/v2/joelab/network/update", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}, "internet-enabled": {"1"}, "internet-exitpoint": {"de"}, "x": {"y"}}},
			{"JoelabNetworkUpdateUnset", func() error {
				_, err := c.JoelabNetworkUpdate(ctx, "m", NetworkSettings{InternetEnabled: Bool(false)})
				return err
			},
				"/v2/joelab/network/update", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}, "internet-enabled": {"0"}}},
			{"JoelabPcapStart", func() error { _, err := c.JoelabPcapStart(ctx, "m"); return err }, "/v2/joelab/pcap/start", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}}},
			{"JoelabPcapStop", func() error { _, err := c.JoelabPcapStop(ctx, "m"); return err }, "/v2/joelab/pcap/stop", url.Values{"apikey": {key}, "machine": {"m"}, "accept-tac": {tv}}},
			{"JoelabInternetExitpoints", func() error { _, err := c.JoelabInternetExitpoints(ctx); return err }, "/v2/joelab/internet-exitpoints/list", url.Values{"apikey": {key}}},
			{"SubmitURL", func() error {
				_, err := c.SubmitURL(ctx, "https://x", &SubmitParams{SubmissionParameters: SubmissionParameters{Systems: []string{"a", "b"}, InternetAccess: FlagOff, DocumentPassword: "pw"}, Extra: url.Values{"new-param": {"1", "2"}}})
				return err
			}, "/v2/submission/new", url.Values{"apikey": {key}, "accept-tac": {tv}, "url": {"https://x"}, "systems[]": {"a", "b"}, "internet-access": {"0"}, "office-files-password": {"pw"}, "new-param": {"1", "2"}}},
			{"SubmitSampleURL", func() error { _, err := c.SubmitSampleURL(ctx, "https://x/s.exe", nil); return err }, "/v2/submission/new", url.Values{"apikey": {key}, "accept-tac": {tv}, "sample-url": {"https://x/s.exe"}}},
			{"SubmitCommandLine", func() error {
				_, err := c.SubmitCommandLine(ctx, "calc.exe", &SubmitParams{SubmissionParameters: SubmissionParameters{Tags: []string{"t"}, AnalysisTime: 60}})
				return err
			}, "/v2/submission/new", url.Values{"apikey": {key}, "accept-tac": {tv}, "command-line": {"calc.exe"}, "tags[]": {"t"}, "analysis-time": {"60"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(f.requests())
				if err := tt.call(); err != nil {
					t.Fatal(err)
				}
				reqs := f.requests()[before:]
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				r := reqs[0]
				if r.Path != tt.path || r.CT != contentTypeURL {
					t.Fatalf("path %s ct %s", r.Path, r.CT)
				}
				if !reflect.DeepEqual(r.Form, tt.form) {
					t.Fatalf("form\n got %v\nwant %v", r.Form, tt.form)
				}
			})
		}
	}
}

func TestErrorMapping(t *testing.T) {
	type answer struct {
		status int
		code   int
		msg    string
	}
	var cur answer
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeErr(w, cur.status, cur.code, cur.msg) })
	c := f.client(t, WithRetries(0))
	cases := []struct {
		a    answer
		want error
		hint string
	}{
		{answer{400, 2, "Missing parameter webid."}, ErrMissingParameter, ""},
		{answer{400, 3, "Invalid parameter webid."}, ErrInvalidParameter, ""},
		{answer{403, 4, "Invalid API key " + testKey}, ErrInvalidAPIKey, ""},
		{answer{503, 5, "Server offline."}, ErrServerOffline, ""},
		{answer{500, 6, "Internal error."}, ErrInternalServer, ""},
		{answer{403, 7, "Permission denied."}, ErrPermissionDenied, ""},
		{answer{404, 8, "Unknown endpoint."}, ErrUnknownEndpoint, ""},
		{answer{403, 1, "You have to agree to the Terms and Conditions!"}, ErrTermsNotAccepted, "WithAcceptTAC"},
		{answer{429, 1, "The number of allowed submissions (15) per day have been reached."}, ErrQuotaExceeded, "upgrade"},
	}
	all := []error{ErrMissingParameter, ErrInvalidParameter, ErrInvalidAPIKey, ErrServerOffline, ErrInternalServer,
		ErrPermissionDenied, ErrUnknownEndpoint, ErrTermsNotAccepted, ErrQuotaExceeded}
	for _, tc := range cases {
		cur = tc.a
		_, err := c.AnalysisInfo(context.Background(), "1")
		if !errors.Is(err, tc.want) {
			t.Errorf("code %d: %v is not %v", tc.a.code, err, tc.want)
		}
		for _, other := range all {
			if other != tc.want && errors.Is(err, other) {
				t.Errorf("code %d: also matches %v", tc.a.code, other)
			}
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != tc.a.code || ae.HTTPStatus != tc.a.status || len(ae.Raw) == 0 {
			t.Errorf("code %d: %#v", tc.a.code, ae)
		}
		if !strings.Contains(err.Error(), tc.hint) || strings.Contains(err.Error(), testKey) || strings.Contains(string(ae.Raw), testKey) {
			t.Errorf("code %d: bad text %q", tc.a.code, err)
		}
	}
	cur = answer{400, 42, "other"}
	_, err := c.AnalysisInfo(context.Background(), "1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 42 {
		t.Fatal(err)
	}
	for _, s := range all {
		if errors.Is(err, s) {
			t.Errorf("code 42 matches %v", s)
		}
	}
}

func TestUnexpectedResponse(t *testing.T) {
	bodies := []struct {
		status int
		ct     string
		body   string
	}{
		{200, "text/html", "<html>login</html>"},
		{200, "application/json", `{"nodata":1}`},
		{200, "application/json", `not json`},
		{404, "text/html", "<html>Not Found</html>"},
		{500, "application/json", `{"errors":[]}`},
	}
	var i int
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		w.Header().Set("Content-Type", bodies[i].ct)
		w.WriteHeader(bodies[i].status)
		io.WriteString(w, bodies[i].body)
	})
	c := f.client(t, WithRetries(0))
	for i = range bodies {
		_, err := c.ServerInfo(context.Background())
		var ue *UnexpectedResponseError
		if !errors.As(err, &ue) || ue.StatusCode != bodies[i].status || !strings.Contains(err.Error(), "Is the API URL correct?") {
			t.Errorf("%d: %v", i, err)
		}
	}
	// A 2xx answer that does not fit the model.
	f2 := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeData(w, "a string") })
	if _, err := f2.client(t).AnalysisInfo(context.Background(), "1"); err == nil || !strings.Contains(err.Error(), "decoding") {
		t.Fatal(err)
	}
}

func TestConnectionErrorNoKeyLeak(t *testing.T) {
	f := newFake(t, nil)
	f.srv.Close()
	var logs bytes.Buffer
	c := f.client(t, WithRetries(1), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.AnalysisInfo(context.Background(), testKey)
	var ce *ConnectionError
	if !errors.As(err, &ce) || ce.Unwrap() == nil {
		t.Fatalf("%T %v", err, err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Fatalf("key leaked: %q / %q", err, logs.String())
	}
	if !strings.Contains(logs.String(), "/v2/analysis/info") || strings.Count(logs.String(), "jbxapi request") != 2 {
		t.Fatalf("log: %s", logs.String())
	}
	// An error message the server echoes the key in is redacted.
	ce2 := &ConnectionError{Op: "/x", Err: errors.New("bad " + testKey), key: testKey}
	if strings.Contains(ce2.Error(), testKey) {
		t.Fatal(ce2)
	}
}

func TestRedirectToOtherHostRefused(t *testing.T) {
	other := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeData(w, map[string]any{"online": true}) })
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		u := strings.Replace(other.URL(), "127.0.0.1", "localhost", 1) + r.Path
		w.Header().Set("Location", u)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	c := f.client(t)
	_, err := c.ServerOnline(context.Background())
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("%T %v", err, err)
	}
	if len(other.requests()) != 0 || len(f.requests()) != 1 {
		t.Fatal("redirect followed or retried")
	}
	// Same host: followed, with the body re-sent.
	f2 := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		if r.Path == "/v2/old" {
			writeData(w, map[string]any{"online": true})
			return
		}
		w.Header().Set("Location", "/api/v2/old")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	if ok, err := f2.client(t).ServerOnline(context.Background()); err != nil || !ok {
		t.Fatal(err)
	}
	if r := f2.requests(); len(r) != 2 || r[1].Form.Get("apikey") != testKey {
		t.Fatal(r)
	}
}
