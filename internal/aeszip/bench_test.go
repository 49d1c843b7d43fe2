package aeszip

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRoundTrip encrypts a generated input into a temporary file and
// decrypts it again. B/op stays the same from 1 MiB to 64 MiB: neither half
// holds the member in memory.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int64{1 << 20, 64 << 20} {
		for _, method := range []uint16{zip.Store, zip.Deflate} {
			mname := map[uint16]string{zip.Store: "stored", zip.Deflate: "deflated"}[method]
			b.Run(fmt.Sprintf("%dMiB/%s", size>>20, mname), func(b *testing.B) {
				benchRoundTrip(b, size, method)
			})
		}
	}
}

func benchRoundTrip(b *testing.B, size int64, method uint16) {
	file, err := os.Create(filepath.Join(b.TempDir(), "bench.zip"))
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()

	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := file.Truncate(0); err != nil {
			b.Fatal(err)
		}
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := EncryptSingle(file, "memdump.bin", "infected", newPatternReader(size), WithMethod(method)); err != nil {
			b.Fatal(err)
		}
		st, err := file.Stat()
		if err != nil {
			b.Fatal(err)
		}
		_, n, err := DecryptSingle(file, st.Size(), "infected", io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if n != size {
			b.Fatalf("decrypted %d bytes, want %d", n, size)
		}
	}
}
