package jbxtest

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultAPIKey is the API key a Server accepts unless WithAPIKey says
// otherwise: 64 hex digits, shaped like a Joe Sandbox Cloud key.
const DefaultAPIKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// DefaultSystem is the system an analysis runs on when a submission names
// none in systems[].
const DefaultSystem = "w10x64_21h1_office"

// Option configures a Server or a Handler.
type Option func(*config)

type config struct {
	apiKey        string
	mode          Mode
	clock         Clock
	analysisDur   time.Duration
	pageSize      int
	quota         int
	oldServer     bool
	machines      []string
	resourceSize  int64
	faults        []FaultRule
	logger        *slog.Logger
	validateResp  bool
	keepThreshold int64
}

func defaultConfig() config {
	return config{
		apiKey:        DefaultAPIKey,
		clock:         realClock{},
		analysisDur:   2 * time.Second,
		pageSize:      10,
		quota:         1000,
		machines:      []string{"lab1"},
		keepThreshold: 64 << 20,
	}
}

// WithAPIKey sets the API key the server accepts. The empty string makes it
// accept any non-empty key.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithMode selects Cloud (the default) or on-premise behaviour.
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithClock sets the clock analyses progress on; pass a *FakeClock to make
// them finish on command.
func WithClock(clk Clock) Option {
	return func(c *config) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// WithAnalysisDuration sets how long an analysis takes on the server's clock
// (default 2s). An analysis is "submitted" during the first quarter of that
// time, then "running", and "finished" once the whole duration has passed;
// 0 makes analyses finish at once.
func WithAnalysisDuration(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.analysisDur = d
		}
	}
}

// WithPageSize sets the number of items per page of submission/list and of
// paged analysis/list (default 10).
func WithPageSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.pageSize = n
		}
	}
}

// WithQuota sets the daily submission quota (default 1000). Once it is spent,
// submission/new fails with code 1 (HTTP 429) and a message containing
// "number of allowed submissions (N) per day have been reached".
func WithQuota(daily int) Option { return func(c *config) { c.quota = daily } }

// WithOldServer imitates an older server: submission/new refuses
// chunked-sample with code 3 ("Unknown parameter chunked-sample.") and
// joelab/filesystem/upload-chunked does not exist (code 8).
func WithOldServer() Option { return func(c *config) { c.oldServer = true } }

// WithMachines sets the ids of the Joe Lab machines (default one, "lab1").
func WithMachines(ids ...string) Option {
	return func(c *config) { c.machines = append([]string(nil), ids...) }
}

// WithResourceSize makes every downloadable resource of analysis/download
// (except sample and cookbook, which are what was uploaded) and the Joe Lab
// PCAP exactly n bytes of generated filler, streamed without being held in
// memory. It is meant for large-download tests; 0 restores normal content.
func WithResourceSize(n int64) Option { return func(c *config) { c.resourceSize = n } }

// WithFaults installs fault rules; see FaultRule.
func WithFaults(rules ...FaultRule) Option {
	return func(c *config) { c.faults = append(c.faults, rules...) }
}

// WithLogger makes the server log one line per request (never the API key).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithResponseValidation makes the server validate each of its own JSON
// answers against the contract and record a Violation when one is wrong.
func WithResponseValidation() Option { return func(c *config) { c.validateResp = true } }

// WithSampleKeepLimit sets the size above which an uploaded sample's bytes are
// not kept (only its size and hashes are); default 64 MiB. Downloading the
// sample of such an analysis fails with code 3.
func WithSampleKeepLimit(n int64) Option { return func(c *config) { c.keepThreshold = n } }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that moves only when told to. It is safe for
// concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
