package aeszip

import (
	"archive/zip"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
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

// sentinels are the errors every failure of DecryptSingle must match (the
// fuzz target's writer never fails, so no error of w can come back).
var sentinels = []error{ErrWrongPassword, ErrAuthentication, ErrUnsupportedEncryption, ErrUnsupportedMethod,
	ErrNotSingleMember, ErrFormat, ErrChecksum}

// macVerifies reports whether data is a one-member archive whose member is
// WinZip AES with a password verifier and an authentication code that are
// right for password. It is the check of the fuzz target, written apart from
// the reader's: it uses archive/zip's view of the member.
func macVerifies(data []byte, password string) (aes, ok bool) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if zr == nil || len(zr.File) != 1 || zr.File[0].Method != methodAES {
		return false, false
	}
	_ = err // ErrInsecurePath comes with a usable reader
	f := zr.File[0]
	ex, found, err := findAESExtra(f.Extra)
	if err != nil || !found || !ex.strength.valid() {
		return true, false
	}
	off, err := f.DataOffset()
	sl := int64(ex.strength.saltLen())
	if err != nil || off < 0 || f.CompressedSize64 < uint64(sl+verifierLen+macLen) || off+int64(f.CompressedSize64) > int64(len(data)) {
		return true, false
	}
	member := data[off : off+int64(f.CompressedSize64)]
	k, err := deriveKeys(password, member[:sl], ex.strength)
	if err != nil || !bytes.Equal(k.verifier[:], member[sl:sl+verifierLen]) {
		return true, false
	}
	mac := hmac.New(sha1.New, k.macKey)
	mac.Write(member[sl+verifierLen : len(member)-macLen])
	return true, hmac.Equal(mac.Sum(nil)[:macLen], member[len(member)-macLen:])
}

// FuzzDecryptSingle checks that DecryptSingle never panics, that the count it
// returns is what it wrote, that every error matches one of the package's
// sentinels, that the errors promising no output keep that promise, and that
// nothing of an AES member is written unless its password verifier and
// authentication code are right.
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
		if err != nil {
			typed := false
			for _, s := range sentinels {
				typed = typed || errors.Is(err, s)
			}
			if !typed {
				t.Fatalf("untyped error %T %v", err, err)
			}
		}
		if w.n > 0 {
			if aes, ok := macVerifies(data, password); aes && !ok {
				t.Fatalf("wrote %d bytes of an AES member whose authentication code is wrong", w.n)
			}
		}
	})
}
