package jbxtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/gen"
)

type postFn func(ctx context.Context, contentType string, body io.Reader, reqEditors ...gen.RequestEditorFn) (*http.Response, error)

// fx is a server with the generated client pointed at it.
type fx struct {
	t   *testing.T
	srv *jbxtest.Server
	cl  *gen.Client
	key string
	ops map[string]postFn
}

func newFx(t *testing.T, opts ...jbxtest.Option) *fx {
	t.Helper()
	srv := jbxtest.NewServer(t, append([]jbxtest.Option{jbxtest.WithResponseValidation()}, opts...)...)
	cl, err := gen.NewClient(srv.URL())
	require.NoError(t, err)
	f := &fx{t: t, srv: srv, cl: cl, key: srv.APIKey()}
	f.ops = map[string]postFn{
		"/v2/server/online":                    cl.ServerOnlineWithBody,
		"/v2/server/info":                      cl.ServerInfoWithBody,
		"/v2/server/systems":                   cl.ServerSystemsWithBody,
		"/v2/server/lia_countries":             cl.ServerLiaCountriesWithBody,
		"/v2/server/languages_and_locales":     cl.ServerLanguagesAndLocalesWithBody,
		"/v2/account/info":                     cl.AccountInfoWithBody,
		"/v2/submission/new":                   cl.SubmissionNewWithBody,
		"/v2/submission/chunked-sample":        cl.SubmissionChunkedSampleWithBody,
		"/v2/submission/info":                  cl.SubmissionInfoWithBody,
		"/v2/submission/delete":                cl.SubmissionDeleteWithBody,
		"/v2/submission/list":                  cl.SubmissionListWithBody,
		"/v2/analysis/list":                    cl.AnalysisListWithBody,
		"/v2/analysis/info":                    cl.AnalysisInfoWithBody,
		"/v2/analysis/delete":                  cl.AnalysisDeleteWithBody,
		"/v2/analysis/search":                  cl.AnalysisSearchWithBody,
		"/v2/analysis/download":                cl.AnalysisDownloadWithBody,
		"/v2/joelab/machine/info":              cl.JoelabMachineInfoWithBody,
		"/v2/joelab/images/list":               cl.JoelabImagesListWithBody,
		"/v2/joelab/images/capture":            cl.JoelabImagesCaptureWithBody,
		"/v2/joelab/images/reset":              cl.JoelabImagesResetWithBody,
		"/v2/joelab/filesystem/upload":         cl.JoelabFilesystemUploadWithBody,
		"/v2/joelab/filesystem/upload-chunked": cl.JoelabFilesystemUploadChunkedWithBody,
		"/v2/joelab/filesystem/download":       cl.JoelabFilesystemDownloadWithBody,
		"/v2/joelab/network/info":              cl.JoelabNetworkInfoWithBody,
		"/v2/joelab/network/update":            cl.JoelabNetworkUpdateWithBody,
		"/v2/joelab/pcap/start":                cl.JoelabPcapStartWithBody,
		"/v2/joelab/pcap/stop":                 cl.JoelabPcapStopWithBody,
		"/v2/joelab/pcap/download":             cl.JoelabPcapDownloadWithBody,
		"/v2/joelab/internet-exitpoints/list":  cl.JoelabInternetExitpointsListWithBody,
	}
	return f
}

// body is an encoded request body.
type body struct {
	ct string
	r  []byte
}

// form encodes key/value pairs in order, repeated keys allowed.
func form(kv ...string) body {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if sb.Len() > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return body{ct: "application/x-www-form-urlencoded", r: []byte(sb.String())}
}

// part is a multipart field; a non-nil data makes it a file part.
type part struct {
	name, value, filename string
	data                  []byte
}

func field(name, value string) part { return part{name: name, value: value} }
func file(name, filename string, data []byte) part {
	return part{name: name, filename: filename, data: data}
}

func mp(parts ...part) body {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.data != nil {
			w, _ := mw.CreateFormFile(p.name, p.filename)
			_, _ = w.Write(p.data)
			continue
		}
		_ = mw.WriteField(p.name, p.value)
	}
	_ = mw.Close()
	return body{ct: mw.FormDataContentType(), r: buf.Bytes()}
}

// do sends a body to an endpoint through the generated client.
func (f *fx) do(path string, b body) (*http.Response, []byte) {
	f.t.Helper()
	fn := f.ops[path]
	require.NotNil(f.t, fn, "no client method for %s", path)
	resp, err := fn(context.Background(), b.ct, bytes.NewReader(b.r))
	require.NoError(f.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp, data
}

// ok sends a urlencoded form with the API key and expects success; it
// returns the raw "data".
func (f *fx) ok(path string, kv ...string) json.RawMessage {
	f.t.Helper()
	resp, data := f.do(path, form(append([]string{"apikey", f.key}, kv...)...))
	require.Equal(f.t, http.StatusOK, resp.StatusCode, "%s: %s", path, data)
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	require.NoError(f.t, json.Unmarshal(data, &env), string(data))
	require.NotNil(f.t, env.Data, string(data))
	return env.Data
}

// fail sends a body and expects an API error; it returns status, code and
// message.
func (f *fx) fail(path string, b body) (int, int, string) {
	f.t.Helper()
	resp, data := f.do(path, b)
	require.GreaterOrEqual(f.t, resp.StatusCode, 400, "%s: %s", path, data)
	var e gen.ErrorResponse
	require.NoError(f.t, json.Unmarshal(data, &e), string(data))
	require.NotEmpty(f.t, e.Errors, string(data))
	return resp.StatusCode, e.Errors[0].Code, e.Errors[0].Message
}

func (f *fx) noViolations() {
	f.t.Helper()
	require.Empty(f.t, f.srv.Violations())
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), string(raw))
	return v
}

// submitURL submits a URL analysis and returns the submission id.
func (f *fx) submitURL(u string, extra ...string) string {
	f.t.Helper()
	raw := f.ok("/v2/submission/new", append([]string{"accept-tac", "1", "url", u}, extra...)...)
	return decode[gen.SubmissionNewResult](f.t, raw).SubmissionID
}

// submitFile submits a file sample (multipart) and returns the submission id.
func (f *fx) submitFile(name string, data []byte, extra ...part) string {
	f.t.Helper()
	parts := append([]part{field("apikey", f.key), field("accept-tac", "1")}, extra...)
	parts = append(parts, file("sample", name, data))
	resp, raw := f.do("/v2/submission/new", mp(parts...))
	require.Equal(f.t, http.StatusOK, resp.StatusCode, string(raw))
	var env gen.SubmissionNewEnvelope
	require.NoError(f.t, json.Unmarshal(raw, &env))
	return env.Data.SubmissionID
}

func (f *fx) submission(id string) gen.Submission {
	f.t.Helper()
	return decode[gen.Submission](f.t, f.ok("/v2/submission/info", "submission_id", id))
}

// parseParts decodes a multipart body built by mp.
func parseParts(b body) []part {
	_, params, _ := mime.ParseMediaType(b.ct)
	mr := multipart.NewReader(bytes.NewReader(b.r), params["boundary"])
	var out []part
	for {
		p, err := mr.NextPart()
		if err != nil {
			return out
		}
		data, _ := io.ReadAll(p)
		if p.FileName() != "" {
			out = append(out, file(p.FormName(), p.FileName(), data))
		} else {
			out = append(out, field(p.FormName(), string(data)))
		}
	}
}

func newMultipartWriter(w io.Writer) *multipart.Writer { return multipart.NewWriter(w) }
