package aeszip

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func onlyFile(tb testing.TB, archive []byte) *zip.File {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	require.NoError(tb, err)
	require.Len(tb, zr.File, 1)
	return zr.File[0]
}

func TestDecryptSingleVectors(t *testing.T) {
	html := readVector(t, htmlName)
	require.Equal(t, htmlSHA256, sha256Hex(html))

	for _, v := range aesVectors {
		t.Run(v.file, func(t *testing.T) {
			var out bytes.Buffer
			name, n, err := decrypt(readVector(t, v.file), v.password, &out)
			require.NoError(t, err)
			assert.Equal(t, v.name, name)
			assert.Equal(t, int64(out.Len()), n)
			assert.Equal(t, v.sha256, sha256Hex(out.Bytes()))
			if v.name == htmlName {
				assert.Equal(t, html, out.Bytes())
			}
		})
	}
}

func TestDecryptSingleWrongPassword(t *testing.T) {
	for _, v := range aesVectors {
		for _, pw := range []string{"", "wrong", v.password + "x", "S3cret-pw"} {
			t.Run(v.file+"/"+pw, func(t *testing.T) {
				name, n, err := decrypt(readVector(t, v.file), pw, noWrite{t})
				require.ErrorIs(t, err, ErrWrongPassword)
				assert.Zero(t, n)
				assert.Equal(t, v.name, name, "the name is known even when the password is wrong")
			})
		}
	}
}

func TestDecryptSingleZipCrypto(t *testing.T) {
	name, n, err := decrypt(readVector(t, "zipcrypto-html.zip"), "s3cret-pw", noWrite{t})
	require.ErrorIs(t, err, ErrUnsupportedEncryption)
	assert.Zero(t, n)
	assert.Equal(t, htmlName, name)
}

func TestDecryptSingleTampered(t *testing.T) {
	for _, v := range aesVectors {
		archive := readVector(t, v.file)
		off, size := memberData(t, archive)
		head := int64(v.strength.saltLen() + verifierLen)
		cases := []struct {
			name string
			at   int64 // offset within the member's data
			want error
		}{
			{"first ciphertext byte", head, ErrAuthentication},
			{"middle ciphertext byte", head + (size-head-macLen)/2, ErrAuthentication},
			{"last ciphertext byte", size - macLen - 1, ErrAuthentication},
			{"authentication code", size - 1, ErrAuthentication},
			{"password verifier", head - 1, ErrWrongPassword},
		}
		for _, c := range cases {
			t.Run(v.file+"/"+c.name, func(t *testing.T) {
				bad := bytes.Clone(archive)
				bad[off+c.at] ^= 0x01
				_, n, err := decrypt(bad, v.password, noWrite{t})
				require.ErrorIs(t, err, c.want)
				assert.Zero(t, n)
			})
		}
	}
}

func TestDecryptSingleMemberCount(t *testing.T) {
	aes := readVector(t, "aes256-html.zip")

	twoPlain := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range []string{"a.txt", "b.txt"} {
			w, err := zw.Create(name)
			require.NoError(t, err)
			_, err = w.Write([]byte("hello " + name))
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	twoAES := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		f := onlyFile(t, aes)
		require.NoError(t, zw.Copy(f))
		require.NoError(t, zw.Copy(f))
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	empty := func() []byte {
		var buf bytes.Buffer
		require.NoError(t, zip.NewWriter(&buf).Close())
		return buf.Bytes()
	}
	dirOnly := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		_, err := zw.Create("dir/")
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}

	for name, archive := range map[string][]byte{
		"two plain members":     twoPlain(),
		"two AES members":       twoAES(),
		"no member":             empty(),
		"only a directory":      dirOnly(),
		"two members, own file": mergeArchives(t, encrypt(t, "x", "pw", []byte("x")), encrypt(t, "y", "pw", []byte("y"))),
	} {
		t.Run(name, func(t *testing.T) {
			_, n, err := decrypt(archive, "s3cret-pw", noWrite{t})
			require.ErrorIs(t, err, ErrNotSingleMember)
			assert.Zero(t, n)
		})
	}
}

// mergeArchives copies the members of several archives into one.
func mergeArchives(t *testing.T, archives ...[]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range archives {
		require.NoError(t, zw.Copy(onlyFile(t, a)))
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestDecryptSingleUnencrypted(t *testing.T) {
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "plain.txt", Method: method})
		require.NoError(t, err)
		_, err = w.Write(bytes.Repeat([]byte("not secret "), 1000))
		require.NoError(t, err)
		require.NoError(t, zw.Close())

		var out bytes.Buffer
		name, n, err := decrypt(buf.Bytes(), "any password", &out)
		require.NoError(t, err)
		assert.Equal(t, "plain.txt", name)
		assert.Equal(t, int64(11000), n)
		assert.Equal(t, bytes.Repeat([]byte("not secret "), 1000), out.Bytes())

		// A corrupted CRC-32 is found, though only after the data is out.
		bad := patchCentral32(t, buf.Bytes(), 16, 0x12345678)
		_, _, err = decrypt(bad, "", &bytes.Buffer{})
		require.ErrorIs(t, err, ErrChecksum)
	}
}

