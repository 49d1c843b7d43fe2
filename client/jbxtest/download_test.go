package jbxtest_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/gen"
	"github.com/jbx-go/jbxapi/internal/aeszip"
)

var dispositionRE = regexp.MustCompile(`^attachment; filename="([^"/\\]+)";$`)

func TestDownloadEveryType(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	sample := []byte("MZ\x90\x00 sample bytes")
	sid := f.submitFile("Invoice.exe", sample)
	a := f.submission(sid).Analyses[0]
	for _, typ := range jbxtest.ResourceTypes() {
		t.Run(typ, func(t *testing.T) {
			resp, data := f.do("/v2/analysis/download", form("apikey", f.key, "webid", a.Webid, "type", typ, "run", "0"))
			require.Equal(t, 200, resp.StatusCode, string(data))
			assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
			m := dispositionRE.FindStringSubmatch(resp.Header.Get("Content-Disposition"))
			require.NotNil(t, m, resp.Header.Get("Content-Disposition"))
			assert.Contains(t, m[1], a.Webid)
			assert.Equal(t, fmt.Sprint(len(data)), resp.Header.Get("Content-Length"))
			switch {
			case typ == "sample":
				assert.Equal(t, sample, data)
			case strings.HasSuffix(m[1], ".zip"):
				zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
				require.NoError(t, err)
				assert.NotEmpty(t, zr.File)
			case strings.HasSuffix(m[1], ".pcap"):
				require.GreaterOrEqual(t, len(data), 24)
				assert.Equal(t, uint32(0xa1b2c3d4), binary.LittleEndian.Uint32(data))
			case strings.HasSuffix(m[1], ".json"):
				var rep struct {
					Analysis map[string]any `json:"analysis"`
				}
				require.NoError(t, json.Unmarshal(data, &rep))
				assert.Equal(t, a.Webid, rep.Analysis["webid"])
				assert.Equal(t, *a.SHA256, rep.Analysis["sha256"])
				assert.Equal(t, string(*a.Detection), rep.Analysis["detection"])
			case strings.HasSuffix(m[1], ".html"):
				assert.Contains(t, string(data), "<html")
			case strings.HasSuffix(m[1], ".xml"):
				assert.True(t, strings.HasPrefix(string(data), "<?xml"))
			case strings.HasSuffix(m[1], ".pdf"):
				assert.True(t, strings.HasPrefix(string(data), "%PDF-"))
			}
		})
	}
	resp, _ := f.do("/v2/analysis/download", form("apikey", f.key, "webid", a.Webid, "type", "html"))
	assert.Equal(t, `attachment; filename="report-`+a.Webid+`.html";`, resp.Header.Get("Content-Disposition"))
	f.noViolations()
}

func TestDownloadErrors(t *testing.T) {
	clk := jbxtest.NewFakeClock(time.Unix(1700000000, 0))
	f := newFx(t, jbxtest.WithClock(clk))
	webid := f.submission(f.submitURL("http://x")).Analyses[0].Webid
	tests := []struct {
		name string
		kv   []string
		msg  string
	}{
		{"not finished", []string{"webid", webid, "type", "html"}, "not finished"},
		{"unknown type", []string{"webid", webid, "type", "nonsense"}, "type"},
		{"no sample for URL analyses", []string{"webid", webid, "type", "sample"}, "sample"},
		{"unknown webid", []string{"webid", "77777", "type", "html"}, "webid"},
	}
	for _, tt := range tests {
		status, code, msg := f.fail("/v2/analysis/download", form(append([]string{"apikey", f.key}, tt.kv...)...))
		assert.Equal(t, 400, status, tt.name)
		assert.Equal(t, 3, code, tt.name)
		assert.Contains(t, msg, tt.msg, tt.name)
	}
	clk.Advance(time.Hour)
	_, code, msg := f.fail("/v2/analysis/download", form("apikey", f.key, "webid", webid, "type", "html", "run", "1"))
	assert.Equal(t, 3, code)
	assert.Contains(t, msg, "run")
	f.ok("/v2/server/online")
	f.noViolations()
}

