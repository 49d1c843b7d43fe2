package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/jbx-go/jbxapi/client"
)

func (a *app) submissionCommand() *cobra.Command {
	return group("submission", "Manage submissions",
		a.submissionList(),
		a.submissionIDCommand("info", "Show a submission and its analyses", func(c *client.Client, id string) (any, error) {
			return c.SubmissionInfo(a.ctx, id)
		}, true),
		a.submissionIDCommand("delete", "Delete a submission", func(c *client.Client, id string) (any, error) {
			return c.SubmissionDelete(a.ctx, id)
		}, false),
		a.submissionWait(),
	)
}

func (a *app) submissionList() *cobra.Command {
	var out outputFormat
	var shared triState
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List all submissions",
		Args:  exactArgs(),
	}
	addTwin(cmd.Flags(), &shared, "include the submissions shared with the account", false, "include-shared")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, true, func(c *client.Client) (any, error) {
			return c.ListSubmissions(a.ctx, &client.SubmissionListOptions{IncludeShared: client.Flag(shared)})
		})
	})
	addOutputFlag(cmd, &out)
	return cmd
}

func (a *app) submissionIDCommand(use, short string, call func(c *client.Client, id string) (any, error), output bool) *cobra.Command {
	var out outputFormat = "json"
	cmd := &cobra.Command{
		Use:   use + " SUBMISSION_ID",
		Short: short,
		Args:  exactArgs("submission_id"),
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, false, func(c *client.Client) (any, error) {
			return call(c, args[0])
		})
	})
	if output {
		addOutputFlag(cmd, &out)
	}
	return cmd
}

func (a *app) submissionWait() *cobra.Command {
	var w waitFlags
	var download []string
	var dir string
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "wait SUBMISSION_ID",
		Short: "Wait until a submission is finished, then show it (not in the official client)",
		Long: `Wait until every analysis of a submission is finished, then print the
submission's info as submission info does. With --download TYPE
(repeatable) the resources of each analysis are saved into ./WEBID, or
DIR/WEBID with --dir; the paths are noted on stderr.`,
		Args: exactArgs("submission_id"),
	}
	w.enabled = true
	w.addTiming(cmd.Flags())
	cmd.Flags().StringArrayVar(&download, "download", nil, "download resource `TYPE` of each analysis once finished (repeatable)")
	cmd.Flags().StringVar(&dir, "dir", "", "save downloads into DIR/WEBID instead of ./WEBID")
	addOutputFlag(cmd, &out)
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		c, rec, err := a.newRecordingClient("download")
		if err != nil {
			return err
		}
		sub, err := a.pollSubmission(c, args[0], &w)
		if err != nil {
			return err
		}
		final := recorded(rec, sub, false)
		if err := a.downloadAll(c, sub, download, dir); err != nil {
			return err
		}
		return a.emit(final, out)
	})
	return cmd
}

// pollSubmission asks for the submission's info every interval until it is
// finished.
func (a *app) pollSubmission(c *client.Client, id string, w *waitFlags) (*client.Submission, error) {
	ctx := a.ctx
	if w.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.timeout)
		defer cancel()
	}
	sub, err := c.WaitSubmission(ctx, id, &client.WaitOptions{Interval: w.interval, MaxInterval: w.interval})
	if err != nil && a.ctx.Err() == nil && ctx.Err() != nil {
		return nil, errWaitTimeout(w.timeout)
	}
	return sub, err
}

func sleep(a *app, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a.ctx.Done():
		return a.ctx.Err()
	case <-t.C:
		return nil
	}
}

// downloadAll saves the resources types of every analysis of sub into
// DIR/WEBID (dir "" means the current folder) and notes the paths on stderr.
func (a *app) downloadAll(c *client.Client, sub *client.Submission, types []string, dir string) error {
	if len(types) == 0 {
		return nil
	}
	for _, an := range sub.Analyses {
		target := filepath.Join(dir, client.SafeFileName(an.Webid, "analysis"))
		paths, err := a.download(c, an.Webid, types, target, false, nil)
		if err != nil {
			return err
		}
		for _, t := range types {
			a.logf("%s %s: %v", an.Webid, t, paths[t])
		}
	}
	return nil
}

// waitSubmission waits for a submission made by submit --wait, downloads
// what was asked and prints the final info.
func (a *app) waitSubmission(id string, w *waitFlags, types []string, dir string) error {
	c, rec, err := a.newRecordingClient("")
	if err != nil {
		return err
	}
	sub, err := a.pollSubmission(c, id, w)
	if err != nil {
		return err
	}
	final := recorded(rec, sub, false)
	if err := a.downloadAll(c, sub, types, dir); err != nil {
		return err
	}
	a.printJSON(final)
	return nil
}
