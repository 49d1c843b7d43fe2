package jbxtest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
	"github.com/jbx-go/jbxapi/gen"
)

// chunkBody is chunk index (1-based) of a file of fileSize bytes cut in
// chunkSize pieces; data is the chunk's bytes.
func chunkBody(key, id string, fileSize, chunkSize int64, index int, data []byte) body {
	count := (fileSize + chunkSize - 1) / chunkSize
	return chunkBodyRaw(key, id, fileSize, chunkSize, count, index, int64(len(data)), data)
}

func chunkBodyRaw(key, id string, fileSize, chunkSize, count int64, index int, cur int64, data []byte) body {
	parts := []part{field("apikey", key)}
	if id != "" {
		parts = append(parts, field("submission_id", id))
	}
	parts = append(parts,
		field("file-size", strconv.FormatInt(fileSize, 10)),
		field("chunk-size", strconv.FormatInt(chunkSize, 10)),
		field("chunk-count", strconv.FormatInt(count, 10)),
		field("current-chunk-index", strconv.Itoa(index)),
		field("current-chunk-size", strconv.FormatInt(cur, 10)),
		file("chunk", "chunk", data))
	return mp(parts...)
}

func (f *fx) startChunked(name string) string {
	f.t.Helper()
	return decode[gen.SubmissionNewResult](f.t, f.ok("/v2/submission/new", "accept-tac", "1", "chunked-sample", name, "systems[]", "w7x64_office")).SubmissionID
}

func (f *fx) sendChunk(b body) {
	f.t.Helper()
	resp, data := f.do("/v2/submission/chunked-sample", b)
	require.Equal(f.t, 200, resp.StatusCode, string(data))
}

func TestChunkedUploadAssemblesTheFile(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	file := []byte("0123456789ABCDEFGHIJ!") // 21 bytes: chunks of 8, 8, 5
	id := f.startChunked("big.exe")
	f.sendChunk(chunkBody(f.key, id, 21, 8, 1, file[0:8]))
	assert.Empty(t, f.submission(id).Analyses, "not started before the last chunk")
	f.sendChunk(chunkBody(f.key, id, 21, 8, 1, file[0:8])) // a re-send is fine
	f.sendChunk(chunkBody(f.key, id, 21, 8, 2, file[8:16]))
	assert.Empty(t, f.submission(id).Analyses)
	f.sendChunk(chunkBody(f.key, id, 21, 8, 3, file[16:]))
	s := f.submission(id)
	require.Len(t, s.Analyses, 1)
	sum := sha256.Sum256(file)
	assert.Equal(t, hex.EncodeToString(sum[:]), *s.Analyses[0].SHA256)
	assert.Equal(t, "big.exe", *s.Analyses[0].Filename)
	assert.Equal(t, "w7x64_office", s.Analyses[0].Runs[0].System)
	part, data, ok := f.srv.Upload(s.Analyses[0].Webid)
	require.True(t, ok)
	assert.Equal(t, file, data)
	assert.Equal(t, int64(21), part.Size)
	f.sendChunk(chunkBody(f.key, id, 21, 8, 3, file[16:])) // re-sending the last chunk does not restart
	assert.Len(t, f.submission(id).Analyses, 1)
	f.noViolations()
}

func TestChunkedUploadZeroBytes(t *testing.T) {
	f := newFx(t, jbxtest.WithAnalysisDuration(0))
	id := f.startChunked("empty.txt")
	s := f.submission(id)
	require.Len(t, s.Analyses, 1, "a 0-byte file needs no chunk")
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", *s.Analyses[0].SHA256)
	f.noViolations()
}