func TestDownloadEncrypted(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	sid := f.submitFile("secret.exe", []byte("MZ secret"), field("encrypt-with-password", "pw123"))
	a := f.submission(sid).Analyses[0]
	assert.True(t, *a.Encrypted)
	for _, typ := range []string{"html", "json", "sample"} {
		resp, data := f.do("/v2/analysis/download", form("apikey", f.key, "webid", a.Webid, "type", typ))
		require.Equal(t, 200, resp.StatusCode)
		m := dispositionRE.FindStringSubmatch(resp.Header.Get("Content-Disposition"))
		require.NotNil(t, m)
		assert.True(t, strings.HasSuffix(m[1], ".zip"))
		var out bytes.Buffer
		name, _, err := aeszip.DecryptSingle(bytes.NewReader(data), int64(len(data)), "pw123", &out)
		require.NoError(t, err, typ)
		assert.Equal(t, strings.TrimSuffix(m[1], ".zip"), name)
		if typ == "sample" {
			assert.Equal(t, "MZ secret", out.String())
		}
		_, _, err = aeszip.DecryptSingle(bytes.NewReader(data), int64(len(data)), "wrong", io.Discard)
		assert.Error(t, err)
	}
	f.noViolations()
}

func TestDownloadLargeResourceIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("large download")
	}
	const size = 256 << 20
	f := newFx(t, jbxtest.WithAnalysisDuration(0), jbxtest.WithResourceSize(size))
	webid := f.srv.SeedAnalyses(1)[0]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := f.cl.AnalysisDownloadWithBody(t.Context(), "application/x-www-form-urlencoded",
		strings.NewReader("apikey="+f.key+"&webid="+webid+"&type=memdumps"))
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	assert.Equal(t, int64(size), n)
	assert.Equal(t, fmt.Sprint(size), resp.Header.Get("Content-Length"))
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32<<20), "allocated while serving 256 MiB")
}

func TestLargeClassicUploadIsNotKept(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0), jbxtest.WithSampleKeepLimit(1<<20))
	pr, pw := io.Pipe()
	ct := make(chan string, 1)
	go func() {
		mw := newMultipartWriter(pw)
		ct <- mw.FormDataContentType()
		_ = mw.WriteField("apikey", f.key)
		_ = mw.WriteField("accept-tac", "1")
		w, _ := mw.CreateFormFile("sample", "huge.bin")
		chunk := bytes.Repeat([]byte{0xAB}, 1<<20)
		for range 64 {
			_, _ = w.Write(chunk)
		}
		_ = mw.Close()
		_ = pw.Close()
	}()
	resp, err := f.cl.SubmissionNewWithBody(t.Context(), <-ct, pr)
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, string(data))
	id := decode[gen.SubmissionNewEnvelope](t, data).Data.SubmissionID
	a := f.submission(id).Analyses[0]
	part, kept, ok := f.srv.Upload(a.Webid)
	require.True(t, ok)
	assert.Nil(t, kept)
	assert.Equal(t, int64(64<<20), part.Size)
	assert.Equal(t, part.SHA256, *a.SHA256)
	_, code, _ := f.fail("/v2/analysis/download", form("apikey", f.key, "webid", a.Webid, "type", "sample"))
	assert.Equal(t, 3, code)
}

