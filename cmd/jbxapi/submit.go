package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jbx-go/jbxapi/client"
)

// boolParam, stringParam and intParam describe the submission parameter
// flags of the official command line: the flag names (the first is the main
// one, the others aliases) and the parameter on the wire.
type boolParam struct {
	wire   string
	names  []string
	usage  string
	hidden bool
}

type stringParam struct {
	wire    string
	names   []string
	metavar string
	usage   string
	hidden  bool
}

func boolParams() []boolParam {
	return []boolParam{
		{"internet-access", []string{"internet"}, "give the analysis Internet access", false},
		{"internet-simulation", []string{"internet-simulation"}, "simulate the Internet (no real Internet access)", false},
		{"report-cache", []string{"cache"}, "reuse a cached report of the same sample if there is one", false},
		{"hybrid-code-analysis", []string{"hca"}, "hybrid code analysis", false},
		{"hybrid-decompilation", []string{"dec"}, "hybrid decompilation", false},
		{"ssl-inspection", []string{"ssl-inspection"}, "inspect TLS traffic", false},
		{"vba-instrumentation", []string{"vbainstr"}, "instrument VBA scripts", false},
		{"js-instrumentation", []string{"jsinstr"}, "instrument JavaScript", false},
		{"java-jar-tracing", []string{"java"}, "trace Java JAR files", false},
		{"dotnet-tracing", []string{"net"}, "trace .NET code", false},
		{"start-as-normal-user", []string{"normal-user"}, "run the sample without administrator rights", false},
		{"archive-no-unpack", []string{"no-unpack", "archive-no-unpack"}, "submit an archive as it is instead of unpacking it", false},
		{"hypervisor-based-inspection", []string{"hypervisor-based-inspection"}, "hypervisor based inspection", false},
		{"fast-mode", []string{"fast-mode"}, "favour a fast verdict over deep forensic analysis", false},
		{"secondary-results", []string{"secondary-results"}, "compute secondary results (Yara rules, classification, extra reports); slower", false},
		{"apk-instrumentation", []string{"apk-instrumentation"}, "instrument APK DEX code (Android)", false},
		{"amsi-unpacking", []string{"amsi-unpacking"}, "AMSI unpacking (Windows)", false},
		{"powershell-logging", []string{"powershell-logging"}, "PowerShell logging (Windows)", false},
		{"disable-chained-runs", []string{"no-chained-runs"}, "no automatically chained follow-up runs", false},
		{"live-interaction", []string{"live-interaction", "live"}, "live interaction through the web interface", false},
		{"url-reputation", []string{"url-reputation"}, "look up the reputation of URLs and domains with third parties", false},
		// deprecated, accepted but not shown
		{"anti-evasion-date", []string{"anti-evasion-date"}, "deprecated", true},
		{"remote-assistance", []string{"remote-assistance"}, "deprecated", true},
	}
}

func stringParams() []stringParam {
	return []stringParam{
		{"comments", []string{"comments"}, "TEXT", "comment attached to the analysis", false},
		{"office-files-password", []string{"document-password"}, "PASSWORD", "password of an encrypted document (Office, PDF)", false},
		{"office-files-password", []string{"office-pw"}, "PASSWORD", "deprecated name of --document-password", true},
		{"archive-password", []string{"archive-password"}, "PASSWORD", "password of an encrypted archive (the server's default is 'infected')", false},
		{"command-line-argument", []string{"command-line-argument"}, "TEXT", "start the sample with this command-line argument (Windows)", false},
		{"system-date", []string{"system-date"}, "YYYY-MM-DD", "the date the analysis system is set to", false},
		{"localized-internet-country", []string{"localized-internet-country", "lia"}, "NAME", "route Internet traffic through this country", false},
		{"language-and-locale", []string{"language-and-locale", "langloc"}, "NAME", "language and locale of a Windows analysis", false},
		{"proxy-mode-config", []string{"proxy-mode-config", "proxyconfig"}, "NAME", "use the proxy configuration with this name", false},
		{"browser", []string{"browser"}, "BROWSER", "browser for URL analyses", false},
		{"encrypt-with-password", []string{"encrypt-with-password", "encrypt"}, "PASSWORD", "encrypt the analysis data with this password", false},
	}
}

// submitFlags holds the parsed flags of submit.
type submitFlags struct {
	urlMode, sampleURLMode, commandLineMode bool
	cookbook                                string
	params                                  paramPairs
	bools                                   map[string]*triState
	strs                                    map[string]*string
	strOrder                                []string
	systems, tags                           []string
	analysisTime, deleteAfter, priority     intValue

	jobs     int
	wait     waitFlags
	download []string
	dir      string
}

