package jbxtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/gen"
)

func TestServerEndpointsSucceed(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	sub := f.submitURL("http://example.com/")
	webid := f.submission(sub).Analyses[0].Webid
	tests := []struct {
		path string
		kv   []string
		want string // a substring of the data
	}{
		{"/v2/server/online", nil, `"online":true`},
		{"/v2/server/info", nil, `"queuesize":0`},
		{"/v2/server/systems", nil, `"arch":"ANDROID"`},
		{"/v2/server/lia_countries", nil, `"name":"Germany"`},
		{"/v2/server/languages_and_locales", nil, `"name":"German - Switzerland"`},
		{"/v2/account/info", nil, `"remaining":999`},
		{"/v2/submission/info", []string{"submission_id", sub}, `"status":"finished"`},
		{"/v2/submission/list", []string{"include-shared", "1"}, `"submission_id":"` + sub + `"`},
		{"/v2/analysis/list", []string{"pagination", "1"}, `"webid":"` + webid + `"`},
		{"/v2/analysis/list", nil, `"webid":"` + webid + `"`},
		{"/v2/analysis/info", []string{"webid", webid}, `"filename":"http://example.com/"`},
		{"/v2/analysis/search", []string{"q", "EXAMPLE.com"}, `"webid":"` + webid + `"`},
		{"/v2/joelab/machine/info", []string{"machine", "lab1"}, `"machine":"lab1"`},
		{"/v2/joelab/images/list", []string{"machine", "lab1"}, `"image":"default"`},
		{"/v2/joelab/images/capture", []string{"machine", "lab1", "accept-tac", "1", "image", "snap"}, `"image":"snap"`},
		{"/v2/joelab/images/reset", []string{"machine", "lab1", "accept-tac", "1", "image", "snap"}, `"image":"snap"`},
		{"/v2/joelab/images/reset", []string{"machine", "lab1", "accept-tac", "1"}, `"image":"default"`},
		{"/v2/joelab/network/info", []string{"machine", "lab1"}, `"internet-enabled":true`},
		{"/v2/joelab/network/update", []string{"machine", "lab1", "accept-tac", "1", "internet-enabled", "0"}, `"internet-enabled":false`},
		{"/v2/joelab/network/update", []string{"machine", "lab1", "accept-tac", "1", "internet-exitpoint", "tor"}, `"internet-enabled":false,"internet-exitpoint":"tor"`},
		{"/v2/joelab/pcap/start", []string{"machine", "lab1", "accept-tac", "1"}, `"recording":true`},
		{"/v2/joelab/pcap/stop", []string{"machine", "lab1", "accept-tac", "1"}, `"recording":false`},
		{"/v2/joelab/internet-exitpoints/list", nil, `"name":"direct"`},
		{"/v2/analysis/delete", []string{"webid", webid}, `{}`},
		{"/v2/submission/delete", []string{"submission_id", sub}, `{}`},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/v2/"), func(t *testing.T) {
			data := f.ok(tt.path, tt.kv...)
			assert.Contains(t, string(data), tt.want)
		})
	}
	f.noViolations()
	_, ok := f.srv.Submission(sub)
	assert.False(t, ok, "deleted")
}

