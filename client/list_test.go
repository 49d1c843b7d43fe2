package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jbx-go/jbxapi/internal/aeszip"
)

func pagedServer(t *testing.T, pages int) *fake {
	return newFake(t, func(w http.ResponseWriter, r rec, n int) {
		p := 1
		if tok := r.Form.Get("pagination_next"); tok != "" {
			fmt.Sscanf(tok, "tok%d", &p)
		}
		if r.Form.Get("pagination_next") == "bad" {
			writeErr(w, 400, 3, "bad token")
			return
		}
		key := "webid"
		if r.Path == "/v2/submission/list" {
			key = "submission_id"
		}
		body := map[string]any{"data": []any{map[string]any{key: fmt.Sprint(p*10 + 1)}, map[string]any{key: fmt.Sprint(p*10 + 2)}}}
		if p < pages {
			body["pagination"] = map[string]any{"next": fmt.Sprintf("tok%d", p+1)}
		}
		w.Header().Set("Content-Type", "application/json")
		b, _ := jsonMarshal(body)
		w.Write(b)
	})
}

func TestIterators(t *testing.T) {
	f := pagedServer(t, 3)
	c := f.client(t)
	ctx := context.Background()
	all, err := c.ListAnalyses(ctx)
	if err != nil || len(all) != 6 || all[5].Webid != "32" {
		t.Fatal(all, err)
	}
	reqs := f.requests()
	if !reflect.DeepEqual(reqs[0].Form, url.Values{"apikey": {testKey}, "pagination": {"1"}}) ||
		!reflect.DeepEqual(reqs[2].Form, url.Values{"apikey": {testKey}, "pagination": {"1"}, "pagination_next": {"tok3"}}) {
		t.Fatal(reqs[0].Form, reqs[2].Form)
	}
	// Early break: no further page.
	before := len(f.requests())
	for a, err := range c.Analyses(ctx) {
		if err != nil || a.Webid != "11" {
			t.Fatal(a, err)
		}
		break
	}
	for range c.Submissions(ctx, nil) {
		break
	}
	if len(f.requests())-before != 2 {
		t.Fatal("fetched", len(f.requests())-before)
	}
	// Submissions with include-shared: no pagination=1.
	subs, err := c.ListSubmissions(ctx, &SubmissionListOptions{IncludeShared: FlagOn})
	if err != nil || len(subs) != 6 {
		t.Fatal(err)
	}
	last := f.requests()[len(f.requests())-1]
	if !reflect.DeepEqual(last.Form, url.Values{"apikey": {testKey}, "include-shared": {"1"}, "pagination_next": {"tok3"}}) {
		t.Fatal(last.Form)
	}
	if _, next, err := c.SubmissionListPage(ctx, "", nil); err != nil || next != "tok2" {
		t.Fatal(next, err)
	} else if f := f.requests()[len(f.requests())-1].Form; !reflect.DeepEqual(f, url.Values{"apikey": {testKey}}) {
		t.Fatal(f)
	}
	// An error is yielded once and ends the iteration.
	n := 0
	for _, err := range paginate(func(next string) ([]int, string, error) {
		if next == "" {
			return []int{1}, "x", nil
		}
		return nil, "", errors.New("boom")
	}) {
		n++
		if n == 2 && err == nil {
			t.Fatal("no error")
		}
	}
	if n != 2 {
		t.Fatal(n)
	}
	if _, _, err := c.AnalysisListPage(ctx, "bad"); !errors.Is(err, ErrInvalidParameter) {
		t.Fatal(err)
	}
	if _, err := c.ListSubmissions(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A server repeating its token does not loop forever.
	_, err = collect(paginate(func(next string) ([]int, string, error) { return []int{1}, "same", nil }))
	if err == nil {
		t.Fatal("endless loop not detected")
	}
}

func TestDownload(t *testing.T) {
	payload := bytes.Repeat([]byte("report "), 1000)
	var cd string
	short := false
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		if r.Form.Get("webid") == "missing" {
			writeErr(w, 400, 3, "Unknown webid.")
			return
		}
		if cd != "" {
			w.Header().Set("Content-Disposition", cd)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		if short {
			w.Write(payload[:100])
			return
		}
		w.Write(payload)
	})
	c := f.client(t)
	ctx := context.Background()
	for _, tc := range []struct{ cd, want string }{
		{`attachment; filename="report-771703.json";`, "report-771703.json"},
		{`attachment; filename="../../etc/passwd"`, "passwd"},
		{`attachment; filename="..\\..\\x.exe"`, "x.exe"},
		{`attachment; filename=".."`, "html"},
		{`garbage;;;=`, "html"},
		{"", "html"},
	} {
		cd = tc.cd
		var buf bytes.Buffer
		name, n, err := c.AnalysisDownload(ctx, "1", "html", &buf, Run(0))
		if err != nil || name != tc.want || n != int64(len(payload)) || !bytes.Equal(buf.Bytes(), payload) {
			t.Fatalf("%q: %q %d %v", tc.cd, name, n, err)
		}
	}
	want := url.Values{"apikey": {testKey}, "webid": {"1"}, "type": {"html"}, "run": {"0"}}
	if r := f.requests()[0]; !reflect.DeepEqual(r.Form, want) {
		t.Fatal(r.Form)
	}
	if _, _, err := c.AnalysisDownload(ctx, "missing", "html", io.Discard); !errors.Is(err, ErrInvalidParameter) {
		t.Fatal(err)
	}
	short = true
	if _, _, err := c.AnalysisDownload(ctx, "1", "html", io.Discard); err == nil {
		t.Fatal("short body accepted")
	}
	short = false
	if _, _, err := c.AnalysisDownload(ctx, "1", "html", failWriter{}); err == nil || !strings.Contains(err.Error(), "writing") {
		t.Fatal(err)
	}
	// Joe Lab downloads.
	var buf bytes.Buffer
	if n, err := c.JoelabFilesystemDownload(ctx, "m", `C:\a.txt`, &buf); err != nil || n != int64(len(payload)) {
		t.Fatal(err)
	}
	if n, err := c.JoelabPcapDownload(ctx, "m", io.Discard); err != nil || n != int64(len(payload)) {
		t.Fatal(err)
	}
	reqs := f.requests()
	if !reflect.DeepEqual(reqs[len(reqs)-2].Form, url.Values{"apikey": {testKey}, "machine": {"m"}, "path": {`C:\a.txt`}}) ||
		!reflect.DeepEqual(reqs[len(reqs)-1].Form, url.Values{"apikey": {testKey}, "machine": {"m"}}) {
		t.Fatal(reqs[len(reqs)-1])
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDownloadPassword(t *testing.T) {
	plain := []byte(strings.Repeat("secret report ", 500))
	var zipped bytes.Buffer
	if _, err := aeszip.EncryptSingle(&zipped, "report.json", "pw", bytes.NewReader(plain)); err != nil {
		t.Fatal(err)
	}
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		w.Header().Set("Content-Disposition", `attachment; filename="report-1.json";`)
		w.Write(zipped.Bytes())
	})
	c := f.client(t)
	var out bytes.Buffer
	name, n, err := c.AnalysisDownload(context.Background(), "1", "json", &out, Password("pw"))
	if err != nil || name != "report-1.json" || n != int64(len(plain)) || !bytes.Equal(out.Bytes(), plain) {
		t.Fatal(name, n, err)
	}
	out.Reset()
	_, _, err = c.AnalysisDownload(context.Background(), "1", "json", &out, Password("wrong"))
	if !errors.Is(err, ErrWrongPassword) || out.Len() != 0 {
		t.Fatal(err, out.Len())
	}
}

