// Command demo runs the main job of jbxapi-go end to end, with no account and
// no network: it starts the in-memory Joe Sandbox (client/jbxtest), submits a
// sample through the chunked upload with progress, waits for the verdict,
// downloads the HTML and JSON reports into a folder and lists the analyses.
//
// It uses the client exactly as a program of yours would; point it at a real
// server by replacing the jbxtest server with your base URL and API key.
//
//	go run ./examples/demo [-sample FILE] [-out DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

func main() {
	sample := flag.String("sample", filepath.Join("testdata", "demo", "quarterly-report.js"), "the file to submit")
	out := flag.String("out", "demo-output", "the folder the reports are written to")
	flag.Parse()
	if err := run(context.Background(), *sample, *out, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, samplePath, outDir string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// The fake server: Cloud mode, analyses take two seconds.
	srv := jbxtest.NewServer(nil, jbxtest.WithAnalysisDuration(2*time.Second))
	defer srv.Close()
	fmt.Fprintf(stdout, "fake Joe Sandbox at %s\n", srv.URL())

	c, err := client.New(
		client.WithBaseURL(srv.URL()),
		client.WithAPIKey(srv.APIKey()),
		client.WithAcceptTAC(true),
		client.WithUserAgent("jbxapi-go demo"),
		client.WithChunkSize(16<<10), // small chunks, so that this small sample goes up in several
		client.WithProgress(func(done, total int64) {
			fmt.Fprintf(stderr, "\rtransfer: %d / %d bytes", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}),
	)
	if err != nil {
		return err
	}

	f, err := os.Open(samplePath)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := c.SubmitSample(ctx, filepath.Base(samplePath), f, &client.SubmitParams{
		SubmissionParameters: client.SubmissionParameters{
			Systems:        []string{"w10x64_21h1_office", "w7x64_office"},
			Comments:       "jbxapi-go demo",
			InternetAccess: client.Bool(false),
		},
	})
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	chunks := len(srv.RequestsTo("/v2/submission/chunked-sample"))
	fmt.Fprintf(stdout, "submitted %s as submission %s (%d chunks)\n", filepath.Base(samplePath), res.SubmissionID, chunks)

	sub, err := c.WaitSubmission(ctx, res.SubmissionID, &client.WaitOptions{Interval: 250 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("wait: %w", err)
	}
	fmt.Fprintf(stdout, "submission %s is %s\n", sub.SubmissionID, sub.Status)
	for _, a := range sub.Analyses {
		fmt.Fprintf(stdout, "  analysis %s: %s, score %d, sha256 %s\n", a.Webid, deref(a.Detection), deref(a.Score), deref(a.SHA256))
	}
	if sub.MostRelevantAnalysis == nil {
		return errors.New("the submission has no analysis")
	}
	webid := sub.MostRelevantAnalysis.Webid

	dir := filepath.Join(outDir, webid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, typ := range []string{"html", "json"} {
		path, n, err := download(ctx, c, webid, typ, dir)
		if err != nil {
			return fmt.Errorf("download %s: %w", typ, err)
		}
		fmt.Fprintf(stdout, "downloaded the %s report: %s (%d bytes)\n", typ, path, n)
	}

	fmt.Fprintln(stdout, "analyses on the server:")
	for item, err := range c.Analyses(ctx) {
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		a, err := c.AnalysisInfo(ctx, item.Webid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %s  %-8s  %-10s  %s\n", a.Webid, a.Status, deref(a.Detection), deref(a.Filename))
	}
	if v := srv.Violations(); len(v) > 0 {
		return fmt.Errorf("the client broke the API contract %d times, first: %s", len(v), v[0].Reason)
	}
	fmt.Fprintln(stdout, "done: no contract violations")
	return nil
}

// download writes one resource into dir: to a temporary file first, renamed
// to the (already sanitised) name the server gave only once it is complete.
func download(ctx context.Context, c *client.Client, webid, typ, dir string) (string, int64, error) {
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	name, n, err := c.AnalysisDownload(ctx, webid, typ, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", 0, err
	}
	return path, n, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
