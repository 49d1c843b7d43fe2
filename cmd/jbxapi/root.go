package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jbx-go/jbxapi/client"
)

// app holds everything one invocation of the command line needs; run
// creates a fresh one each time, so there is no global state.
type app struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	env    func(string) string

	outMu sync.Mutex // one JSON document at a time on stdout

	// common flags
	apiURL      string
	apiKey      string
	acceptTAC   bool
	noCheckCert bool
	version     bool
	quiet       bool

	// terminal reports whether stderr is a terminal (progress bars).
	terminal bool
	// clientOpts are appended to every client the app creates (tests).
	clientOpts []client.Option
}

// usageError is a mistake on the command line: exit code 2 and the usage
// of the command on stderr.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// localError is a failure of a local file operation: exit code 4.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func local(err error) error {
	if err == nil {
		return nil
	}
	return &localError{err: err}
}

// cliError is an error with a message of its own, exit code 5 (the
// official command line's JoeException).
type cliError struct{ msg string }

func (e *cliError) Error() string { return e.msg }

// failure wraps an error returned by a command's RunE so that run can tell
// it from cobra's own parse errors, which are usage errors.
type failure struct{ err error }

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// run is the whole command line: it parses args, runs the command, prints
// its JSON result to stdout and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	return newApp(ctx, stdout, stderr, env).main(args)
}

func newApp(ctx context.Context, stdout, stderr io.Writer, env func(string) string) *app {
	if env == nil {
		env = func(string) string { return "" }
	}
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr, env: env}
	if f, ok := stderr.(*os.File); ok {
		a.terminal = term.IsTerminal(int(f.Fd()))
	}
	return a
}

func (a *app) main(args []string) int {
	// Like the official client, --version wins wherever it stands.
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "--version" {
			fmt.Fprintln(a.stdout, client.Version)
			return 0
		}
	}
	args, err := preprocessParams(args)
	root := a.rootCommand()
	if err != nil {
		return a.usage(root, err)
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(a.ctx)
	if err == nil {
		return 0
	}
	var f *failure
	if !errors.As(err, &f) {
		return a.usage(cmd, err)
	}
	var ue *usageError
	if errors.As(f.err, &ue) {
		return a.usage(cmd, ue)
	}
	code, obj := classify(f.err)
	var pe *printedError
	if !errors.As(f.err, &pe) {
		a.printJSON(obj)
	}
	return code
}

// usage reports a command line mistake the way argparse does: usage and
// message on stderr, exit code 2.
func (a *app) usage(cmd *cobra.Command, err error) int {
	if cmd == nil {
		cmd = a.rootCommand()
	}
	fmt.Fprint(a.stderr, cmd.UsageString())
	fmt.Fprintf(a.stderr, "%s: error: %v\n", cmd.CommandPath(), err)
	return 2
}

// classify maps an error to the exit code and the JSON object the official
// command line prints for it.
func classify(err error) (int, any) {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		if len(apiErr.Raw) > 0 {
			return 100 + apiErr.Code, apiErr.Raw
		}
		return 100 + apiErr.Code, map[string]any{"code": apiErr.Code, "message": apiErr.Message}
	}
	var connErr *client.ConnectionError
	if errors.As(err, &connErr) {
		return 3, errorObject(err)
	}
	var le *localError
	var pe *fs.PathError
	var lnk *os.LinkError
	if errors.As(err, &le) || errors.As(err, &pe) || errors.As(err, &lnk) {
		return 4, errorObject(err)
	}
	return 5, errorObject(err)
}

func errorObject(err error) map[string]any {
	return map[string]any{"code": 1, "message": err.Error()}
}

// printJSON prints v as the official command line does; whole documents
// only, never interleaved.
func (a *app) printJSON(v any) {
	out, err := pyJSON(v)
	if err != nil {
		out, _ = pyJSON(errorObject(fmt.Errorf("cannot encode the result: %w", err)))
	}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	_, _ = a.stdout.Write(out)
}

// logf writes a note for humans to stderr unless --quiet.
func (a *app) logf(format string, args ...any) {
	if a.quiet {
		return
	}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	fmt.Fprintf(a.stderr, format+"\n", args...)
}

// wrap turns a command's function into a cobra RunE whose errors run can
// tell apart from parse errors.
func (a *app) wrap(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return &failure{err: err}
		}
		return nil
	}
}

// args validators that report usage errors
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usagef("the following arguments are required: %s", strings.Join(names[len(args):], ", "))
		}
		if len(args) > len(names) {
			return usagef("unrecognized arguments: %s", strings.Join(args[len(names):], " "))
		}
		return nil
	}
}

// group makes a command that only holds sub-commands; calling it alone is a
// usage error, as in the official command line.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("invalid choice: %q", args[0])
			}
			return usagef("a command is required")
		},
	}
	c.AddCommand(children...)
	return c
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "jbxapi",
		Short: "Joe Sandbox Web API command line",
		Long:  rootLong,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("invalid choice: %q", args[0])
			}
			return usagef("a command is required")
		},
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.apiURL, "apiurl", "", "API URL (or set JBX_API_URL; default "+client.CloudURL+")")
	pf.StringVar(&a.apiKey, "apikey", "", "API key (or set JBX_API_KEY)")
	pf.BoolVar(&a.acceptTAC, "accept-tac", false, "accept the Terms and Conditions of Joe Sandbox Cloud (or set JBX_ACCEPT_TAC=1)")
	pf.BoolVar(&a.noCheckCert, "no-check-certificate", false, "do not verify the server's TLS certificate")
	pf.BoolVar(&a.version, "version", false, "print the version and exit")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "no progress bars or notes on stderr")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{msg: err.Error()} })

	root.AddCommand(
		a.submitCommand(),
		a.submissionCommand(),
		a.analysisCommand(),
		a.accountCommand(),
		a.serverCommand(),
		a.joelabCommand(),
	)
	return root
}

// newClient creates the API client from the common flags and the
// environment; label names the transfer for the progress bar ("" for none).
func (a *app) newClient(label string) (*client.Client, error) {
	c, _, err := a.newRecordingClient(label)
	return c, err
}

// newRecordingClient is newClient that also returns the recorder of the
// client's JSON answers.
func (a *app) newRecordingClient(label string) (*client.Client, *recorder, error) {
	key := a.apiKey
	if key == "" {
		key = a.env(client.EnvAPIKey)
	}
	base := a.apiURL
	if base == "" {
		base = a.env(client.EnvAPIURL)
	}
	if base == "" {
		base = client.CloudURL
	}
	accept := a.acceptTAC
	if !accept {
		accept = a.env(client.EnvAcceptTAC) == "1"
	}
	opts := []client.Option{
		client.WithAPIKey(key),
		client.WithBaseURL(base),
		client.WithAcceptTAC(accept),
		client.WithUserAgent("CLI"),
	}
	rec := newRecorder(a.noCheckCert)
	opts = append(opts, client.WithTransport(rec))
	if label != "" {
		if p := a.progress(label); p != nil {
			opts = append(opts, client.WithProgress(p))
		}
	}
	opts = append(opts, a.clientOpts...)
	c, err := client.New(opts...)
	if err != nil {
		return nil, nil, &cliError{msg: err.Error()}
	}
	return c, rec, nil
}

// notef writes a message to stderr even with --quiet (errors that the
// official command line reports there).
func (a *app) notef(format string, args ...any) {
	a.outMu.Lock()
	defer a.outMu.Unlock()
	fmt.Fprintf(a.stderr, format+"\n", args...)
}