func TestPaging(t *testing.T) {
	f := newFx(t, jbxtest.WithPageSize(10))
	webids := f.srv.SeedAnalyses(25)
	require.Len(t, webids, 25)

	for _, path := range []string{"/v2/submission/list", "/v2/analysis/list"} {
		t.Run(path, func(t *testing.T) {
			var got []string
			tok := ""
			pages := 0
			for {
				kv := []string{"apikey", f.key}
				if path == "/v2/analysis/list" {
					kv = append(kv, "pagination", "1")
				}
				if tok != "" {
					kv = append(kv, "pagination_next", tok)
				}
				resp, raw := f.do(path, form(kv...))
				require.Equal(t, 200, resp.StatusCode, string(raw))
				var m map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(raw, &m))
				var items []map[string]any
				require.NoError(t, json.Unmarshal(m["data"], &items))
				for _, it := range items {
					assert.Len(t, it, 1, "list items carry only the id")
					for _, v := range it {
						got = append(got, v.(string))
					}
				}
				pages++
				p, more := m["pagination"]
				if !more {
					assert.Len(t, items, 5)
					break
				}
				assert.Len(t, items, 10)
				var pg gen.Pagination
				require.NoError(t, json.Unmarshal(p, &pg))
				require.NotEmpty(t, pg.Next)
				tok = pg.Next
			}
			assert.Equal(t, 3, pages)
			assert.Len(t, got, 25)
			if path == "/v2/analysis/list" {
				assert.Equal(t, webids[24], got[0], "newest first")
				assert.Equal(t, webids[0], got[24])
			}
		})
	}
	all := decode[[]gen.AnalysisListItem](t, f.ok("/v2/analysis/list"))
	assert.Len(t, all, 25, "without pagination=1 everything")
	_, code, _ := f.fail("/v2/analysis/list", form("apikey", f.key, "pagination", "1", "pagination_next", "garbage"))
	assert.Equal(t, 3, code)
	f.noViolations()
}

func TestFaults(t *testing.T) {
	online := "/v2/server/online"
	t.Run("status", func(t *testing.T) {
		f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{Path: "server/online", OnRequest: 2, Kind: jbxtest.FaultStatus, Status: 502}))
		f.ok(online)
		status, code, _ := f.fail(online, form("apikey", f.key))
		assert.Equal(t, 502, status)
		assert.Equal(t, 6, code)
		f.ok(online)
	})
	t.Run("too many requests", func(t *testing.T) {
		f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{Kind: jbxtest.FaultTooManyRequests, Times: 2, RetryAfter: 1500 * time.Millisecond}))
		for range 2 {
			resp, data := f.do(online, form("apikey", f.key))
			assert.Equal(t, 429, resp.StatusCode)
			assert.Equal(t, "2", resp.Header.Get("Retry-After"))
			assert.Contains(t, string(data), `"errors"`)
		}
		f.ok(online)
	})
	t.Run("html", func(t *testing.T) {
		f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{Path: online, OnRequest: 1, Kind: jbxtest.FaultHTML, Status: 503}))
		resp, data := f.do(online, form("apikey", f.key))
		assert.Equal(t, 503, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		assert.Contains(t, string(data), "<html>")
		f.ok(online)
	})
	t.Run("delay", func(t *testing.T) {
		f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{OnRequest: 1, Kind: jbxtest.FaultDelay, Delay: 150 * time.Millisecond}))
		start := time.Now()
		f.ok(online)
		assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	})
	t.Run("drop connection", func(t *testing.T) {
		f := newFx(t)
		f.srv.AddFault(jbxtest.FaultRule{Path: online, OnRequest: 1, Kind: jbxtest.FaultDropConnection})
		_, err := f.cl.ServerOnlineWithBody(t.Context(), "application/x-www-form-urlencoded", strings.NewReader("apikey="+f.key))
		require.Error(t, err)
		f.ok(online)
		assert.Len(t, f.srv.RequestsTo(online), 2)
	})
	t.Run("truncate body", func(t *testing.T) {
		f := newFx(t, jbxtest.WithAnalysisDuration(0))
		webid := f.srv.SeedAnalyses(1)[0]
		f.srv.AddFault(jbxtest.FaultRule{Path: "analysis/download", OnRequest: 1, Kind: jbxtest.FaultTruncateBody, Bytes: 10})
		resp, err := f.cl.AnalysisDownloadWithBody(t.Context(), "application/x-www-form-urlencoded",
			strings.NewReader("apikey="+f.key+"&webid="+webid+"&type=html"))
		require.NoError(t, err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Len(t, data, 10)
		assert.Greater(t, resp.ContentLength, int64(10))
		resp2, full := f.do("/v2/analysis/download", form("apikey", f.key, "webid", webid, "type", "html"))
		assert.Equal(t, 200, resp2.StatusCode)
		assert.Equal(t, resp.ContentLength, int64(len(full)))
	})
	t.Run("trickle", func(t *testing.T) {
		f := newFx(t, jbxtest.WithFaults(jbxtest.FaultRule{Path: online, Kind: jbxtest.FaultTrickle, Bytes: 4, Delay: 10 * time.Millisecond}))
		start := time.Now()
		data := f.ok(online)
		assert.JSONEq(t, `{"online":true}`, string(data))
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond) // 24 bytes in 6 pieces
	})
}

