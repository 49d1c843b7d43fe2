package client

import (
	"context"

	"github.com/jbx-go/jbxapi/gen"
)

// ServerOnline reports whether the server is running (false: maintenance).
func (c *Client) ServerOnline(ctx context.Context) (bool, error) {
	var env gen.ServerOnlineEnvelope
	if err := c.call(ctx, c.gen.ServerOnlineWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return false, err
	}
	return env.Data.Online, nil
}

// ServerInfo returns information about the server, e.g. its queue size.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var env gen.ServerInfoEnvelope
	if err := c.call(ctx, c.gen.ServerInfoWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// ServerSystems lists the analysis systems available.
func (c *Client) ServerSystems(ctx context.Context) ([]System, error) {
	var env gen.ServerSystemsEnvelope
	if err := c.call(ctx, c.gen.ServerSystemsWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// ServerLIACountries lists the countries available for localized internet
// anonymization.
func (c *Client) ServerLIACountries(ctx context.Context) ([]NamedItem, error) {
	var env gen.NamedItemListEnvelope
	if err := c.call(ctx, c.gen.ServerLiaCountriesWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// ServerLanguagesAndLocales lists the languages and locales available.
func (c *Client) ServerLanguagesAndLocales(ctx context.Context) ([]NamedItem, error) {
	var env gen.NamedItemListEnvelope
	if err := c.call(ctx, c.gen.ServerLanguagesAndLocalesWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// AccountInfo returns the account type and quotas (Joe Sandbox Cloud only).
func (c *Client) AccountInfo(ctx context.Context) (*AccountInfo, error) {
	var env gen.AccountInfoEnvelope
	if err := c.call(ctx, c.gen.AccountInfoWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// AnalysisInfo returns the status and main results of an analysis. A
// blank webid is an [*InputError].
func (c *Client) AnalysisInfo(ctx context.Context, webid string) (*Analysis, error) {
	if err := required("webid", webid); err != nil {
		return nil, err
	}
	var env gen.AnalysisEnvelope
	if err := c.call(ctx, c.gen.AnalysisInfoWithBody, gen.WebidForm{Apikey: c.apiKey, Webid: webid}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// AnalysisDelete deletes an analysis. A blank webid is an [*InputError].
func (c *Client) AnalysisDelete(ctx context.Context, webid string) (OpenObject, error) {
	if err := required("webid", webid); err != nil {
		return nil, err
	}
	var env gen.OpenObjectEnvelope
	if err := c.call(ctx, c.gen.AnalysisDeleteWithBody, gen.WebidForm{Apikey: c.apiKey, Webid: webid}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// AnalysisSearch returns the analyses that match query in MD5, SHA1,
// SHA256, file name, cookbook name, comment, URL or report id. A blank
// query is an [*InputError].
func (c *Client) AnalysisSearch(ctx context.Context, query string) ([]Analysis, error) {
	if err := required("query", query); err != nil {
		return nil, err
	}
	var env gen.AnalysisListEnvelope
	if err := c.call(ctx, c.gen.AnalysisSearchWithBody, gen.AnalysisSearchForm{Apikey: c.apiKey, Q: query}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// SubmissionInfo returns a submission with all its analyses. A blank
// submissionID is an [*InputError].
func (c *Client) SubmissionInfo(ctx context.Context, submissionID string) (*Submission, error) {
	if err := required("submissionID", submissionID); err != nil {
		return nil, err
	}
	var env gen.SubmissionEnvelope
	if err := c.call(ctx, c.gen.SubmissionInfoWithBody, gen.SubmissionIDForm{Apikey: c.apiKey, SubmissionID: submissionID}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// SubmissionDelete deletes a submission. A blank submissionID is an
// [*InputError].
func (c *Client) SubmissionDelete(ctx context.Context, submissionID string) (OpenObject, error) {
	if err := required("submissionID", submissionID); err != nil {
		return nil, err
	}
	var env gen.OpenObjectEnvelope
	if err := c.call(ctx, c.gen.SubmissionDeleteWithBody, gen.SubmissionIDForm{Apikey: c.apiKey, SubmissionID: submissionID}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}