func (a *app) submitCommand() *cobra.Command {
	f := &submitFlags{bools: map[string]*triState{}, strs: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "submit [flags] SAMPLE",
		Short: "Submit a sample, a folder of samples, a URL or a command line",
		Long: `Submit a sample file, or every file below a folder, for analysis. With
--url, --sample-url or --command-line, SAMPLE is the website, the sample's
download URL or the command line instead; --cookbook FILE submits SAMPLE
together with the cookbook FILE. Prints the submission (its submission_id).

Parameters without a flag can be sent with --param NAME VALUE (repeatable;
it replaces a parameter of the same name). Every on/off parameter has a
negated twin (--internet/--no-internet, --no-unpack/--unpack, ...); the
last one given wins, and a parameter not given is left to the server.

Additions to the official command line: a folder's files are submitted
--jobs at a time (default 4), each result printed as one JSON document
when it is ready, a failed file not stopping the others (the exit code is
that of the first failure; a file that is unreadable, empty or not a regular
file fails and is skipped); --wait waits for each submission to finish and
prints its final info instead, downloading --download TYPE resources into
./WEBID (or DIR/WEBID with --dir).`,
		Args: exactArgs("sample"),
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.BoolVar(&f.urlMode, "url", false, "SAMPLE is a website URL to analyse")
	fl.BoolVar(&f.sampleURLMode, "sample-url", false, "SAMPLE is a URL the server downloads the sample from")
	fl.BoolVar(&f.commandLineMode, "command-line", false, "SAMPLE is a command line run with cmd.exe")
	fl.StringVar(&f.cookbook, "cookbook", "", "submit SAMPLE with this cookbook `FILE`")
	cmd.MarkFlagsMutuallyExclusive("url", "sample-url", "command-line", "cookbook")
	fl.Var(&f.params, "param", "send parameter `NAME VALUE` as it is (repeatable)")

	fl.StringArrayVar(&f.systems, "system", nil, "run on `SYSTEM` (repeatable)")
	addInt(fl, &f.analysisTime, "analysis time in seconds (`SEC`)", "analysis-time")
	for _, p := range boolParams() {
		ts := f.bools[p.wire]
		if ts == nil {
			ts = new(triState)
			f.bools[p.wire] = ts
		}
		addTwin(fl, ts, p.usage, p.hidden, p.names...)
	}
	for _, p := range stringParams() {
		s := f.strs[p.wire]
		if s == nil {
			s = new(string)
			f.strs[p.wire] = s
			f.strOrder = append(f.strOrder, p.wire)
		}
		addString(fl, s, p.metavar, p.usage, p.hidden, p.names...)
	}
	fl.StringArrayVar(&f.tags, "tag", nil, "add tag `TAG` to the analysis (repeatable)")
	addInt(fl, &f.deleteAfter, "delete the analysis after `DAYS` days", "delete-after-days", "delafter")
	addInt(fl, &f.priority, "`PRIORITY` of the submission (on-premise)", "priority")

	fl.IntVar(&f.jobs, "jobs", 4, "submit a folder's files `N` at a time")
	f.wait.add(fl)
	fl.StringArrayVar(&f.download, "download", nil, "with --wait: download resource `TYPE` of each analysis (repeatable)")
	fl.StringVar(&f.dir, "dir", "", "with --download: save into DIR/WEBID instead of ./WEBID")

	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.submit(cmd, f, args[0])
	})
	return cmd
}

