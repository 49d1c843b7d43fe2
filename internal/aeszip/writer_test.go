package aeszip

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	random := make([]byte, 3<<20+17)
	_, err := rand.Read(random)
	require.NoError(t, err)
	text := make([]byte, 5<<20)
	_, err = io.ReadFull(newPatternReader(int64(len(text))), text)
	require.NoError(t, err)

	inputs := []struct {
		name  string
		plain []byte
	}{
		{"empty", nil},
		{"one byte", []byte{'x'}},
		{"small", []byte("<html><body>Joe Sandbox report</body></html>\n")},
		{"3 MiB random", random},
		{"5 MiB text", text},
	}
	methods := map[string]uint16{"stored": zip.Store, "deflated": zip.Deflate}

	for _, in := range inputs {
		for mname, method := range methods {
			t.Run(in.name+"/"+mname, func(t *testing.T) {
				var archive bytes.Buffer
				n, err := EncryptSingle(&archive, "resource.bin", "infected", bytes.NewReader(in.plain), WithMethod(method))
				require.NoError(t, err)
				require.Equal(t, int64(len(in.plain)), n)

				f := onlyFile(t, archive.Bytes())
				assert.Equal(t, uint16(methodAES), f.Method)
				assert.Equal(t, uint64(len(in.plain)), f.UncompressedSize64)
				if method == zip.Store {
					assert.Equal(t, uint64(len(in.plain)+16+2+10), f.CompressedSize64)
				}

				var out bytes.Buffer
				name, n, err := decrypt(archive.Bytes(), "infected", &out)
				require.NoError(t, err)
				assert.Equal(t, "resource.bin", name)
				assert.Equal(t, int64(len(in.plain)), n)
				assert.True(t, bytes.Equal(in.plain, out.Bytes()), "plaintext differs")

				_, n, err = decrypt(archive.Bytes(), "not infected", noWrite{t})
				require.ErrorIs(t, err, ErrWrongPassword)
				assert.Zero(t, n)
			})
		}
	}
}

func TestRoundTripStrengths(t *testing.T) {
	plain := []byte("every key strength, and a verifier")
	for _, s := range []Strength{AES128, AES192, AES256} {
		t.Run(s.String(), func(t *testing.T) {
			archive := encrypt(t, "s.txt", "pw", plain, WithStrength(s))
			ex, ok, err := findAESExtra(onlyFile(t, archive).Extra)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, s, ex.strength)
			_, size := memberData(t, archive)
			// Deflate output of such a short text is longer than the text.
			assert.Greater(t, size, int64(s.saltLen()+verifierLen+macLen))

			var out bytes.Buffer
			_, _, err = decrypt(archive, "pw", &out)
			require.NoError(t, err)
			assert.Equal(t, plain, out.Bytes())
		})
	}
}

func TestEncryptSingleHeaders(t *testing.T) {
	archive := encrypt(t, "rapport-été.html", "pw", []byte("x"))
	f := onlyFile(t, archive)

	assert.Equal(t, "rapport-été.html", f.Name)
	assert.NotZero(t, f.Flags&flagEncrypted, "encrypted flag")
	assert.NotZero(t, f.Flags&flagDescriptor, "data descriptor flag")
	assert.NotZero(t, f.Flags&flagUTF8, "UTF-8 flag")
	assert.Equal(t, uint16(methodAES), f.Method)
	assert.Equal(t, uint16(zipVersionAES), f.ReaderVersion)
	assert.Zero(t, f.CRC32, "AE-2 stores no CRC-32")
	assert.True(t, testTime.Equal(f.Modified), "modified %v", f.Modified)
	assert.Equal(t, os.FileMode(0o644), f.Mode())

	ex, ok, err := findAESExtra(f.Extra)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, aesExtra{version: vendorAE2, vendor: [2]byte{'A', 'E'}, strength: AES256, method: zip.Deflate}, ex)

	ascii := onlyFile(t, encrypt(t, "report.html", "pw", []byte("x")))
	assert.Zero(t, ascii.Flags&flagUTF8)
}

func TestEncryptSingleDeterministic(t *testing.T) {
	plain := bytes.Repeat([]byte("same input "), 300)
	a := encrypt(t, "a", "pw", plain)
	b := encrypt(t, "a", "pw", plain)
	assert.Equal(t, a, b, "same salt and time give the same archive")

	// The default salt is random.
	var c, d bytes.Buffer
	_, err := EncryptSingle(&c, "a", "pw", bytes.NewReader(plain), WithModified(testTime))
	require.NoError(t, err)
	_, err = EncryptSingle(&d, "a", "pw", bytes.NewReader(plain), WithModified(testTime))
	require.NoError(t, err)
	assert.NotEqual(t, c.Bytes(), d.Bytes())
}

func TestEncryptSingleErrors(t *testing.T) {
	cases := []struct {
		name    string
		member  string
		opts    []Option
		wantErr error
	}{
		{"empty name", "", nil, nil},
		{"directory name", "dir/", nil, nil},
		{"long name", string(bytes.Repeat([]byte{'n'}, 1<<16)), nil, nil},
		{"bzip2", "f", []Option{WithMethod(zip.Deflate + 4)}, ErrUnsupportedMethod},
		{"strength 0", "f", []Option{WithStrength(0)}, ErrUnsupportedEncryption},
		{"strength 4", "f", []Option{WithStrength(4)}, ErrUnsupportedEncryption},
		{"AE-3", "f", []Option{withVersion(3)}, ErrUnsupportedEncryption},
		{"bad level", "f", []Option{WithLevel(flate.BestCompression + 1)}, nil},
		{"no randomness", "f", []Option{WithRand(bytes.NewReader(nil))}, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := EncryptSingle(&buf, c.member, "pw", bytes.NewReader([]byte("data")), c.opts...)
			require.Error(t, err)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

func TestEncryptSingleIOErrors(t *testing.T) {
	_, err := EncryptSingle(io.Discard, "f", "pw", errReader{})
	require.ErrorIs(t, err, errBoom)

	for _, limit := range []int{0, 10, 40, 70, 1000, 20000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			_, err := EncryptSingle(&failAfter{n: limit}, "f", "pw", newPatternReader(100_000), WithMethod(zip.Store))
			require.ErrorIs(t, err, errBoom)
		})
	}
}

func TestMSDosTime(t *testing.T) {
	cases := []struct {
		t          time.Time
		date, time uint16
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0x0021, 0},
		{time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 0x0021, 0},
		{time.Date(2024, 5, 17, 10, 30, 42, 0, time.UTC), 44<<9 | 5<<5 | 17, 10<<11 | 30<<5 | 21},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 127<<9 | 12<<5 | 31, 23<<11 | 59<<5 | 29},
	}
	for _, c := range cases {
		d, tm := msDosTime(c.t)
		assert.Equal(t, c.date, d, "%v", c.t)
		assert.Equal(t, c.time, tm, "%v", c.t)
	}
	assert.Empty(t, appendExtTime(nil, time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)))
	assert.Len(t, appendExtTime(nil, testTime), 9)
}

func TestStrengthString(t *testing.T) {
	assert.Equal(t, "AES-128", AES128.String())
	assert.Equal(t, "AES-192", AES192.String())
	assert.Equal(t, "AES-256", AES256.String())
	assert.Equal(t, "Strength(7)", Strength(7).String())
}
