package aeszip

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"testing"
)

// countWriter counts what is written to it and keeps nothing.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// fuzzing reports whether the test binary runs with -fuzz (rather than
// running the seed corpus as a plain test).
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// FuzzDecryptSingle checks that DecryptSingle never panics, that the count it
// returns is what it wrote, and that the errors promising no output keep
// that promise.
func FuzzDecryptSingle(f *testing.F) {
	for _, v := range aesVectors {
		if v.file == "aes256-stored-bin.zip" && fuzzing() {
			// 300 KB: a fine test input, but as a base for mutation it
			// slows every exec and the engine spends its time minimizing
			// near-copies of it. The small stored archive below seeds
			// the stored path instead.
			continue
		}
		data := readVector(f, v.file)
		f.Add(data, v.password)
		f.Add(data, "wrong")
	}
	f.Add(readVector(f, "zipcrypto-html.zip"), "s3cret-pw")
	f.Add(encrypt(f, "ae1", "pw", []byte("AE-1, stored"), withVersion(vendorAE1), WithMethod(zip.Store)), "pw")
	f.Add(encrypt(f, "ae2", "pw", bytes.Repeat([]byte("AE-2, deflated "), 20), WithStrength(AES192)), "pw")
	f.Add([]byte{}, "")

	f.Fuzz(func(t *testing.T, data []byte, password string) {
		var w countWriter
		_, n, err := DecryptSingle(bytes.NewReader(data), int64(len(data)), password, &w)
		if n != w.n {
			t.Fatalf("DecryptSingle reported %d bytes, wrote %d", n, w.n)
		}
		for _, quiet := range []error{ErrWrongPassword, ErrAuthentication, ErrUnsupportedEncryption, ErrUnsupportedMethod, ErrNotSingleMember} {
			if errors.Is(err, quiet) && w.n != 0 {
				t.Fatalf("error %v after writing %d bytes", err, w.n)
			}
		}
	})
}