func TestWaitSubmission(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		status := "running"
		if n >= 3 {
			status = "finished"
		}
		if r.Form.Get("submission_id") == "odd" {
			status = "weird"
		}
		writeData(w, map[string]any{"submission_id": r.Form.Get("submission_id"), "status": status})
	})
	c := f.client(t)
	s, err := c.WaitSubmission(context.Background(), "9", &WaitOptions{Interval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	if err != nil || s.Status != StatusFinished || len(f.requests()) != 3 {
		t.Fatal(s, err)
	}
	if _, err := c.WaitSubmission(context.Background(), "odd", nil); err == nil {
		t.Fatal("unknown status accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	f2 := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		writeData(w, map[string]any{"submission_id": "1", "status": "running"})
	})
	if _, err := f2.client(t).WaitSubmission(ctx, "1", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	// 503, 429 with Retry-After, 504, then success.
	f := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		switch n {
		case 1:
			writeErr(w, 503, 5, "maintenance")
		case 2:
			w.Header().Set("Retry-After", "0")
			writeErr(w, 429, 1, "Too many requests")
		case 3:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(504)
		default:
			writeData(w, map[string]any{"queuesize": 1})
		}
	})
	c := f.client(t)
	if _, err := c.ServerInfo(ctx); err != nil || len(f.requests()) != 4 {
		t.Fatal(err, len(f.requests()))
	}
	// Bounded by the retry count: the last error is returned.
	f2 := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeErr(w, 503, 5, "maintenance") })
	if _, err := f2.client(t, WithRetries(1)).ServerInfo(ctx); !errors.Is(err, ErrServerOffline) || len(f2.requests()) != 2 {
		t.Fatal(err)
	}
	// The quota is not retried.
	f3 := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		writeErr(w, 429, 1, "The number of allowed submissions (5) per day have been reached.")
	})
	if _, err := f3.client(t).SubmitURL(ctx, "https://x", nil); !errors.Is(err, ErrQuotaExceeded) || len(f3.requests()) != 1 {
		t.Fatal(err)
	}
	// A long Retry-After is cut short by the context.
	f4 := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		w.Header().Set("Retry-After", "30")
		writeErr(w, 503, 5, "x")
	})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f4.client(t).ServerInfo(cctx); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrServerOffline) {
		t.Fatal(err)
	}
	// Timeouts are retried.
	f5 := newFake(t, func(w http.ResponseWriter, r rec, n int) {
		if n == 1 {
			time.Sleep(200 * time.Millisecond)
		}
		writeData(w, map[string]any{"online": true})
	})
	if ok, err := f5.client(t, WithTimeout(50*time.Millisecond)).ServerOnline(ctx); err != nil || !ok {
		t.Fatal(err)
	}
	c6 := f5.client(t, WithTimeout(time.Nanosecond), WithRetries(0))
	if _, err := c6.ServerOnline(ctx); err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatal(err)
	}
	// Non-replayable bodies are not retried.
	f7 := newFake(t, func(w http.ResponseWriter, r rec, n int) { writeErr(w, 503, 5, "x") })
	if _, err := f7.client(t).SubmitSample(ctx, "s", onlyReader{strings.NewReader("abc")}, nil); err == nil || len(f7.requests()) != 1 {
		t.Fatal(err, len(f7.requests()))
	}
}

func TestRetryAfterAndBackoff(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "-1": 0, "junk": 0, "99999": maxRetryAfter,
		now.Add(5 * time.Second).Format(http.TimeFormat): 5 * time.Second,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
	for i := 1; i < 20; i++ {
		if d := defaultBackoff(i); d <= 0 || d > 30*time.Second {
			t.Fatal(i, d)
		}
	}
}
