package client

import (
	"context"
	"fmt"
	"time"
)

// WaitOptions tune [Client.WaitSubmission]. The zero value polls after 5 s,
// then 1.5 times longer each time, up to every 60 s. A zero field takes its
// default; a negative one is an [*InputError].
type WaitOptions struct {
	Interval    time.Duration // first pause (default 5 s)
	MaxInterval time.Duration // longest pause (default 60 s)
}

// WaitSubmission polls submission/info until the submission is finished
// and returns its final info. It stops with the context (use
// context.WithTimeout to bound the wait). Errors of single polls that may be
// retried are retried by the request path; any other error ends the wait.
// opts may be nil. A blank submissionID (Arg "submissionID") or a negative
// interval (Arg "opts.Interval", "opts.MaxInterval") is an [*InputError],
// returned before the first poll.
func (c *Client) WaitSubmission(ctx context.Context, submissionID string, opts *WaitOptions) (*Submission, error) {
	if err := required("submissionID", submissionID); err != nil {
		return nil, err
	}
	if opts != nil {
		for _, f := range []struct {
			arg string
			d   time.Duration
		}{{"opts.Interval", opts.Interval}, {"opts.MaxInterval", opts.MaxInterval}} {
			if f.d < 0 {
				return nil, &InputError{Arg: f.arg, Reason: fmt.Sprintf("negative (%s)", f.d)}
			}
		}
	}
	interval, maxInterval := 5*time.Second, 60*time.Second
	if opts != nil {
		if opts.Interval > 0 {
			interval = opts.Interval
		}
		if opts.MaxInterval > 0 {
			maxInterval = opts.MaxInterval
		}
	}
	interval = min(interval, maxInterval)
	for {
		s, err := c.SubmissionInfo(ctx, submissionID)
		if err != nil {
			return nil, err
		}
		switch s.Status {
		case StatusFinished:
			return s, nil
		case StatusSubmitted, StatusRunning:
		default:
			return s, fmt.Errorf("jbxapi: submission %s has an unknown status %q", submissionID, s.Status)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return s, fmt.Errorf("jbxapi: waiting for submission %s (status %s): %w", submissionID, s.Status, context.Cause(ctx))
		case <-t.C:
		}
		interval = min(interval*3/2, maxInterval)
	}
}