func TestDecryptSingleMalformed(t *testing.T) {
	aes := readVector(t, "aes256-html.zip")
	off, size := memberData(t, aes)

	cases := map[string][]byte{
		"empty input":      {},
		"not a zip":        []byte("<html>this is not an archive</html>"),
		"truncated":        aes[:len(aes)-30],
		"cut in the data":  append(bytes.Clone(aes[:off+size/2]), aes[off+size:]...),
		"size too small":   patchCentral32(t, aes, 24, 10),
		"size too large":   patchCentral32(t, aes, 24, 1000),
		"compressed 0":     patchCentral32(t, aes, 20, 0),
		"compressed large": patchCentral32(t, aes, 20, 1<<30),
	}
	for name, archive := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := decrypt(archive, "s3cret-pw", &bytes.Buffer{})
			require.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestDecryptSingleAESExtraField(t *testing.T) {
	aes := readVector(t, "aes256-html.zip")
	// The central directory's copy of the 0x9901 field is the one read.
	i := centralHeader(t, aes)
	j := bytes.Index(aes[i:], []byte{0x01, 0x99, 0x07, 0x00})
	require.GreaterOrEqual(t, j, 0)
	field := i + j + 4 // version(2) "AE"(2) strength(1) method(2)

	patch := func(at int, b ...byte) []byte {
		out := bytes.Clone(aes)
		copy(out[field+at:], b)
		return out
	}
	cases := []struct {
		name    string
		archive []byte
		want    error
	}{
		{"AE-3", patch(0, 3, 0), ErrUnsupportedEncryption},
		{"vendor XY", patch(2, 'X', 'Y'), ErrUnsupportedEncryption},
		{"strength 4", patch(4, 4), ErrUnsupportedEncryption},
		{"strength 0", patch(4, 0), ErrUnsupportedEncryption},
		{"bzip2 inside", patch(5, 12, 0), ErrUnsupportedMethod},
		{"LZMA inside", patch(5, 14, 0), ErrUnsupportedMethod},
		{"no AES field", func() []byte {
			out := bytes.Clone(aes)
			out[i+j] = 0x02 // the block is now 0x9902, unknown and skipped
			return out
		}(), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, n, err := decrypt(c.archive, "s3cret-pw", noWrite{t})
			require.ErrorIs(t, err, c.want)
			assert.Zero(t, n)
		})
	}
}

func TestDecryptSingleWriterError(t *testing.T) {
	plain := bytes.Repeat([]byte("0123456789"), 10000)
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		archive := encrypt(t, "f", "pw", plain, WithMethod(method))
		_, n, err := decrypt(archive, "pw", &failAfter{n: 5000})
		require.ErrorIs(t, err, errBoom)
		assert.Equal(t, int64(5000), n)
	}
}

func TestDecryptSingleAE1(t *testing.T) {
	plain := bytes.Repeat([]byte("AE-1 keeps a CRC-32. "), 500)
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		archive := encrypt(t, "ae1.txt", "pw", plain, WithMethod(method), withVersion(vendorAE1))
		f := onlyFile(t, archive)
		require.NotZero(t, f.CRC32)

		var out bytes.Buffer
		_, n, err := decrypt(archive, "pw", &out)
		require.NoError(t, err)
		assert.Equal(t, int64(len(plain)), n)
		assert.Equal(t, plain, out.Bytes())

		// The CRC-32 is outside the authenticated data; a wrong one is
		// found after decryption.
		bad := patchCentral32(t, archive, 16, f.CRC32^1)
		out.Reset()
		_, _, err = decrypt(bad, "pw", &out)
		require.ErrorIs(t, err, ErrChecksum)

		// AE-2 ignores the CRC-32 field.
		ae2 := patchCentral32(t, encrypt(t, "ae2.txt", "pw", plain, WithMethod(method)), 16, 0xdeadbeef)
		out.Reset()
		_, _, err = decrypt(ae2, "pw", &out)
		require.NoError(t, err)
		assert.Equal(t, plain, out.Bytes())
	}
}

func TestCTRStreamChunking(t *testing.T) {
	k, err := deriveKeys("pw", make([]byte, 16), AES256)
	require.NoError(t, err)
	src := bytes.Repeat([]byte{0xa5}, 5000)

	whole := make([]byte, len(src))
	newCTR(k.block).XORKeyStream(whole, src)

	pieces := make([]byte, len(src))
	s := newCTR(k.block)
	for i, step := 0, 1; i < len(src); i, step = i+step, step%97+13 {
		end := min(i+step, len(src))
		s.XORKeyStream(pieces[i:end], src[i:end])
	}
	assert.Equal(t, whole, pieces)

	// Decrypting in place restores the input.
	s = newCTR(k.block)
	s.XORKeyStream(pieces, pieces)
	assert.Equal(t, src, pieces)
}

func TestCTRCounterCarry(t *testing.T) {
	s := &ctrStream{}
	s.ctr = [16]byte{0xff, 0xff, 0x01}
	k, err := deriveKeys("pw", make([]byte, 8), AES128)
	require.NoError(t, err)
	s.block = k.block
	s.pos = len(s.ks)
	s.refill()
	assert.Equal(t, [16]byte{ctrBatch - 1, 0x00, 0x02}, s.ctr)
}

// failingReaderAt fails reads that touch [from, to).
type failingReaderAt struct {
	r        *bytes.Reader
	from, to int64
}

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errBoom
	}
	return f.r.ReadAt(p, off)
}

func TestDecryptSingleReadError(t *testing.T) {
	archive := readVector(t, "aes256-stored-bin.zip")
	off, size := memberData(t, archive)
	r := failingReaderAt{r: bytes.NewReader(archive), from: off + size/2, to: off + size/2 + 1}
	_, n, err := DecryptSingle(r, int64(len(archive)), "infected", noWrite{t})
	require.ErrorIs(t, err, errBoom)
	assert.NotErrorIs(t, err, ErrFormat, "an I/O error is not a malformed archive")
	assert.Zero(t, n)
}
