package aeszip

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// vectorDir holds the archives made by 7-Zip (see its README.md).
const vectorDir = "../../testdata/aeszip"

const (
	htmlName   = "report-1001.html"
	htmlSHA256 = "49595d229e82b9c591c5ef2afa46c702234647cf9f69c994575d3e50ccc37caf"
	binName    = "memdump-1001.bin"
	binSHA256  = "19ae4d63839845d93403069f312db61b795fedbd8cb4d9732510167836994537"
)

// vector is one 7-Zip-made archive.
type vector struct {
	file     string
	password string
	name     string
	sha256   string
	strength Strength
}

var aesVectors = []vector{
	{"aes256-html.zip", "s3cret-pw", htmlName, htmlSHA256, AES256},
	{"aes128-html.zip", "s3cret-pw", htmlName, htmlSHA256, AES128},
	{"aes256-stored-bin.zip", "infected", binName, binSHA256, AES256},
}

func readVector(tb testing.TB, file string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, file))
	require.NoError(tb, err)
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decrypt runs DecryptSingle over an in-memory archive.
func decrypt(archive []byte, password string, w io.Writer) (string, int64, error) {
	return DecryptSingle(bytes.NewReader(archive), int64(len(archive)), password, w)
}

// noWrite is an io.Writer that fails the test if anything is written to it.
type noWrite struct{ tb testing.TB }

func (w noWrite) Write(p []byte) (int, error) {
	w.tb.Errorf("unexpected write of %d bytes", len(p))
	return len(p), nil
}

// fixedRand is a deterministic stand-in for crypto/rand.
type fixedRand struct{ b byte }

func (r *fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
		r.b++
	}
	return len(p), nil
}

var testTime = time.Date(2024, 5, 17, 10, 30, 42, 0, time.UTC)

// encrypt runs EncryptSingle into memory with a fixed salt and time.
func encrypt(tb testing.TB, name, password string, plain []byte, opts ...Option) []byte {
	tb.Helper()
	var buf bytes.Buffer
	opts = append([]Option{WithRand(&fixedRand{}), WithModified(testTime)}, opts...)
	n, err := EncryptSingle(&buf, name, password, bytes.NewReader(plain), opts...)
	require.NoError(tb, err)
	require.Equal(tb, int64(len(plain)), n)
	return buf.Bytes()
}

// memberData returns the offset and length of the (only) member's raw data.
func memberData(tb testing.TB, archive []byte) (off, n int64) {
	tb.Helper()
	f := onlyFile(tb, archive)
	off, err := f.DataOffset()
	require.NoError(tb, err)
	return off, int64(f.CompressedSize64)
}

// centralHeader returns the offset of the first central directory header.
func centralHeader(tb testing.TB, archive []byte) int {
	tb.Helper()
	i := bytes.LastIndex(archive, []byte("PK\x01\x02"))
	require.GreaterOrEqual(tb, i, 0, "no central directory header")
	return i
}

// patchCentral32 overwrites a 32-bit field of the central directory header
// (16: CRC-32, 20: compressed size, 24: uncompressed size).
func patchCentral32(tb testing.TB, archive []byte, field int, v uint32) []byte {
	tb.Helper()
	out := bytes.Clone(archive)
	binary.LittleEndian.PutUint32(out[centralHeader(tb, out)+field:], v)
	return out
}

// patternReader yields n bytes of deterministic, moderately compressible
// data without holding them in memory.
type patternReader struct {
	n     int64
	state uint64
}

func newPatternReader(n int64) *patternReader { return &patternReader{n: n, state: 0x9e3779b97f4a7c15} }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		p[i] = 'a' + byte(r.state>>59) // 32 symbols: about 5 bits of entropy a byte
	}
	r.n -= int64(len(p))
	return len(p), nil
}

var errBoom = errors.New("boom")

// failAfter is a writer that fails once more than n bytes are written.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errBoom
	}
	w.n -= len(p)
	return len(p), nil
}
