package client

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jbx-go/jbxapi/gen"
)

// Version is the version of this module, sent in the User-Agent header.
const Version = "0.1.0"

// CloudURL is the API base URL of Joe Sandbox Cloud, the default.
const CloudURL = "https://jbxcloud.joesecurity.org/api"

// DefaultChunkSize is the chunk size of chunked uploads (10 MiB), the value
// the official client uses.
const DefaultChunkSize = 10 << 20

// maxIdleConnsPerHost is how many idle keep-alive connections the transport
// built by New keeps to the server, enough for the goroutines of a busy
// program (or of jbxapi submit --jobs) to reuse theirs.
const maxIdleConnsPerHost = 64

// DefaultRetries is how many times a failed request is retried by default.
const DefaultRetries = 3

// Environment variables read by [New] when the corresponding option is not
// given.
const (
	EnvAPIKey    = "JBX_API_KEY"    // the API key
	EnvAPIURL    = "JBX_API_URL"    // the API base URL
	EnvAcceptTAC = "JBX_ACCEPT_TAC" // "1" accepts the Terms and Conditions
)

// Client talks to one Joe Sandbox server. It is safe for concurrent use by
// several goroutines; create it with [New] and reuse it.
//
// Every call goes through one request path, which retries (at most
// [WithRetries] times, within the context) connection errors, timeouts and
// the answers 429, 502, 503 and 504, with a jittered exponential backoff
// that honours Retry-After. Rules:
//   - a request whose body cannot be rebuilt (an upload from a plain
//     io.Reader) is never retried;
//   - submission/new is retried only when it provably never reached the
//     server (the connection could not be established: dial error, DNS
//     failure, connection refused) or when the server refused it before
//     processing it (429, 503). A timeout, a reset connection or a 502/504
//     after the request was sent may mean the submission exists, so it is
//     reported, not re-sent: no duplicate submissions;
//   - a spent quota, unaccepted terms and a server certificate that cannot
//     be verified are never retried.
type Client struct {
	apiKey    string
	baseURL   string
	basePath  string
	acceptTAC bool
	userAgent string
	retries   int
	timeout   time.Duration
	chunkSize int64
	progress  func(done, total int64)
	logger    *slog.Logger

	httpClient *http.Client
	gen        *gen.Client

	// backoff returns the pause before retry number attempt (1-based);
	// tests replace it.
	backoff func(attempt int) time.Duration
	// now is the clock used for Retry-After dates; tests replace it.
	now func() time.Time
}

type config struct {
	apiKey        *string
	baseURL       *string
	acceptTAC     *bool
	httpClient    *http.Client
	transport     http.RoundTripper
	timeout       time.Duration
	retries       int
	userAgent     string
	proxy         func(*http.Request) (*url.URL, error)
	insecure      bool
	chunkSize     int64
	progress      func(done, total int64)
	logger        *slog.Logger
	errs          []error
	transportOpts bool
}

// Option configures a [Client] created by [New].
type Option func(*config)

// WithAPIKey sets the API key. Without it, New reads JBX_API_KEY.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = &key } }

// WithBaseURL sets the API base URL, e.g.
// "https://jbxcloud.joesecurity.org/api" or
// "https://host/joesandbox/index.php/api". A trailing "/" is dropped.
// Without it, New reads JBX_API_URL, then falls back to [CloudURL].
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = &u } }

// WithAcceptTAC records whether the user accepts the Terms and Conditions of
// Joe Sandbox Cloud (https://jbxcloud.joesecurity.org/resources/termsandconditions.pdf).
// It is sent as accept-tac=1/0 on every call that carries it. Without it, New
// reads JBX_ACCEPT_TAC ("1" accepts).
func WithAcceptTAC(accept bool) Option { return func(c *config) { c.acceptTAC = &accept } }

// WithHTTPClient makes the client send its requests through hc. The client
// works on a shallow copy: it installs its own redirect policy (see [New])
// and leaves hc untouched. It cannot be combined with [WithTransport],
// [WithProxy] or [WithInsecureSkipVerify].
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.errs = append(c.errs, errors.New("WithHTTPClient: nil client"))
		}
		c.httpClient = hc
	}
}

// WithTransport sets the RoundTripper of the client's HTTP client. It cannot
// be combined with [WithHTTPClient], [WithProxy] or [WithInsecureSkipVerify].
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) {
		if rt == nil {
			c.errs = append(c.errs, errors.New("WithTransport: nil transport"))
		}
		c.transport = rt
	}
}

// WithTimeout bounds each attempt of a request: connecting, sending it and,
// for calls answered with JSON, reading the answer. For downloads it bounds
// the time until the response headers arrive, not the transfer (use the
// context for that). A timed-out attempt is retried (see [WithRetries]).
// Zero, the default, means no timeout beyond the context.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRetries sets how many times a failed request is retried (default 3;
// 0 disables retries). See [Client] for which failures are retried.
func WithRetries(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithRetries: negative count %d", n))
		}
		c.retries = n
	}
}

// WithUserAgent names the integration that uses the client; the User-Agent
// becomes "NAME (jbxapi-go/VERSION)" instead of "jbxapi-go/VERSION". Joe
// Security uses it to see how often an integration is used.
func WithUserAgent(name string) Option { return func(c *config) { c.userAgent = name } }

// WithProxy sets the proxy function of the transport the client builds (see
// http.Transport.Proxy). Without it, the environment (HTTP_PROXY, ...) is used.
func WithProxy(proxy func(*http.Request) (*url.URL, error)) Option {
	return func(c *config) {
		if proxy == nil {
			c.errs = append(c.errs, errors.New("WithProxy: nil proxy function"))
		}
		c.proxy = proxy
		c.transportOpts = true
	}
}

