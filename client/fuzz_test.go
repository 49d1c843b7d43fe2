package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jbx-go/jbxapi/gen"
)

// fuzzKey is the API key of the fuzz targets. Wherever a fuzzed input holds
// keyMarker, the key is put in its place, so that the targets can check that
// a server echoing the key never gets it into an error.
const (
	fuzzKey   = "5f0c9e2a7b4d41e88c3a6f1d92b7e05c4a8e3f6d1b9c27a04e5d8c3b6a1f9e27"
	keyMarker = "@KEY@"
)

func fuzzClient(tb testing.TB) *Client {
	tb.Helper()
	c, err := New(WithAPIKey(fuzzKey), WithBaseURL("https://jbx.example/api"))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// assertNoKey fails if s holds the key or any 16-character piece of it: a
// truncated key is still a leaked key.
func assertNoKey(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i+16 <= len(fuzzKey); i++ {
		if strings.Contains(s, fuzzKey[i:i+16]) {
			t.Fatalf("%s holds (part of) the API key: %q", what, s)
		}
	}
}

func syntheticResponse(status int, contentType string, body []byte) *http.Response {
	req, _ := http.NewRequest(http.MethodPost, "https://jbx.example/api/v2/analysis/list", nil)
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req}
}

// FuzzResponseEnvelope feeds arbitrary bodies, content types and status codes
// to the decoders of the single request path: decodeJSON for 2xx answers (into
// the paging envelope and into a free-form one) and decodeError for the rest.
// Properties: no panic; a 2xx body that is not a JSON envelope with "data"
// (or comes as text/html) is an *UnexpectedResponseError, one that is decodes
// exactly as encoding/json decodes it, or fails to fit the model; a non-2xx
// answer is an *APIError (with the sentinel of its code) when the body holds
// an "errors" list whose first entry is an error object, else an
// *UnexpectedResponseError; the API key, wherever the server echoes it, is
// in no error string, message, Raw, snippet or content type.
func FuzzResponseEnvelope(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"data":[{"webid":"1","status":"finished"}],"pagination":{"next":"tok-2"}}`), false)
	f.Add(200, "application/json", []byte(`{"data":[]}`), false)
	f.Add(200, "application/json; charset=utf-8", []byte(`{"data":[{"webid":"@KEY@"}],"pagination":{"next":"@KEY@"}}`), true)
	f.Add(200, "application/json", []byte(`{"data":null}`), true)
	f.Add(200, "application/json", []byte(`{"DATA":"x","Pagination":{"Next":1}}`), false)
	f.Add(200, "application/json", []byte(`{"data":"a string"}`), false)
	f.Add(200, "application/json", []byte(`{"nodata":1}`), false)
	f.Add(200, "text/html", []byte(`{"data":[]}`), false)
	f.Add(200, "text/html; charset=@KEY@", []byte("<html><body>login with @KEY@</body></html>"), true)
	f.Add(200, "", []byte(`not json`), false)
	f.Add(204, "application/json", []byte{}, false)
	f.Add(400, "application/json", []byte(`{"errors":[{"code":2,"message":"Missing parameter: apikey."}]}`), false)
	f.Add(403, "application/json", []byte(`{"errors":[{"code":4,"message":"Invalid API key @KEY@."}]}`), false)
	f.Add(429, "application/json", []byte(`{"errors":[{"code":1,"message":"The number of allowed submissions (5) per day have been reached."}]}`), false)
	f.Add(503, "application/json", []byte(`{"errors":[{"code":5,"message":"Server offline"}],"data":null}`), false)
	f.Add(500, "application/json", []byte(`{"errors":[]}`), false)
	f.Add(500, "application/json", []byte(`{"errors":["@KEY@"]}`), false)
	f.Add(502, "text/html", []byte(strings.Repeat("<p>gateway</p>", 12)+"@KEY@ "+strings.Repeat("x", 100)), false)
	f.Add(404, "text/html", []byte("<html>Not Found</html>"), false)
	f.Add(301, "", []byte{}, false)
	f.Add(200, "application/json", []byte(`{"data":[{"webid":"1","runs":[{"detection":"malicious","system":"w10"}]}]}`), true)

	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, freeForm bool) {
		if status < 100 || status > 599 {
			status = 100 + int(uint(status)%500)
		}
		body = bytes.ReplaceAll(body, []byte(keyMarker), []byte(fuzzKey))
		contentType = strings.ReplaceAll(contentType, keyMarker, fuzzKey)
		if strings.ContainsAny(contentType, "\r\n") {
			contentType = "" // not a header value a server can send
		}
		c := fuzzClient(t)
		resp := syntheticResponse(status, contentType, body)
		mt, _, _ := mime.ParseMediaType(contentType)

		var err error
		var out, want any
		if status >= 200 && status < 300 {
			if freeForm {
				out, want = new(map[string]any), new(map[string]any)
			} else {
				out, want = new(gen.AnalysisListPage), new(gen.AnalysisListPage)
			}
			err = c.decodeJSON(resp, out)
			var probe struct {
				Data json.RawMessage `json:"data"`
			}
			envelope := mt != "text/html" && json.Unmarshal(body, &probe) == nil && probe.Data != nil
			var ue *UnexpectedResponseError
			switch {
			case !envelope:
				if !errors.As(err, &ue) {
					t.Fatalf("not an envelope, got %T %v", err, err)
				}
			case err == nil:
				if json.Unmarshal(body, want) != nil {
					t.Fatalf("decoded what encoding/json refuses: %q", body)
				}
				if !reflect.DeepEqual(out, want) {
					t.Fatalf("decoded %+v, encoding/json gives %+v", out, want)
				}
			default:
				if errors.As(err, &ue) {
					t.Fatalf("an envelope reported as unexpected: %v", err)
				}
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					t.Fatalf("a 2xx answer as an API error: %v", err)
				}
				if json.Unmarshal(body, want) == nil {
					t.Fatalf("refused what encoding/json decodes: %v", err)
				}
			}
		} else {
			err = c.decodeError(resp)
			var env struct {
				Errors []json.RawMessage `json:"errors"`
			}
			var first gen.APIError
			isAPI := json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 && json.Unmarshal(env.Errors[0], &first) == nil
			var apiErr *APIError
			var ue *UnexpectedResponseError
			switch {
			case isAPI:
				if !errors.As(err, &apiErr) {
					t.Fatalf("an error envelope, got %T %v", err, err)
				}
				if apiErr.Code != first.Code || apiErr.HTTPStatus != status {
					t.Fatalf("code %d status %d, want %d %d", apiErr.Code, apiErr.HTTPStatus, first.Code, status)
				}
				if s, ok := codeSentinels[first.Code]; ok && !errors.Is(err, s) {
					t.Fatalf("code %d does not match its sentinel: %v", first.Code, err)
				}
				assertNoKey(t, "APIError.Message", apiErr.Message)
				assertNoKey(t, "APIError.Raw", string(apiErr.Raw))
			case !errors.As(err, &ue):
				t.Fatalf("not an error envelope, got %T %v", err, err)
			}
		}
		if err == nil {
			return
		}
		assertNoKey(t, "the error", err.Error())
		var ue *UnexpectedResponseError
		if errors.As(err, &ue) {
			if ue.StatusCode != status {
				t.Fatalf("status %d, want %d", ue.StatusCode, status)
			}
			if len(ue.Snippet) > snippetLen {
				t.Fatalf("snippet of %d bytes", len(ue.Snippet))
			}
			assertNoKey(t, "the snippet", ue.Snippet)
			assertNoKey(t, "the content type", ue.ContentType)
		}
	})
}

// replacedRune reports whether SafeFileName replaces r.
func replacedRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError
}

// checkSafeName asserts the properties of a name returned by fileName or
// SafeFileName.
func checkSafeName(t *testing.T, in, got string) {
	t.Helper()
	switch {
	case got == "" || got == "." || got == "..":
		t.Fatalf("%q: unusable name %q", in, got)
	case strings.ContainsAny(got, `/\`):
		t.Fatalf("%q: %q holds a separator", in, got)
	case strings.IndexFunc(got, unicode.IsControl) >= 0:
		t.Fatalf("%q: %q holds a control character", in, got)
	case strings.IndexFunc(got, func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) >= 0:
		t.Fatalf("%q: %q holds a bidirectional-text control", in, got)
	case !utf8.ValidString(got):
		t.Fatalf("%q: %q is not UTF-8", in, got)
	case !filepath.IsLocal(got):
		t.Fatalf("%q: %q is not local", in, got)
	}
	dir := filepath.Join("downloads", "here")
	p := filepath.Join(dir, got)
	if filepath.Dir(p) != dir {
		t.Fatalf("%q: joined to %s it is %s", in, dir, p)
	}
	if again := SafeFileName(got, "x"); again != got {
		t.Fatalf("%q: not stable: %q then %q", in, got, again)
	}
}

// FuzzContentDispositionFileName checks that the file name a server gives
// in Content-Disposition (or anywhere else, through SafeFileName) comes out
// as a plain, non-empty name that stays inside the folder it is joined to,
// and that a plain name already safe is kept as it is.
func FuzzContentDispositionFileName(f *testing.F) {
	for _, cd := range []string{
		`attachment; filename="report-1001.html"`,
		`attachment; filename=report.json`,
		`attachment; filename="../../etc/passwd"`,
		`attachment; filename="..\..\windows\win.ini"`,
		`attachment; filename=".."`,
		`attachment; filename="."`,
		`attachment; filename="a\"b"`,
		`attachment; filename="a/"`,
		`attachment; filename="/"`,
		`attachment; filename=""`,
		`attachment; filename*=UTF-8''%E2%82%AC%20rates.txt`,
		`attachment; filename*=UTF-8''..%2F..%2Fx`,
		`attachment; filename*=UTF-8''%00%0a.txt`,
		"attachment; filename=\"a\x00b\x7fc\u0085d\u200be\"",
		`attachment; filename="report.html";`,
		`attachment; filename="C:\Users\x\evil.exe"`,
		`attachment; filename="  .. "`,
		`attachment; filename="\u00e9t\u00e9.pdf"`,
		`attachment; filename="` + "\xff\xfe" + `.bin"`,
		`inline`,
		`garbage;;;`,
		``,
	} {
		f.Add(cd, "html")
	}
	f.Add(`attachment; filename="x"`, "../..")
	f.Add(``, "")
	f.Add(``, "..")
	f.Add(``, "a/b\\c")

	f.Fuzz(func(t *testing.T, cd, fallback string) {
		got := fileName(cd, fallback)
		checkSafeName(t, cd, got)
		checkSafeName(t, cd, SafeFileName(cd, fallback))
		// an already safe name is kept
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			if n := params["filename"]; n != "" && filepath.Base(n) == n && filepath.IsLocal(n) &&
				strings.TrimSpace(n) == n && strings.Trim(n, ".") != "" && !strings.ContainsAny(n, `\:`) &&
				utf8.ValidString(n) && strings.IndexFunc(n, replacedRune) < 0 && got != n {
				t.Fatalf("safe name %q became %q", n, got)
			}
		}
	})
}

// percentControls is the documented transformation of escapeQuotes as the
// receiver sees it: control characters (C0 and DEL) become %XX.
func percentControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzMultipartFileName checks the escaping of the file name of an upload:
// read back by mime/multipart, the Content-Disposition file name is the name
// given, except that control characters (which a header cannot carry) arrive
// as %XX, the documented transformation of escapeQuotes. No name can add a
// header or a part, or change the field name or the data.
func FuzzMultipartFileName(f *testing.F) {
	for _, s := range []string{
		"sample.exe", `a"b.doc`, `a\b.doc`, `\"`, `"; name="evil`, "a\r\nContent-Type: text/html\r\n\r\nX",
		"line\nbreak", "%0D%0A", "Résumé €.pdf", "\x00\x01\t", "\xff\xfe", "", " ", `\`, `C:\temp\x.exe`, "../../x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		mb, err := newMultipart(url.Values{"accept-tac": {"1"}}, []part{{field: "sample", filename: name, data: []byte("payload")}})
		if err != nil {
			t.Fatal(err)
		}
		ct, body, _, err := mb.bodyFunc(nil, 0)()
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(body, params["boundary"])
		var parts int
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: the body does not parse: %v", name, err)
			}
			parts++
			data, _ := io.ReadAll(p)
			if p.FormName() == "accept-tac" {
				if string(data) != "1" {
					t.Fatalf("field changed: %q", data)
				}
				continue
			}
			if p.FormName() != "sample" || string(data) != "payload" {
				t.Fatalf("%q: part %q holds %q", name, p.FormName(), data)
			}
			if len(p.Header) != 1 {
				t.Fatalf("%q: headers %v", name, p.Header)
			}
			_, cdp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			if err != nil {
				t.Fatalf("%q: Content-Disposition %q does not parse: %v", name, p.Header.Get("Content-Disposition"), err)
			}
			want := percentControls(name)
			if got := cdp["filename"]; got != want {
				t.Fatalf("file name %q arrives as %q, want %q", name, got, want)
			}
		}
		if parts != 2 {
			t.Fatalf("%q: %d parts", name, parts)
		}
	})
}