func TestServerContractViolations(t *testing.T) {
	f := newFx(t)
	k := f.key
	tests := []struct {
		name       string
		path       string
		b          body
		status     int
		code       int
		msgContain string
	}{
		{"unknown parameter", "/v2/server/online", form("apikey", k, "bogus", "1"), 400, 3, "Unknown parameter bogus."},
		{"missing apikey", "/v2/server/online", form(), 400, 2, "apikey"},
		{"missing webid", "/v2/analysis/info", form("apikey", k), 400, 2, "webid"},
		{"flag not 0/1", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "internet-access", "true"), 400, 3, "internet-access"},
		{"integer not integer", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "analysis-time", "abc"), 400, 3, "analysis-time"},
		{"bad system-date", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "system-date", "1.1.2020"), 400, 3, "system-date"},
		{"systems without brackets", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "systems", "w7"), 400, 3, "Unknown parameter systems."},
		{"generated array encoding", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "systems[][0]", "w7"), 400, 3, "Unknown parameter systems[][0]."},
		{"two subjects", "/v2/submission/new", form("apikey", k, "accept-tac", "1", "url", "http://x", "command-line", "calc"), 400, 3, "exactly one"},
		{"no subject", "/v2/submission/new", form("apikey", k, "accept-tac", "1"), 400, 2, "sample"},
		{"accept-tac not 0/1", "/v2/joelab/pcap/start", form("apikey", k, "machine", "lab1", "accept-tac", "yes"), 400, 3, "accept-tac"},
		{"negative run", "/v2/analysis/download", form("apikey", k, "webid", "1", "type", "html", "run", "-1"), 400, 3, "run"},
		{"repeated scalar", "/v2/analysis/info", form("apikey", k, "webid", "1", "webid", "2"), 400, 3, "webid"},
		{"urlencoded to multipart endpoint", "/v2/joelab/filesystem/upload", form("apikey", k, "machine", "lab1", "accept-tac", "1"), 400, 3, "multipart"},
		{"multipart without file part", "/v2/joelab/filesystem/upload", mp(field("apikey", k), field("machine", "lab1"), field("accept-tac", "1")), 400, 2, "file"},
		{"unknown multipart part", "/v2/submission/new", mp(field("apikey", k), field("accept-tac", "1"), field("bogus", "x"), file("sample", "a.exe", []byte("MZ"))), 400, 3, "Unknown parameter bogus."},
		{"text in file field", "/v2/submission/new", mp(field("apikey", k), field("accept-tac", "1"), field("url", "http://x"), file("comments", "c.txt", []byte("x"))), 400, 3, "comments"},
		{"json body", "/v2/server/online", body{ct: "application/json", r: []byte(`{"apikey":"x"}`)}, 400, 3, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.srv.ResetRecord()
			status, code, msg := f.fail(tt.path, tt.b)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, msg, tt.msgContain)
			v := f.srv.Violations()
			require.Len(t, v, 1)
			assert.Equal(t, tt.path, v[0].Path)
			assert.Equal(t, 1, v[0].Seq)
			reqs := f.srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, code, reqs[0].ErrorCode)
			assert.Equal(t, status, reqs[0].Status)
		})
	}
}

func TestServerMultipartToURLEncodedEndpointIsAnsweredButRecorded(t *testing.T) {
	f := newFx(t)
	resp, data := f.do("/v2/server/online", mp(field("apikey", f.key)))
	require.Equal(t, 200, resp.StatusCode, string(data))
	assert.JSONEq(t, `{"data":{"online":true}}`, string(data))
	v := f.srv.Violations()
	require.Len(t, v, 1)
	assert.Contains(t, v[0].Reason, "multipart")
}

func TestServerUnknownPathAndMethod(t *testing.T) {
	f := newFx(t)
	resp, err := http.Post(f.srv.URL()+"/v2/nope/nothing", "application/x-www-form-urlencoded", strings.NewReader("apikey="+f.key))
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
	assert.JSONEq(t, `{"errors":[{"code":8,"message":"Unknown endpoint."}]}`, string(data))

	resp, err = http.Get(f.srv.URL() + "/v2/server/online?apikey=" + f.key)
	require.NoError(t, err)
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode)
	assert.Contains(t, string(data), `"code":8`)
	assert.Len(t, f.srv.Violations(), 2)
}

func TestServerAPIKey(t *testing.T) {
	f := newFx(t)
	assert.Len(t, f.key, 64)
	status, code, msg := f.fail("/v2/server/online", form("apikey", "wrong"))
	assert.Equal(t, 403, status)
	assert.Equal(t, 4, code)
	assert.NotEmpty(t, msg)
	f.noViolations() // a wrong key is not a contract violation

	any := newFx(t, jbxtest.WithAPIKey(""))
	any.key = "whatever"
	any.ok("/v2/server/online")
	custom := newFx(t, jbxtest.WithAPIKey("secret"))
	assert.Equal(t, "secret", custom.srv.APIKey())
	custom.ok("/v2/server/online")
}

