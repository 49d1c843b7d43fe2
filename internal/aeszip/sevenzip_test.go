package aeszip

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSevenZipReadsOurArchives checks archives written by EncryptSingle with
// 7-Zip, an independent implementation, when it is installed (as 7zz or 7z);
// otherwise it is skipped, so the tests never need 7-Zip.
func TestSevenZipReadsOurArchives(t *testing.T) {
	var sevenZip string
	for _, name := range []string{"7zz", "7z"} {
		if p, err := exec.LookPath(name); err == nil {
			sevenZip = p
			break
		}
	}
	if sevenZip == "" {
		t.Skip("7-Zip (7zz or 7z) is not installed")
	}

	plain := make([]byte, 200_000)
	_, err := newPatternReader(int64(len(plain))).Read(plain)
	require.NoError(t, err)

	dir := t.TempDir()
	for _, s := range []Strength{AES128, AES192, AES256} {
		for _, method := range []uint16{zip.Store, zip.Deflate} {
			for _, size := range []int{0, 5, len(plain)} {
				name := fmt.Sprintf("%s-m%d-%d", s, method, size)
				t.Run(name, func(t *testing.T) {
					archive := encrypt(t, name+".bin", "p@ss w0rd!", plain[:size], WithStrength(s), WithMethod(method))
					path := filepath.Join(dir, name+".zip")
					require.NoError(t, os.WriteFile(path, archive, 0o600))

					out, err := exec.Command(sevenZip, "t", "-p"+"p@ss w0rd!", path).CombinedOutput()
					require.NoError(t, err, "7-Zip test failed:\n%s", out)
					assert.Contains(t, string(out), "Everything is Ok")

					got, err := exec.Command(sevenZip, "e", "-so", "-p"+"p@ss w0rd!", path).Output()
					require.NoError(t, err)
					assert.True(t, bytes.Equal(plain[:size], got), "7-Zip extracted different data")

					out, err = exec.Command(sevenZip, "t", "-pwrong", path).CombinedOutput()
					if size > 0 {
						assert.Error(t, err, "7-Zip accepted a wrong password:\n%s", out)
					}
				})
			}
		}
	}
}
