package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jbx-go/jbxapi/client"
)

func (a *app) analysisCommand() *cobra.Command {
	return group("analysis", "Manage analyses",
		a.analysisList(),
		a.analysisWebidCommand("info", "Show information about an analysis", func(c *client.Client, webid string) (any, error) {
			return c.AnalysisInfo(a.ctx, webid)
		}, true),
		a.analysisWebidCommand("delete", "Delete an analysis", func(c *client.Client, webid string) (any, error) {
			return c.AnalysisDelete(a.ctx, webid)
		}, false),
		a.analysisSearch(),
		a.analysisReport(),
		a.analysisDownload(),
		a.analysisWait(),
	)
}

func (a *app) analysisList() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List all analyses",
		Args:  exactArgs(),
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, true, func(c *client.Client) (any, error) {
			return c.ListAnalyses(a.ctx)
		})
	})
	addOutputFlag(cmd, &out)
	return cmd
}

func (a *app) analysisWebidCommand(use, short string, call func(c *client.Client, webid string) (any, error), output bool) *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   use + " WEBID",
		Short: short,
		Args:  exactArgs("webid"),
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, false, func(c *client.Client) (any, error) {
			return call(c, args[0])
		})
	})
	if output {
		addOutputFlag(cmd, &out)
	} else {
		out = "json"
	}
	return cmd
}

func (a *app) analysisSearch() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "search TERM",
		Short: "Search analyses (by hash, file name, detection, ...)",
		Args:  exactArgs("searchterm"),
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, false, func(c *client.Client) (any, error) {
			return c.AnalysisSearch(a.ctx, args[0])
		})
	})
	addOutputFlag(cmd, &out)
	return cmd
}

// downloadFlags are the flags analysis report and download share.
type downloadFlags struct {
	run      int
	password string
}

func (d *downloadFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&d.run, "run", -1, "the run to use (default: the server chooses)")
	cmd.Flags().StringVar(&d.password, "password", "", "password to decrypt resources of an analysis submitted with --encrypt-with-password")
}

func (d *downloadFlags) options(cmd *cobra.Command) []client.DownloadOption {
	var opts []client.DownloadOption
	if cmd.Flags().Changed("run") {
		opts = append(opts, client.Run(d.run))
	}
	if d.password != "" {
		opts = append(opts, client.Password(d.password))
	}
	return opts
}

func (a *app) analysisReport() *cobra.Command {
	var df downloadFlags
	cmd := &cobra.Command{
		Use:   "report WEBID",
		Short: "Print the report of an analysis (irjsonfixed) as JSON",
		Args:  exactArgs("webid"),
	}
	df.add(cmd)
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		c, err := a.newClient("")
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if _, _, err := c.AnalysisDownload(a.ctx, args[0], "irjsonfixed", &buf, df.options(cmd)...); err != nil {
			return err
		}
		dec := json.NewDecoder(&buf)
		dec.UseNumber()
		var report any
		if err := dec.Decode(&report); err != nil {
			return &cliError{msg: "Invalid response. Is the API url correct?"}
		}
		if _, err := dec.Token(); err != io.EOF {
			return &cliError{msg: "Invalid response. Is the API url correct?"}
		}
		a.printJSON(report)
		return nil
	})
	return cmd
}

func (a *app) analysisDownload() *cobra.Command {
	var df downloadFlags
	var dir string
	var ignoreErrors bool
	cmd := &cobra.Command{
		Use:   "download WEBID [TYPE ...]",
		Short: "Download resources of an analysis (default type: html)",
		Long: `Download resources of an analysis (html, json, irjsonfixed, pcap, bins, ...;
default html) into a folder (default ./WEBID, created when missing). Each
resource is saved under the name the server gives, reduced to a safe base
name, through a temporary file renamed once the download is complete.
Prints {TYPE: absolute path}; with --ignore-errors a resource that fails
with an API error is reported on stderr and printed as null (unless all fail).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("the following arguments are required: webid")
			}
			return nil
		},
	}
	df.add(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "folder to save the resources in (default ./WEBID; created)")
	cmd.Flags().BoolVar(&ignoreErrors, "ignore-errors", false, "print null for a resource that cannot be downloaded instead of stopping (an error is still raised if none can)")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		webid, types := args[0], args[1:]
		if len(types) == 0 {
			types = []string{"html"}
		}
		if dir == "" {
			dir = webid
		}
		c, err := a.newClient("download")
		if err != nil {
			return err
		}
		paths, err := a.download(c, webid, types, dir, ignoreErrors, df.options(cmd))
		if err != nil {
			return err
		}
		a.printJSON(paths)
		return nil
	})
	return cmd
}

// download saves the resources types of an analysis into dir, as analysis
// download does, and returns {type: absolute path or nil}.
func (a *app) download(c *client.Client, webid string, types []string, dir string, ignoreErrors bool, opts []client.DownloadOption) (map[string]any, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, local(err)
	}
	paths := map[string]any{}
	var errs []error
	for _, typ := range types {
		p, err := saveFile(dir, func(w io.Writer) (string, error) {
			name, _, err := c.AnalysisDownload(a.ctx, webid, typ, w, opts...)
			return client.SafeFileName(name, typ), err
		})
		var apiErr *client.APIError
		if err != nil && ignoreErrors && errors.As(err, &apiErr) {
			a.notef("%s", apiErr.Message)
			paths[typ] = nil
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		paths[typ] = p
	}
	if len(errs) > 0 {
		allFailed := true
		for _, p := range paths {
			if p != nil {
				allFailed = false
			}
		}
		if allFailed {
			return nil, errs[0]
		}
	}
	return paths, nil
}

func (a *app) analysisWait() *cobra.Command {
	var w waitFlags
	var df downloadFlags
	var download []string
	var dir string
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "wait WEBID",
		Short: "Wait until an analysis is finished, then show it (not in the official client)",
		Long: `Wait until an analysis is finished, then print its info as analysis info
does. With --download TYPE (repeatable) its resources are saved as by
analysis download into --dir (default ./WEBID); the paths are noted on stderr.`,
		Args: exactArgs("webid"),
	}
	w.enabled = true
	w.addTiming(cmd.Flags())
	df.add(cmd)
	cmd.Flags().StringArrayVar(&download, "download", nil, "download resource `TYPE` once finished (repeatable)")
	cmd.Flags().StringVar(&dir, "dir", "", "folder for --download (default ./WEBID)")
	addOutputFlag(cmd, &out)
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		webid := args[0]
		c, rec, err := a.newRecordingClient("download")
		if err != nil {
			return err
		}
		var deadline time.Time
		if w.timeout > 0 {
			deadline = time.Now().Add(w.timeout)
		}
		var info *client.Analysis
		for {
			info, err = c.AnalysisInfo(a.ctx, webid)
			if err != nil {
				return err
			}
			if info.Status == client.StatusFinished {
				break
			}
			if !deadline.IsZero() && time.Now().Add(w.interval).After(deadline) {
				return errWaitTimeout(w.timeout)
			}
			if err := sleep(a, w.interval); err != nil {
				return err
			}
		}
		final := recorded(rec, info, false)
		if len(download) > 0 {
			if dir == "" {
				dir = webid
			}
			paths, err := a.download(c, webid, download, dir, false, df.options(cmd))
			if err != nil {
				return err
			}
			for _, t := range download {
				a.logf("%s %s: %v", webid, t, paths[t])
			}
		}
		return a.emit(final, out)
	})
	return cmd
}
