package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jbx-go/jbxapi/internal/aeszip"
)

// Sentinel errors. An [*APIError] matches the sentinel of its code with
// errors.Is; ErrTermsNotAccepted and ErrQuotaExceeded are recognised from the
// server's message.
var (
	ErrMissingParameter = errors.New("jbxapi: missing parameter")     // code 2
	ErrInvalidParameter = errors.New("jbxapi: invalid parameter")     // code 3
	ErrInvalidAPIKey    = errors.New("jbxapi: invalid API key")       // code 4
	ErrServerOffline    = errors.New("jbxapi: server offline")        // code 5 (maintenance)
	ErrInternalServer   = errors.New("jbxapi: internal server error") // code 6
	ErrPermissionDenied = errors.New("jbxapi: permission denied")     // code 7
	ErrUnknownEndpoint  = errors.New("jbxapi: unknown endpoint")      // code 8
	ErrTermsNotAccepted = errors.New("jbxapi: terms and conditions not accepted")
	ErrQuotaExceeded    = errors.New("jbxapi: submission quota exceeded")

	// ErrWrongPassword is matched by the error of a download whose password
	// does not decrypt the resource.
	ErrWrongPassword = aeszip.ErrWrongPassword

	// ErrShortBody is matched by the error of a download whose body ended
	// before the length the server announced.
	ErrShortBody = errors.New("jbxapi: response body shorter than its Content-Length")
)

var codeSentinels = map[int]error{
	2: ErrMissingParameter,
	3: ErrInvalidParameter,
	4: ErrInvalidAPIKey,
	5: ErrServerOffline,
	6: ErrInternalServer,
	7: ErrPermissionDenied,
	8: ErrUnknownEndpoint,
}

var quotaRE = regexp.MustCompile(`number of allowed submissions \(\d+\) per day have been reached`)

const termsMessage = "You have to agree to the Terms and Conditions"

// APIError is an error answer of the API: the first object of "errors".
//
//	var apiErr *client.APIError
//	if errors.As(err, &apiErr) { log.Print(apiErr.Code) }
//	if errors.Is(err, client.ErrInvalidAPIKey) { ... }
type APIError struct {
	Code       int             // the API error code (2-8 have sentinels)
	Message    string          // the server's message
	HTTPStatus int             // the HTTP status of the answer
	Raw        json.RawMessage // the whole error object as the server sent it
}

// Error returns the message, with a hint when the fix is known.
func (e *APIError) Error() string {
	s := fmt.Sprintf("jbxapi: API error %d: %s", e.Code, e.Message)
	switch {
	case e.termsNotAccepted():
		s += " (accept the Terms and Conditions with client.WithAcceptTAC(true) or JBX_ACCEPT_TAC=1)"
	case e.quotaExceeded():
		s += " (wait until the quota resets or upgrade the account)"
	}
	return s
}

func (e *APIError) termsNotAccepted() bool { return strings.Contains(e.Message, termsMessage) }
func (e *APIError) quotaExceeded() bool    { return quotaRE.MatchString(e.Message) }

// Is reports whether target is the sentinel error of e's code, or
// ErrTermsNotAccepted / ErrQuotaExceeded for those messages.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrTermsNotAccepted:
		return e.termsNotAccepted()
	case ErrQuotaExceeded:
		return e.quotaExceeded()
	}
	s, ok := codeSentinels[e.Code]
	return ok && s == target
}

// ErrInvalidInput is matched by an [*InputError]: an argument that the
// client refused before sending any request. It is the client's own check,
// distinct from [ErrMissingParameter] and [ErrInvalidParameter], which are
// the server's answers.
var ErrInvalidInput = errors.New("jbxapi: invalid input")

// InputError is an argument of a [Client] method that cannot make a valid
// request: a nil reader or writer, a blank id (empty or white space only), a
// negative run number, an empty sample, ... The method returns it before
// sending anything, so nothing happened on the server and the call can be
// repeated with a corrected argument. It matches [ErrInvalidInput] with
// errors.Is. The godoc of each method says which of its arguments are
// checked.
//
//	var inErr *client.InputError
//	if errors.As(err, &inErr) { log.Print(inErr.Arg) }
type InputError struct {
	Arg    string // the argument as the method's godoc names it, e.g. "webid", "sample", "run"
	Reason string // what is wrong with it, e.g. "empty"
}

// Error reads "jbxapi: invalid argument ARG: REASON".
func (e *InputError) Error() string {
	return "jbxapi: invalid argument " + e.Arg + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidInput].
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// UnexpectedResponseError is an answer that is not in the API's format: not
// JSON, or JSON without "data" (success) or "errors" (failure). The usual
// cause is a wrong base URL.
type UnexpectedResponseError struct {
	StatusCode  int
	ContentType string
	Snippet     string // the start of the body
}

// Error describes the answer and suggests checking the URL.
func (e *UnexpectedResponseError) Error() string {
	return fmt.Sprintf("jbxapi: the server responded with an unexpected format (HTTP %d, %s). Is the API URL correct?",
		e.StatusCode, e.ContentType)
}

// ConnectionError is a failure to reach the server or to complete an
// exchange with it (refused, DNS, TLS, reset, timeout), after any retries.
type ConnectionError struct {
	Op  string // the endpoint, e.g. "/v2/analysis/info"
	Err error  // the cause
	key string
}

// Error describes the failure without the API key. When the server's TLS
// certificate could not be verified, it says how to connect anyway.
func (e *ConnectionError) Error() string {
	s := fmt.Sprintf("jbxapi: %s: connection error: %v", e.Op, e.Err)
	if certificateError(e.Err) {
		s += " (the server's TLS certificate is not trusted; to connect anyway, e.g. to a test server with a " +
			"self-signed certificate, use client.WithInsecureSkipVerify() or the command line's --no-check-certificate)"
	}
	return redact(s, e.key)
}

// certificateError reports whether err is a failure to verify the server's
// certificate.
func certificateError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify)
}

// Unwrap returns the cause.
func (e *ConnectionError) Unwrap() error { return e.Err }

// RedirectError is returned when the server redirects to another host, which
// the client refuses (the API key travels in the body).
type RedirectError struct {
	From, To string
	key      string
}

// Error names both hosts (without the API key, should a server put it in
// the host name it redirects to).
func (e *RedirectError) Error() string {
	return redact(fmt.Sprintf("jbxapi: refusing to follow a redirect from %s to another host (%s): check the API URL", e.From, e.To), e.key)
}

// redactedMark replaces the API key wherever a server echoes it.
const redactedMark = "[REDACTED]"

func redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, redactedMark)
}