func TestServerCloudNeedsTerms(t *testing.T) {
	f := newFx(t)
	k := f.key
	calls := []struct {
		path string
		b    body
	}{
		{"/v2/submission/new", form("apikey", k, "accept-tac", "0", "url", "http://x")},
		{"/v2/joelab/images/capture", form("apikey", k, "accept-tac", "0", "machine", "lab1")},
		{"/v2/joelab/images/reset", form("apikey", k, "accept-tac", "0", "machine", "lab1")},
		{"/v2/joelab/network/update", form("apikey", k, "accept-tac", "0", "machine", "lab1")},
		{"/v2/joelab/pcap/start", form("apikey", k, "accept-tac", "0", "machine", "lab1")},
		{"/v2/joelab/pcap/stop", form("apikey", k, "accept-tac", "0", "machine", "lab1")},
		{"/v2/joelab/filesystem/upload", mp(field("apikey", k), field("accept-tac", "0"), field("machine", "lab1"), file("file", "a.txt", []byte("a")))},
		{"/v2/joelab/filesystem/upload-chunked", mp(field("apikey", k), field("accept-tac", "0"), field("machine", "lab1"),
			field("file-size", "1"), field("chunk-size", "1"), field("chunk-count", "1"), field("current-chunk-index", "1"), field("current-chunk-size", "1"), file("chunk", "a.txt", []byte("a")))},
	}
	for _, c := range calls {
		t.Run(c.path, func(t *testing.T) {
			status, code, msg := f.fail(c.path, c.b)
			assert.Equal(t, 403, status)
			assert.Equal(t, 1, code)
			assert.Equal(t, "You have to agree to the Terms and Conditions!", msg)
		})
	}
	f.noViolations()
	assert.Equal(t, 0, f.srv.SubmissionCount())
}

func TestServerOnPremise(t *testing.T) {
	f := newFx(t, jbxtest.WithMode(jbxtest.ModeOnPremise))
	// accept-tac is ignored.
	raw := f.ok("/v2/submission/new", "accept-tac", "0", "url", "http://x", "priority", "3")
	assert.Contains(t, string(raw), "submission_id")
	f.ok("/v2/joelab/pcap/start", "accept-tac", "0", "machine", "lab1")
	for _, p := range []string{"delete-after-days", "url-reputation", "proxy-mode-config"} {
		val := "1"
		if p == "proxy-mode-config" {
			val = "corp"
		}
		status, code, msg := f.fail("/v2/submission/new", form("apikey", f.key, "accept-tac", "1", "url", "http://x", p, val))
		assert.Equal(t, 400, status)
		assert.Equal(t, 3, code)
		assert.Equal(t, "Unknown parameter "+p+".", msg)
	}
	status, code, _ := f.fail("/v2/account/info", form("apikey", f.key))
	assert.Equal(t, 404, status)
	assert.Equal(t, 8, code)
	f.noViolations()
}

func TestServerMaintenance(t *testing.T) {
	f := newFx(t)
	f.srv.SetMaintenance(true)
	assert.JSONEq(t, `{"online":false}`, string(f.ok("/v2/server/online")))
	for _, p := range []string{"/v2/server/info", "/v2/analysis/list", "/v2/account/info"} {
		status, code, _ := f.fail(p, form("apikey", f.key))
		assert.Equal(t, 503, status)
		assert.Equal(t, 5, code)
	}
	f.srv.SetMaintenance(false)
	assert.JSONEq(t, `{"online":true}`, string(f.ok("/v2/server/online")))
	f.noViolations()
}

func TestServerOldServer(t *testing.T) {
	f := newFx(t, jbxtest.WithOldServer())
	status, code, msg := f.fail("/v2/submission/new", form("apikey", f.key, "accept-tac", "1", "chunked-sample", "a.exe"))
	assert.Equal(t, 400, status)
	assert.Equal(t, 3, code)
	assert.Equal(t, "Unknown parameter chunked-sample.", msg)
	status, code, _ = f.fail("/v2/joelab/filesystem/upload-chunked", mp(field("apikey", f.key), field("accept-tac", "1"), field("machine", "lab1"),
		field("file-size", "1"), field("chunk-size", "1"), field("chunk-count", "1"), field("current-chunk-index", "1"), field("current-chunk-size", "1"), file("chunk", "a", []byte("a"))))
	assert.Equal(t, 404, status)
	assert.Equal(t, 8, code)
	// The fallbacks work.
	f.submitFile("a.exe", []byte("MZ"))
	f.noViolations()
}