// WithProxyURL sends every request through the proxy at u.
func WithProxyURL(u *url.URL) Option {
	if u == nil {
		return func(c *config) { c.errs = append(c.errs, errors.New("WithProxyURL: nil URL")) }
	}
	return WithProxy(http.ProxyURL(u))
}

// WithInsecureSkipVerify turns off the verification of the server's TLS
// certificate. Use it only for a test server with a self-signed certificate:
// it exposes the API key to anyone who can intercept the connection.
func WithInsecureSkipVerify() Option {
	return func(c *config) { c.insecure = true; c.transportOpts = true }
}

// WithChunkSize sets the chunk size of chunked uploads (default 10 MiB).
func WithChunkSize(n int64) Option {
	return func(c *config) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("WithChunkSize: %d is not positive", n))
		}
		c.chunkSize = n
	}
}

// WithProgress registers a callback that reports the progress of uploads
// and downloads: done bytes of total (total is -1 when unknown). It is
// called at most about every 100 ms, plus once when a transfer completes,
// on the goroutine doing the transfer: it must return quickly (hand the
// numbers to another goroutine if it has work to do), or it slows the
// transfer down.
func WithProgress(fn func(done, total int64)) Option {
	return func(c *config) { c.progress = fn }
}

// WithLogger makes the client log each HTTP exchange at debug level: method,
// endpoint path, status, duration and attempt. The API key and the bodies are
// never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// New returns a client configured by opts. Settings not given as options
// come from the environment (JBX_API_KEY, JBX_API_URL, JBX_ACCEPT_TAC), then
// from the defaults (Joe Sandbox Cloud, terms not accepted). A missing API
// key or a malformed base URL is an error.
//
// Without WithHTTPClient or WithTransport, the client builds its own
// transport, a clone of http.DefaultTransport that keeps up to 64 idle
// connections to the server (instead of 2) so that concurrent calls reuse
// their connections.
//
// The client refuses to follow a redirect to another host, since the API key
// travels in the request body and a 307/308 redirect would re-send it there.
func New(opts ...Option) (*Client, error) {
	cfg := config{retries: DefaultRetries, chunkSize: DefaultChunkSize}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("jbxapi: %w", errors.Join(cfg.errs...))
	}
	key := os.Getenv(EnvAPIKey)
	if cfg.apiKey != nil {
		key = *cfg.apiKey
	}
	if key == "" {
		return nil, fmt.Errorf("jbxapi: no API key: use WithAPIKey or set %s", EnvAPIKey)
	}
	base := CloudURL
	if v, ok := os.LookupEnv(EnvAPIURL); ok && v != "" {
		base = v
	}
	if cfg.baseURL != nil {
		base = *cfg.baseURL
	}
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("jbxapi: malformed API base URL %q: want http(s)://host/path", redactURL(base))
	}
	accept := os.Getenv(EnvAcceptTAC) == "1"
	if cfg.acceptTAC != nil {
		accept = *cfg.acceptTAC
	}
	if cfg.httpClient != nil && (cfg.transport != nil || cfg.transportOpts) {
		return nil, errors.New("jbxapi: WithHTTPClient cannot be combined with WithTransport, WithProxy or WithInsecureSkipVerify")
	}
	if cfg.transport != nil && cfg.transportOpts {
		return nil, errors.New("jbxapi: WithTransport cannot be combined with WithProxy or WithInsecureSkipVerify")
	}

	var hc http.Client
	switch {
	case cfg.httpClient != nil:
		hc = *cfg.httpClient
	case cfg.transport != nil:
		hc.Transport = cfg.transport
	default:
		t := http.DefaultTransport.(*http.Transport).Clone()
		// net/http keeps 2 idle connections per host by default: a client
		// shared by more goroutines would close and reopen connections on
		// most calls.
		t.MaxIdleConnsPerHost = maxIdleConnsPerHost
		if cfg.proxy != nil {
			t.Proxy = cfg.proxy
		}
		if cfg.insecure {
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{}
			}
			t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // explicit opt-out by the caller
		}
		hc.Transport = t
	}
	hc.CheckRedirect = sameHostRedirects(hc.CheckRedirect, key)

	ua := "jbxapi-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " (" + ua + ")"
	}
	c := &Client{
		apiKey:     key,
		baseURL:    base,
		basePath:   u.Path,
		acceptTAC:  accept,
		userAgent:  ua,
		retries:    cfg.retries,
		timeout:    cfg.timeout,
		chunkSize:  cfg.chunkSize,
		progress:   cfg.progress,
		logger:     cfg.logger,
		httpClient: &hc,
		backoff:    defaultBackoff,
		now:        time.Now,
	}
	g, err := gen.NewClient(base, gen.WithHTTPClient(c.httpClient))
	if err != nil {
		return nil, fmt.Errorf("jbxapi: %w", err)
	}
	c.gen = g
	return c, nil
}

// BaseURL returns the API base URL the client talks to (without trailing "/").
func (c *Client) BaseURL() string { return c.baseURL }

// AcceptTAC reports whether the client sends accept-tac=1.
func (c *Client) AcceptTAC() bool { return c.acceptTAC }

// UserAgent returns the User-Agent header the client sends.
func (c *Client) UserAgent() string { return c.userAgent }

func sameHostRedirects(next func(*http.Request, []*http.Request) error, key string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			return &RedirectError{From: via[0].URL.Host, To: req.URL.Host, key: key}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}
