package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// exampleServer starts a fake Joe Sandbox for the examples.
func exampleServer(opts ...jbxtest.Option) (*jbxtest.Server, func()) {
	srv := jbxtest.NewServer(nil, append([]jbxtest.Option{jbxtest.WithAnalysisDuration(10 * time.Millisecond)}, opts...)...)
	return srv, srv.Close
}

func Example_submitAndWait() {
	srv, done := exampleServer()
	defer done()
	ctx := context.Background()
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()), client.WithAcceptTAC(true))
	if err != nil {
		log.Fatal(err)
	}
	sample := bytes.NewReader([]byte("MZ this is not really a program"))
	res, err := c.SubmitSample(ctx, "sample.exe", sample, &client.SubmitParams{
		SubmissionParameters: client.SubmissionParameters{
			Systems:        []string{"w10x64_21h1_office"},
			InternetAccess: client.Bool(false),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	sub, err := c.WaitSubmission(ctx, res.SubmissionID, &client.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sub.Status, len(sub.Analyses))
	// Output: finished 1
}

func Example_downloadReport() {
	srv, done := exampleServer()
	defer done()
	srv.SeedAnalyses(1)
	ctx := context.Background()
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()))
	if err != nil {
		log.Fatal(err)
	}
	webids, err := c.ListAnalyses(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var report bytes.Buffer
	name, n, err := c.AnalysisDownload(ctx, webids[0].Webid, "html", &report)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name != "", n == int64(report.Len()))
	// Output: true true
}

func Example_iterateAnalyses() {
	srv, done := exampleServer()
	defer done()
	srv.SeedAnalyses(5)
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()))
	if err != nil {
		log.Fatal(err)
	}
	count := 0
	for a, err := range c.Analyses(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		_ = a.Webid
		count++
	}
	fmt.Println(count)
	// Output: 5
}

func Example_handleErrors() {
	srv, done := exampleServer()
	defer done()
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey("wrong key"), client.WithRetries(0))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.AnalysisInfo(context.Background(), "123")
	var apiErr *client.APIError
	switch {
	case errors.Is(err, client.ErrInvalidAPIKey):
		errors.As(err, &apiErr)
		fmt.Println("invalid key, code", apiErr.Code)
	case err != nil:
		fmt.Println("other error:", err)
	}
	_, _, err = c.AnalysisDownload(context.Background(), "123", "html", io.Discard)
	fmt.Println(errors.Is(err, client.ErrInvalidAPIKey))
	// Output:
	// invalid key, code 4
	// true
}