func TestServerLifecycleOnFakeClock(t *testing.T) {
	clk := jbxtest.NewFakeClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	f := newFx(t, jbxtest.WithClock(clk), jbxtest.WithAnalysisDuration(100*time.Second))
	sample := []byte("MZ this is a sample")
	sum := sha256.Sum256(sample)
	id := f.submitFile("Sample.exe", sample,
		field("systems[]", "w10x64_21h1_office"), field("systems[]", "w7x64_office"),
		field("tags[]", "t1"), field("tags[]", "t2"), field("comments", "hello"))
	s := f.submission(id)
	require.Len(t, s.Analyses, 2)
	assert.Equal(t, gen.Status("submitted"), s.Status)
	a := s.Analyses[0]
	assert.Equal(t, gen.Status("submitted"), a.Status)
	assert.Nil(t, a.AnalysisID)
	assert.Nil(t, a.Duration)
	assert.Equal(t, hex.EncodeToString(sum[:]), *a.SHA256)
	assert.Equal(t, "Sample.exe", *a.Filename)
	assert.Equal(t, []string{"t1", "t2"}, a.Tags)
	assert.Equal(t, "hello", *a.Comments)
	assert.Equal(t, "w10x64_21h1_office", a.Runs[0].System)
	assert.Equal(t, "w7x64_office", s.Analyses[1].Runs[0].System)
	assert.Equal(t, gen.Detection("unknown"), *a.Detection)

	clk.Advance(30 * time.Second)
	assert.Equal(t, gen.Status("running"), f.submission(id).Status)
	clk.Advance(70 * time.Second)
	s = f.submission(id)
	assert.Equal(t, gen.Status("finished"), s.Status)
	a = s.Analyses[0]
	require.NotNil(t, a.AnalysisID)
	assert.Equal(t, 100, *a.Duration)
	assert.NotEqual(t, gen.Detection("unknown"), *a.Detection)
	require.NotNil(t, s.MostRelevantAnalysis)
	// Deterministic: the same sample gives the same verdict on another server.
	g := newFx(t, jbxtest.WithAnalysisDuration(0))
	s2 := g.submission(g.submitFile("other.exe", sample))
	assert.Equal(t, *a.Detection, *s2.Analyses[0].Detection)
	assert.Equal(t, *a.Score, *s2.Analyses[0].Score)
	f.noViolations()
	g.noViolations()
}

func TestServerMostRelevantAnalysisIsNullWithoutAnalyses(t *testing.T) {
	f := newFx(t)
	raw := f.ok("/v2/submission/new", "accept-tac", "1", "chunked-sample", "big.exe")
	id := decode[gen.SubmissionNewResult](t, raw).SubmissionID
	// The first chunk withdraws the provisional 0-byte start.
	resp, data := f.do("/v2/submission/chunked-sample", chunkBody(f.key, id, 8, 4, 1, []byte("abcd")))
	require.Equal(t, 200, resp.StatusCode, string(data))
	info := f.ok("/v2/submission/info", "submission_id", id)
	var m map[string]any
	require.NoError(t, json.Unmarshal(info, &m))
	v, present := m["most_relevant_analysis"]
	assert.True(t, present)
	assert.Nil(t, v)
	f.noViolations()
}

