package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jbx-go/jbxapi/client"
)

// The discarding server must be a valid Joe Sandbox for what the harness
// asks of it, or the figures would measure error paths.
func TestDiscardServerServesTheClient(t *testing.T) {
	d, err := newDiscardServer(serveConfig{kind: "discard", downloadSize: 3<<20 + 5, items: 1005, pageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL+"/api"), client.WithAPIKey(apiKey), client.WithAcceptTAC(true))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	want := 1005
	for it, err := range c.Analyses(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if it.Webid != strconv.Itoa(want) {
			t.Fatalf("got webid %s, want %d", it.Webid, want)
		}
		want--
	}
	if want != 0 {
		t.Fatalf("listing stopped before webid %d", want)
	}

	var buf bytes.Buffer
	if _, n, err := c.AnalysisDownload(ctx, "1", "memdumps", &buf); err != nil || n != 3<<20+5 || buf.Len() != 3<<20+5 {
		t.Fatalf("download: %d bytes, %v", n, err)
	}
	if online, err := c.ServerOnline(ctx); err != nil || !online {
		t.Fatalf("server/online: %v %v", online, err)
	}
	if a, err := c.AnalysisInfo(ctx, "1"); err != nil || a.Webid == "" {
		t.Fatalf("analysis/info: %+v %v", a, err)
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "s.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 25<<20)); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]client.SubmitOption{nil, {client.WithoutChunking()}} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if res, err := c.SubmitSample(ctx, "", f, nil, opts...); err != nil || res.SubmissionID != "1" {
			t.Fatalf("submit %v: %+v %v", opts, res, err)
		}
	}
}

// measure must see the heap grow when the measured function holds memory.
func TestMeasureSeesHeldMemory(t *testing.T) {
	var keep []byte
	m, err := measure(func() error {
		keep = make([]byte, 64<<20)
		for i := range keep {
			keep[i] = 1
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.peakHeap < 64<<20 || m.mallocs == 0 || m.dur <= 0 {
		t.Fatalf("%+v", m)
	}
	_ = keep
}
