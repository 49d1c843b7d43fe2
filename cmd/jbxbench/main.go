// Command jbxbench is the performance harness of the jbxapi client (make
// bench). For each scenario it measures the client and, in the same run, a
// baseline that moves the same bytes with a bare net/http request and no
// client logic against the same server, and prints one table with the
// ratio, the client's peak heap and the budget each figure must meet.
//
//	jbxbench [-long] [-jbxapi PATH] [-only SUBSTRING]
//
// The servers run in child processes (the program re-executes itself with
// -serve), so that the heap and allocation figures are the client's alone:
// "discard" (package internal/benchserver) answers every endpoint with
// precomputed bytes and discards uploads; "jbxtest" is the contract-enforcing fake of package
// client/jbxtest. -jbxapi names a built cmd/jbxapi binary for the CLI
// scenario (skipped without it). The exit status is 1 when a budget fails.
// docs/performance.md describes the method.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// apiKey is the key every server of the harness accepts.
const apiKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func main() {
	var (
		srv     serveConfig
		opts    options
		latency string
	)
	flag.StringVar(&srv.kind, "serve", "", "run as a child server: discard or jbxtest (internal)")
	flag.StringVar(&srv.listen, "listen", "127.0.0.1:0", "child server: address to listen on")
	flag.StringVar(&latency, "latency", "0s", "child server: pause before each answer")
	flag.Int64Var(&srv.downloadSize, "download-size", 1<<30, "child server: size of analysis/download answers")
	flag.IntVar(&srv.items, "items", 0, "child server: analyses listed (discard) or seeded (jbxtest)")
	flag.IntVar(&srv.pageSize, "page-size", 100, "child server: analyses per analysis/list page")
	flag.BoolVar(&opts.long, "long", false, "add the 1 GiB upload scenarios with their baselines")
	flag.StringVar(&opts.jbxapi, "jbxapi", "", "path of a built cmd/jbxapi binary, for the CLI scenario")
	flag.StringVar(&opts.only, "only", "", "run only the scenarios whose name contains this")
	flag.Parse()
	d, err := time.ParseDuration(latency)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jbxbench:", err)
		os.Exit(2)
	}
	srv.latency = d
	if srv.kind != "" {
		if err := serve(srv); err != nil {
			fmt.Fprintln(os.Stderr, "jbxbench:", err)
			os.Exit(2)
		}
		return
	}
	h := &harness{opts: opts}
	failed, err := h.run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jbxbench:", err)
		os.Exit(2)
	}
	if failed > 0 {
		os.Exit(1)
	}
}
