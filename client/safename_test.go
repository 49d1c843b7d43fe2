package client_test

import (
	"testing"

	"github.com/jbx-go/jbxapi/client"
)

func TestSafeFileName(t *testing.T) {
	tests := map[string]string{
		"report.html":   "report.html",
		"../../x":       "x",
		"/etc/passwd":   "passwd",
		`..\..\win.ini`: "win.ini",
		"..":            "html",
		".":             "html",
		"":              "html",
		"a/":            "html",
		"a\x00b\nc":     "a_b_c",
		"  spaced  ":    "spaced",
		"ok..name":      "ok..name",
		// a right-to-left override would display "report‮gnp.exe" as "reportexe.png"
		"report\u202egnp.exe": "report_gnp.exe",
		"a\u2066b\u200fc":     "a_b_c",
	}
	for in, want := range tests {
		if got := client.SafeFileName(in, "html"); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := client.SafeFileName("", "../.."); got != "download" {
		t.Errorf("unsafe fallback: %q", got)
	}
}