func TestChunkedUploadChecks(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 21)
	tests := []struct {
		name string
		pre  []int // chunks sent first, correctly
		b    func(key, id string) body
		msg  string
	}{
		{"wrong index first", nil, func(k, id string) body { return chunkBody(k, id, 21, 8, 2, data[8:16]) }, "expected chunk 1"},
		{"skipped chunk", []int{1}, func(k, id string) body { return chunkBody(k, id, 21, 8, 3, data[16:]) }, "expected chunk 2"},
		{"index out of range", nil, func(k, id string) body { return chunkBody(k, id, 21, 8, 4, data[:5]) }, "current-chunk-index"},
		{"wrong chunk-count", nil, func(k, id string) body { return chunkBodyRaw(k, id, 21, 8, 2, 1, 8, data[:8]) }, "chunk-count"},
		{"short middle chunk", nil, func(k, id string) body { return chunkBody(k, id, 21, 8, 1, data[:7]) }, "current-chunk-size"},
		{"wrong last chunk size", []int{1, 2}, func(k, id string) body { return chunkBody(k, id, 21, 8, 3, data[:4]) }, "current-chunk-size"},
		{"part length differs", nil, func(k, id string) body { return chunkBodyRaw(k, id, 21, 8, 3, 1, 8, data[:6]) }, "bytes received"},
		{"file-size changes", []int{1}, func(k, id string) body { return chunkBodyRaw(k, id, 24, 8, 3, 2, 8, data[:8]) }, "file-size"},
		{"re-send with other bytes", []int{1}, func(k, id string) body { return chunkBody(k, id, 21, 8, 1, []byte("yyyyyyyy")) }, "different content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFx(t, jbxtest.WithAnalysisDuration(0))
			id := f.startChunked("f.bin")
			for _, i := range tt.pre {
				end := min(i*8, 21)
				f.sendChunk(chunkBody(f.key, id, 21, 8, i, data[(i-1)*8:end]))
			}
			status, code, msg := f.fail("/v2/submission/chunked-sample", tt.b(f.key, id))
			assert.Equal(t, 400, status)
			assert.Equal(t, 3, code)
			assert.Contains(t, msg, tt.msg)
			assert.NotEmpty(t, f.srv.Violations())
			if len(tt.pre) > 0 {
				assert.Empty(t, f.submission(id).Analyses, "never starts with chunks missing")
			}
		})
	}
	t.Run("unknown submission", func(t *testing.T) {
		f := newFx(t)
		_, code, _ := f.fail("/v2/submission/chunked-sample", chunkBody(f.key, "424242", 1, 1, 1, []byte("a")))
		assert.Equal(t, 3, code)
	})
	t.Run("submission not chunked", func(t *testing.T) {
		f := newFx(t)
		id := f.submitURL("http://x")
		_, code, _ := f.fail("/v2/submission/chunked-sample", chunkBody(f.key, id, 1, 1, 1, []byte("a")))
		assert.Equal(t, 3, code)
	})
	t.Run("missing fields", func(t *testing.T) {
		f := newFx(t)
		id := f.startChunked("f")
		_, code, msg := f.fail("/v2/submission/chunked-sample", mp(field("apikey", f.key), field("submission_id", id), file("chunk", "c", []byte("a"))))
		assert.Equal(t, 2, code)
		assert.Contains(t, msg, "chunk-count")
	})
}

func TestJoelabChunkedUpload(t *testing.T) {
	f := newFx(t)
	file := []byte("hello joe lab, chunked")
	n := int64(len(file))
	send := func(i int, d []byte) {
		b := chunkBody(f.key, "", n, 10, i, d)
		b = withFields(b, "machine", "lab1", "accept-tac", "1", "path", `C:\x\f.txt`)
		resp, data := f.do("/v2/joelab/filesystem/upload-chunked", b)
		require.Equal(t, 200, resp.StatusCode, string(data))
	}
	send(1, file[:10])
	_, ok := f.srv.JoelabFile("lab1", `C:\x\f.txt`)
	assert.False(t, ok)
	send(2, file[10:20])
	send(2, file[10:20])
	send(3, file[20:])
	got, ok := f.srv.JoelabFile("lab1", `C:\x\f.txt`)
	require.True(t, ok)
	assert.Equal(t, file, got)
	resp, data := f.do("/v2/joelab/filesystem/download", form("apikey", f.key, "machine", "lab1", "path", `C:\x\f.txt`))
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, file, data)
	assert.Equal(t, `attachment; filename="f.txt";`, resp.Header.Get("Content-Disposition"))
	// A wrong chunk is refused.
	b := withFields(chunkBody(f.key, "", n, 10, 3, file[:2]), "machine", "lab1", "accept-tac", "1", "path", "other")
	_, code, _ := f.fail("/v2/joelab/filesystem/upload-chunked", b)
	assert.Equal(t, 3, code)
}

// withFields rebuilds a multipart chunk body with extra fields.
func withFields(b body, kv ...string) body {
	parts := parseParts(b)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append([]part{field(kv[i], kv[i+1])}, parts...)
	}
	return mp(parts...)
}