func TestServerQuota(t *testing.T) {
	f := newFx(t, jbxtest.WithQuota(2))
	f.submitURL("http://a")
	acc := decode[gen.AccountInfo](t, f.ok("/v2/account/info"))
	assert.Equal(t, 1, *acc.Quota.Daily.Current)
	assert.Equal(t, 1, *acc.Quota.Daily.Remaining)
	assert.Equal(t, 2, *acc.Quota.Daily.Limit)
	f.submitURL("http://b")
	status, code, msg := f.fail("/v2/submission/new", form("apikey", f.key, "accept-tac", "1", "url", "http://c"))
	assert.Equal(t, 429, status)
	assert.Equal(t, 1, code)
	assert.Contains(t, msg, "number of allowed submissions (2) per day have been reached")
	acc = decode[gen.AccountInfo](t, f.ok("/v2/account/info"))
	assert.Equal(t, 0, *acc.Quota.Daily.Remaining)
	f.noViolations()
}

func TestServerSearchAndUnknownIDs(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	sample := []byte("search me")
	sid := f.submitFile("FindMe.DLL", sample, field("comments", "Needle in haystack"))
	a := f.submission(sid).Analyses[0]
	f.submitURL("https://www.Example.org/path")
	for _, q := range []string{*a.MD5, strings.ToUpper(*a.SHA1), *a.SHA256, "findme", "NEEDLE", a.Webid} {
		res := decode[[]gen.Analysis](t, f.ok("/v2/analysis/search", "q", q))
		require.Len(t, res, 1, q)
		assert.Equal(t, a.Webid, res[0].Webid)
		assert.Equal(t, a.SHA256, res[0].SHA256, "full objects")
	}
	res := decode[[]gen.Analysis](t, f.ok("/v2/analysis/search", "q", "example.ORG"))
	require.Len(t, res, 1)
	assert.Empty(t, decode[[]gen.Analysis](t, f.ok("/v2/analysis/search", "q", "nothing-matches")))

	for _, c := range []struct{ path, field string }{
		{"/v2/analysis/info", "webid"}, {"/v2/analysis/delete", "webid"},
		{"/v2/submission/info", "submission_id"}, {"/v2/submission/delete", "submission_id"},
		{"/v2/joelab/machine/info", "machine"},
	} {
		status, code, _ := f.fail(c.path, form("apikey", f.key, c.field, "999999"))
		assert.Equal(t, 400, status, c.path)
		assert.Equal(t, 3, code, c.path)
	}
	f.noViolations()
}

func TestServerDeleteRemovesState(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	sid := f.submitURL("http://x", "systems[]", "w7x64_office", "systems[]", "android13")
	s := f.submission(sid)
	require.Len(t, s.Analyses, 2)
	f.ok("/v2/analysis/delete", "webid", s.Analyses[0].Webid)
	_, ok := f.srv.Analysis(s.Analyses[0].Webid)
	assert.False(t, ok)
	assert.Len(t, f.submission(sid).Analyses, 1)
	f.ok("/v2/submission/delete", "submission_id", sid)
	_, ok = f.srv.Analysis(s.Analyses[1].Webid)
	assert.False(t, ok)
	assert.Equal(t, 0, f.srv.SubmissionCount())
	f.noViolations()
}

func TestServerSubjects(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	tests := []struct {
		name     string
		b        body
		filename string
		hasHash  bool
	}{
		{"url", form("apikey", f.key, "accept-tac", "1", "url", "https://x.test/"), "https://x.test/", false},
		{"sample-url", form("apikey", f.key, "accept-tac", "1", "sample-url", "https://x.test/a.exe"), "https://x.test/a.exe", false},
		{"command-line", form("apikey", f.key, "accept-tac", "1", "command-line", "calc.exe"), "calc.exe", false},
		{"cookbook", mp(field("apikey", f.key), field("accept-tac", "1"), file("cookbook", "my.jbs", []byte("_JBStartAnalysis()"))), "my.jbs", true},
		{"sample with cookbook", mp(field("apikey", f.key), field("accept-tac", "1"), file("sample", "s.exe", []byte("MZ")), file("cookbook", "c.jbs", []byte("x"))), "s.exe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := f.do("/v2/submission/new", tt.b)
			require.Equal(t, 200, resp.StatusCode, string(raw))
			id := decode[gen.SubmissionNewEnvelope](t, raw).Data.SubmissionID
			a := f.submission(id).Analyses[0]
			assert.Equal(t, tt.filename, *a.Filename)
			assert.Equal(t, tt.hasHash, a.SHA256 != nil)
		})
	}
	f.noViolations()
}

