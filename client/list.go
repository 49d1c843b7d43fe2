package client

import (
	"context"
	"fmt"
	"iter"

	"github.com/jbx-go/jbxapi/gen"
)

// AnalysisListPage fetches one page of the list of analyses. next is the
// token of the page ("" for the first); the returned token is "" on the last
// page. Keep the token to resume a long listing later.
func (c *Client) AnalysisListPage(ctx context.Context, next string) (items []AnalysisListItem, nextToken string, err error) {
	var page gen.AnalysisListPage
	if err := c.call(ctx, c.gen.AnalysisListWithBody,
		gen.AnalysisListForm{Apikey: c.apiKey, Pagination: FlagOn, PaginationNext: next}, &page); err != nil {
		return nil, "", err
	}
	if page.Pagination != nil {
		nextToken = page.Pagination.Next
	}
	return page.Data, nextToken, nil
}

// Analyses iterates over all analyses, fetching each page only when the
// loop gets there. An error is yielded once and ends the iteration;
// breaking out of the loop fetches nothing more.
//
//	for a, err := range c.Analyses(ctx) {
//		if err != nil { return err }
//		fmt.Println(a.Webid)
//	}
func (c *Client) Analyses(ctx context.Context) iter.Seq2[AnalysisListItem, error] {
	return paginate(func(next string) ([]AnalysisListItem, string, error) {
		return c.AnalysisListPage(ctx, next)
	})
}

// ListAnalyses collects all analyses. Prefer [Client.Analyses] for long
// lists.
func (c *Client) ListAnalyses(ctx context.Context) ([]AnalysisListItem, error) {
	return collect(c.Analyses(ctx))
}

// SubmissionListOptions filter [Client.Submissions].
type SubmissionListOptions struct {
	// IncludeShared also lists the submissions shared with the user (sent
	// as include-shared; unset leaves the server's default).
	IncludeShared Flag
}

// SubmissionListPage fetches one page of the list of submissions; see
// [Client.AnalysisListPage] for next and nextToken. opts may be nil.
func (c *Client) SubmissionListPage(ctx context.Context, next string, opts *SubmissionListOptions) (items []SubmissionListItem, nextToken string, err error) {
	f := gen.SubmissionListForm{Apikey: c.apiKey, PaginationNext: next}
	if opts != nil {
		f.IncludeShared = opts.IncludeShared
	}
	var page gen.SubmissionListPage
	if err := c.call(ctx, c.gen.SubmissionListWithBody, f, &page); err != nil {
		return nil, "", err
	}
	if page.Pagination != nil {
		nextToken = page.Pagination.Next
	}
	return page.Data, nextToken, nil
}

// Submissions iterates over all submissions like [Client.Analyses]. opts
// may be nil.
func (c *Client) Submissions(ctx context.Context, opts *SubmissionListOptions) iter.Seq2[SubmissionListItem, error] {
	return paginate(func(next string) ([]SubmissionListItem, string, error) {
		return c.SubmissionListPage(ctx, next, opts)
	})
}

// ListSubmissions collects all submissions. opts may be nil.
func (c *Client) ListSubmissions(ctx context.Context, opts *SubmissionListOptions) ([]SubmissionListItem, error) {
	return collect(c.Submissions(ctx, opts))
}

func paginate[T any](page func(next string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next := ""
		seen := map[string]bool{}
		for {
			items, tok, err := page(next)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if tok == "" {
				return
			}
			if seen[tok] {
				yield(zero, fmt.Errorf("jbxapi: the server repeated the page token %q", tok))
				return
			}
			seen[tok] = true
			next = tok
		}
	}
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