// submitParams builds the submission parameters from the flags.
func (f *submitFlags) submitParams(cmd *cobra.Command) (*client.SubmitParams, error) {
	fields := map[string]any{}
	for wire, ts := range f.bools {
		if *ts != "" {
			fields[wire] = string(*ts)
		}
	}
	for wire, s := range f.strs {
		if *s != "" || changedAny(cmd, wire, stringParams()) {
			fields[wire] = *s
		}
	}
	if len(f.systems) > 0 {
		fields["systems[]"] = f.systems
	}
	if len(f.tags) > 0 {
		fields["tags[]"] = f.tags
	}
	extra := url.Values{}
	for wire, iv := range map[string]*intValue{"analysis-time": &f.analysisTime, "delete-after-days": &f.deleteAfter, "priority": &f.priority} {
		if !iv.set {
			continue
		}
		if iv.v == 0 {
			extra.Set(wire, "0") // the typed field would leave a zero out
		} else {
			fields[wire] = iv.v
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	p := &client.SubmitParams{}
	if err := json.Unmarshal(raw, &p.SubmissionParameters); err != nil {
		return nil, err
	}
	// empty strings given on purpose are sent as the official client does
	for wire, s := range f.strs {
		if *s == "" && changedAny(cmd, wire, stringParams()) {
			extra.Set(wire, "")
		}
	}
	seen := map[string]bool{}
	for _, pr := range f.params.pairs {
		if !seen[pr[0]] {
			extra.Del(pr[0])
			seen[pr[0]] = true
		}
		extra.Add(pr[0], pr[1])
	}
	if len(extra) > 0 {
		p.Extra = extra
	}
	return p, nil
}

func changedAny(cmd *cobra.Command, wire string, params []stringParam) bool {
	for _, p := range params {
		if p.wire != wire {
			continue
		}
		for _, n := range p.names {
			if cmd.Flags().Changed(n) {
				return true
			}
		}
	}
	return false
}

func (a *app) submit(cmd *cobra.Command, f *submitFlags, sample string) error {
	params, err := f.submitParams(cmd)
	if err != nil {
		return err
	}
	if f.jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	if len(f.download) > 0 && !f.wait.enabled {
		return usagef("--download needs --wait")
	}
	if f.urlMode || f.sampleURLMode || f.commandLineMode {
		c, rec, err := a.newRecordingClient("")
		if err != nil {
			return err
		}
		var res *client.SubmitResult
		switch {
		case f.urlMode:
			res, err = c.SubmitURL(a.ctx, sample, params)
		case f.sampleURLMode:
			res, err = c.SubmitSampleURL(a.ctx, sample, params)
		default:
			res, err = c.SubmitCommandLine(a.ctx, sample, params)
		}
		if err != nil {
			return err
		}
		if !f.wait.enabled {
			a.printJSON(recorded(rec, res, false))
			return nil
		}
		return a.afterSubmit(f, res)
	}

	var cookbook []byte
	if f.cookbook != "" {
		if cookbook, err = os.ReadFile(f.cookbook); err != nil {
			return local(err)
		}
	}
	submitOne := func(c *client.Client, path string) error {
		file, err := os.Open(path)
		if err != nil {
			return local(err)
		}
		defer file.Close()
		var opts []client.SubmitOption
		if f.cookbook != "" {
			opts = append(opts, client.WithCookbook(filepath.Base(f.cookbook), bytes.NewReader(cookbook)))
		}
		res, err := c.SubmitSample(a.ctx, filepath.Base(path), file, params, opts...)
		if err != nil {
			return err
		}
		return a.afterSubmit(f, res)
	}

	if !isDir(sample) {
		c, err := a.newClient(filepath.Base(sample))
		if err != nil {
			return err
		}
		return submitOne(c, sample)
	}
	files, err := walkFiles(sample)
	if err != nil {
		return err
	}
	label := ""
	if f.jobs == 1 {
		label = "upload"
	}
	c, err := a.newClient(label)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if f.jobs > 1 && !a.quiet && a.terminal {
		bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("files"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, f.jobs)
	)
	for _, path := range files {
		if a.ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := folderFile(path)
			if err == nil {
				err = submitOne(c, path)
			}
			if bar != nil {
				_ = bar.Add(1)
			}
			if err == nil {
				return
			}
			a.notef("jbxapi: %s: %s", path, strings.TrimPrefix(err.Error(), "jbxapi: "))
			_, obj := classify(err)
			a.printJSON(obj)
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return &printedError{err: firstErr}
	}
	return a.ctx.Err()
}

// folderFile checks a file found in a folder before it is opened: it must
// exist (not be a dangling link, nor removed since the listing) and be a
// regular file, since opening a named pipe would wait for a writer forever
// and a device may never end. A failure is a local error (exit code 4) for
// this file only; the folder's other files are still submitted.
func folderFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return local(err)
	}
	if !fi.Mode().IsRegular() {
		return local(&fs.PathError{Op: "submit", Path: path, Err: fmt.Errorf("not a regular file (%s), skipped", fileKind(fi.Mode()))})
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "mode " + m.Type().String()
	}
}

// printedError is a failure whose JSON object was printed already; run only
// takes the exit code from it.
type printedError struct{ err error }

func (e *printedError) Error() string { return e.err.Error() }
func (e *printedError) Unwrap() error { return e.err }

// afterSubmit prints the result of a submission, or with --wait waits for
// it and prints its final info.
func (a *app) afterSubmit(f *submitFlags, res *client.SubmitResult) error {
	if !f.wait.enabled {
		a.printJSON(res)
		return nil
	}
	return a.waitSubmission(res.SubmissionID, &f.wait, f.download, f.dir)
}

// waitFlags configure waiting for a submission or an analysis.
type waitFlags struct {
	enabled  bool
	interval time.Duration
	timeout  time.Duration
}

func (w *waitFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&w.enabled, "wait", false, "wait until the analysis is finished, then print its final info")
	w.addTiming(fl)
}

func (w *waitFlags) addTiming(fl *pflag.FlagSet) {
	w.interval = 5 * time.Second
	fl.Var(&durationFlag{d: &w.interval, positive: true}, "interval", "pause between two status checks while waiting")
	fl.Var(&durationFlag{d: &w.timeout}, "timeout", "give up waiting after this long (0: never)")
}

// durationFlag is a duration flag that refuses a negative value (and zero
// when positive is set) while the command line is parsed: a usage error,
// before anything is submitted or polled. A zero --interval would poll the
// server without a pause.
type durationFlag struct {
	d        *time.Duration
	positive bool
}

func (f *durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0" // what pflag leaves out of the help as a zero default
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	switch {
	case d < 0:
		return fmt.Errorf("%s is negative", d)
	case d == 0 && f.positive:
		return errors.New("must be greater than 0")
	}
	*f.d = d
	return nil
}

func (f *durationFlag) Type() string { return "duration" }

// errWaitTimeout is returned when --timeout expires.
func errWaitTimeout(d time.Duration) error {
	return &cliError{msg: "not finished after " + d.String()}
}