func TestJoelab(t *testing.T) {
	f := newFx(t, jbxtest.WithMachines("lab1", "lab2"))
	f.ok("/v2/joelab/machine/info", "machine", "lab2")
	_, code, _ := f.fail("/v2/joelab/pcap/download", form("apikey", f.key, "machine", "lab1"))
	assert.Equal(t, 3, code, "no recording yet")
	_, code, _ = f.fail("/v2/joelab/pcap/stop", form("apikey", f.key, "machine", "lab1", "accept-tac", "1"))
	assert.Equal(t, 3, code)
	f.ok("/v2/joelab/pcap/start", "machine", "lab1", "accept-tac", "1")
	assert.True(t, f.srv.JoelabRecording("lab1"))
	f.ok("/v2/joelab/pcap/stop", "machine", "lab1", "accept-tac", "1")
	resp, data := f.do("/v2/joelab/pcap/download", form("apikey", f.key, "machine", "lab1"))
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, uint32(0xa1b2c3d4), binary.LittleEndian.Uint32(data))
	assert.Regexp(t, dispositionRE, resp.Header.Get("Content-Disposition"))

	resp, data = f.do("/v2/joelab/filesystem/upload", mp(field("apikey", f.key), field("accept-tac", "1"), field("machine", "lab1"), file("file", "tool.exe", []byte("MZtool"))))
	require.Equal(t, 200, resp.StatusCode, string(data))
	p := decode[gen.OpenObjectEnvelope](t, data).Data["path"].(string)
	got, ok := f.srv.JoelabFile("lab1", p)
	require.True(t, ok)
	assert.Equal(t, "MZtool", string(got))
	resp, data = f.do("/v2/joelab/filesystem/download", form("apikey", f.key, "machine", "lab1", "path", p))
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "MZtool", string(data))
	_, code, _ = f.fail("/v2/joelab/filesystem/download", form("apikey", f.key, "machine", "lab1", "path", "C:\\nope"))
	assert.Equal(t, 3, code)

	// network update without internet-enabled leaves it unchanged
	f.ok("/v2/joelab/network/update", "machine", "lab1", "accept-tac", "1", "internet-enabled", "0")
	f.ok("/v2/joelab/network/update", "machine", "lab1", "accept-tac", "1", "internet-exitpoint", "vpn-de")
	n := decode[gen.JoelabNetwork](t, f.ok("/v2/joelab/network/info", "machine", "lab1"))
	assert.False(t, *n.InternetEnabled)
	assert.Equal(t, "vpn-de", *n.InternetExitpoint)
	_, code, _ = f.fail("/v2/joelab/network/update", form("apikey", f.key, "machine", "lab1", "accept-tac", "1", "internet-exitpoint", "mars"))
	assert.Equal(t, 3, code)

	f.ok("/v2/joelab/images/capture", "machine", "lab1", "accept-tac", "1")
	imgs := decode[[]gen.JoelabImage](t, f.ok("/v2/joelab/images/list", "machine", "lab1"))
	assert.Len(t, imgs, 2)
	_, code, _ = f.fail("/v2/joelab/images/reset", form("apikey", f.key, "machine", "lab1", "accept-tac", "1", "image", "nope"))
	assert.Equal(t, 3, code)
	_, code, _ = f.fail("/v2/joelab/machine/info", form("apikey", f.key, "machine", "lab9"))
	assert.Equal(t, 3, code)
	f.noViolations()
}

var _ = http.StatusOK