func TestServerHandlerAtAnyPrefix(t *testing.T) {
	h := jbxtest.NewHandler(jbxtest.WithResponseValidation())
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, base := range []string{ts.URL + "/joesandbox/index.php/api", ts.URL + "/api"} {
		cl, err := gen.NewClient(base)
		require.NoError(t, err)
		resp, err := cl.ServerOnlineWithBody(context.Background(), "application/x-www-form-urlencoded", strings.NewReader("apikey="+h.APIKey()))
		require.NoError(t, err)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, base)
		assert.JSONEq(t, `{"data":{"online":true}}`, string(data))
	}
	stripped := httptest.NewServer(http.StripPrefix("/x", h))
	defer stripped.Close()
	resp, err := http.Post(stripped.URL+"/x/v2/server/online", "application/x-www-form-urlencoded", strings.NewReader("apikey="+h.APIKey()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, h.Violations())
	assert.Len(t, h.RequestsTo("server/online"), 3)
}

func TestServerRecordsRequests(t *testing.T) {
	f := newFx(t)
	f.submitFile("a.exe", []byte("MZ!"), field("systems[]", "w7x64_office"), field("systems[]", "android13"))
	f.ok("/v2/server/online")
	reqs := f.srv.Requests()
	require.Len(t, reqs, 2)
	r := reqs[0]
	assert.Equal(t, 1, r.Seq)
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v2/submission/new", r.Path)
	assert.Equal(t, "multipart/form-data", r.ContentType)
	assert.Equal(t, []string{"w7x64_office", "android13"}, r.Form["systems[]"])
	assert.Equal(t, f.key, r.Form.Get("apikey"))
	sum := sha256.Sum256([]byte("MZ!"))
	assert.Equal(t, jbxtest.FilePart{Filename: "a.exe", Size: 3, SHA256: hex.EncodeToString(sum[:])}, r.Files["sample"])
	assert.Equal(t, 200, r.Status)
	reqs[0].Form.Set("apikey", "changed")
	assert.Equal(t, f.key, f.srv.Requests()[0].Form.Get("apikey"), "copies")
	assert.Len(t, f.srv.RequestsTo("/v2/server/online"), 1)
	f.srv.ResetRecord()
	assert.Empty(t, f.srv.Requests())
}

func TestServerLogNeverShowsAPIKey(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	lw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	f := newFx(t, jbxtest.WithLogger(slog.New(slog.NewTextHandler(lw, nil))))
	f.ok("/v2/server/online")
	f.fail("/v2/server/online", form("apikey", "wrong-key-123"))
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	assert.Equal(t, 2, strings.Count(out, "\n"))
	assert.Contains(t, out, "path=/v2/server/online")
	assert.NotContains(t, out, f.key)
	assert.NotContains(t, out, "wrong-key-123")
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

func TestServerConcurrentUse(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, _ := gen.NewClient(f.srv.URL())
			b := mp(field("apikey", f.key), field("accept-tac", "1"), file("sample", fmt.Sprintf("s%d.exe", i), []byte(fmt.Sprint(i))))
			resp, err := cl.SubmissionNewWithBody(context.Background(), b.ct, bytes.NewReader(b.r))
			if err == nil {
				resp.Body.Close()
			}
			f.srv.Requests()
		}()
	}
	wg.Wait()
	assert.Equal(t, 16, f.srv.SubmissionCount())
	f.noViolations()
}

func TestConnectionsCountsAcceptedConnections(t *testing.T) {
	srv := jbxtest.NewServer(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	for range 3 {
		resp, err := hc.PostForm(srv.URL()+"/v2/server/online", url.Values{"apikey": {srv.APIKey()}})
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	assert.EqualValues(t, 1, srv.Connections(), "three calls over one kept-alive connection")
	hc.CloseIdleConnections()
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).PostForm(srv.URL()+"/v2/server/online", url.Values{"apikey": {srv.APIKey()}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 2, srv.Connections())
}
