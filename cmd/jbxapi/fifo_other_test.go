//go:build !unix

package main

import "testing"

// mkfifo skips the test: no named pipes in the file system here.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	t.Skip("no named pipes on this system")
}
