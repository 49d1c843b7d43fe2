package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func TestRunEntry(t *testing.T) {
	srv, env := newServer(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"server", "online"}, &out, &errOut, func(k string) string { return env[k] })
	if code != 0 || out.String() != "{\n    \"online\": true\n}\n" || errOut.Len() != 0 {
		t.Errorf("%d %q %q", code, out.String(), errOut.String())
	}
	_ = srv
}

func TestPreprocessParams(t *testing.T) {
	got, err := preprocessParams([]string{"submit", "--param", "a", "b c", "x", "--", "--param", "y"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"submit", "--param=a\x00b c", "x", "--", "--param", "y"}
	if !slices.Equal(got, want) {
		t.Errorf("%q", got)
	}
	for _, bad := range [][]string{{"--param"}, {"--param", "a"}, {"--param=a"}} {
		if _, err := preprocessParams(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	var errOut bytes.Buffer
	a := newApp(context.Background(), &bytes.Buffer{}, &errOut, nil)
	if a.progress("x") != nil {
		t.Error("progress without a terminal")
	}
	a.terminal = true
	a.quiet = true
	if a.progress("x") != nil {
		t.Error("progress with --quiet")
	}
	a.quiet = false
	p := a.progress("upload")
	p(0, 1000)
	p(500, 1000)
	p(1000, 1000)
	if !strings.Contains(errOut.String(), "upload") {
		t.Errorf("no bar: %q", errOut.String())
	}
}
