// Package client is the Go client of the Joe Sandbox v2 web API: everything
// the official Python client (jbxapi.py) does, typed, context-aware,
// streaming and safe for concurrent use.
//
// # Construction
//
// [New] takes functional options; what is not given comes from the
// environment (JBX_API_KEY, JBX_API_URL, JBX_ACCEPT_TAC=1), then from the
// defaults (Joe Sandbox Cloud, terms not accepted):
//
//	c, err := client.New(
//		client.WithAPIKey(key),
//		client.WithAcceptTAC(true),                 // Joe Sandbox Cloud requires it
//		client.WithUserAgent("My Integration"),     // "My Integration (jbxapi-go/VERSION)"
//	)
//
// A missing API key or a malformed URL is an error at New. The key travels
// in the body of every POST, never in the URL, and appears in no error text
// and no log line; the client refuses redirects to another host.
//
// # Operations
//
// Every call takes a context first and returns the models generated from
// the API contract (package gen), re-exported here as aliases ([Analysis],
// [Submission], ...). Fields the contract does not know yet stay reachable
// in AdditionalProperties. Submissions take [SubmitParams]: the generated
// [SubmissionParameters] struct (one field per parameter, zero = not sent,
// tri-state booleans as [Flag]) plus Extra for anything else.
//
// Samples are uploaded in chunks (10 MiB by default) read as sections of the
// input, so a file of any size is sent with a small, constant amount of
// memory and a failed chunk is retried on its own; old servers get the
// classic upload. Downloads stream to an io.Writer; resources of analyses
// submitted with encrypt-with-password are decrypted with [Password].
//
// Lists are iterators that fetch the next page only when the loop gets
// there ([Client.Analyses], [Client.Submissions]), with page-level calls
// beside them to resume a long listing. [Client.WaitSubmission] polls until
// a submission is finished.
//
// # Errors
//
// API errors are [*APIError] values that match sentinel errors with
// errors.Is: [ErrMissingParameter], [ErrInvalidParameter],
// [ErrInvalidAPIKey], [ErrServerOffline], [ErrInternalServer],
// [ErrPermissionDenied], [ErrUnknownEndpoint] for the codes 2 to 8, and
// [ErrTermsNotAccepted] and [ErrQuotaExceeded], recognised from the server's
// messages. An answer that is not the API's (an HTML page: a wrong URL) is
// an [*UnexpectedResponseError]; a network failure is a [*ConnectionError].
// An argument that cannot make a valid request (a nil reader or writer, a
// blank id, an empty sample, a negative run, ...) is an [*InputError],
// matching [ErrInvalidInput], returned before anything is sent.
//
// # Retries
//
// One request path serves every call. It retries connection errors,
// timeouts ([WithTimeout]) and the answers 429, 502, 503 and 504 with a
// jittered exponential backoff, honouring Retry-After, at most
// [WithRetries] times (default 3) and never past the context. A body that
// cannot be rebuilt (a plain io.Reader upload) is never retried. A
// submission/new request is retried only when it provably never reached the
// server (the connection could not be established) or when the server
// refused it before processing (429, 503), so a retry never creates a
// duplicate submission. A spent quota or unaccepted terms are not retried.
//
// # Testing
//
// Package jbxtest is an in-memory Joe Sandbox that enforces the API
// contract; point a client at it with WithBaseURL(srv.URL()).
package client
