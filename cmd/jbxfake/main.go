// Command jbxfake runs the in-memory Joe Sandbox of package
// github.com/jbx-go/jbxapi/client/jbxtest as a standalone HTTP server, for
// clients in other languages and for demos.
//
//	jbxfake [-listen 127.0.0.1:0] [-apikey KEY] [-mode cloud|onprem] [-analysis-seconds N] [-page-size N] [-old-server]
//
// It prints its base URL (ending in /api) as the first line on stdout, then
// logs one line per request on stderr, and stops cleanly on SIGINT or
// SIGTERM. Without -apikey any non-empty API key is accepted. Point a client
// at it, for example the official Python client:
//
//	jbxapi --apiurl http://127.0.0.1:PORT/api --apikey anything --accept-tac server online
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "jbxfake:", err)
		os.Exit(2)
	}
}

// run parses args, serves until ctx is done or a signal arrives, and then
// shuts the server down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jbxfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	apikey := fs.String("apikey", "", "the accepted API key (default: any non-empty key)")
	mode := fs.String("mode", "cloud", "server flavour: cloud or onprem")
	secs := fs.Float64("analysis-seconds", 2, "how long an analysis takes, in seconds")
	pageSize := fs.Int("page-size", 10, "items per page of submission/list and analysis/list")
	oldServer := fs.Bool("old-server", false, "imitate an older server: no chunked-sample (code 3) and no joelab/filesystem/upload-chunked (code 8), to test clients' fallbacks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var m jbxtest.Mode
	switch *mode {
	case "cloud":
		m = jbxtest.ModeCloud
	case "onprem", "on-premise":
		m = jbxtest.ModeOnPremise
	default:
		return fmt.Errorf("-mode must be cloud or onprem, not %q", *mode)
	}
	if *secs < 0 || *pageSize <= 0 {
		return errors.New("-analysis-seconds must be >= 0 and -page-size > 0")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	opts := []jbxtest.Option{
		jbxtest.WithAPIKey(*apikey),
		jbxtest.WithMode(m),
		jbxtest.WithAnalysisDuration(time.Duration(*secs * float64(time.Second))),
		jbxtest.WithPageSize(*pageSize),
		jbxtest.WithLogger(logger),
	}
	if *oldServer {
		opts = append(opts, jbxtest.WithOldServer())
	}
	h := jbxtest.NewHandler(opts...)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintf(stdout, "http://%s/api\n", ln.Addr())

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("jbxfake shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
