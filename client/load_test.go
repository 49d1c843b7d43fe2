package client

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// TestLoad runs loadWorkers goroutines × loadCalls mixed calls through one
// shared Client against one jbxtest server that checks every request
// against the contract: no call may fail, the server must record no
// violation, and afterwards the server must hold exactly the submissions
// the calls created, each once. Skipped with -short.
//
// It makes 64 × 2,000 = 128,000 calls. On a 2-core machine that takes
// about 30 s, and about 2 minutes under the race detector, where most of
// the time goes to the detector's bookkeeping and to the fake server (which
// validates every request against the contract and records it).
// JBX_LOAD_CALLS=N sets the calls per goroutine for a quicker local run.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	const loadWorkers = 64
	loadCalls := 2000
	if v := os.Getenv("JBX_LOAD_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		loadCalls = n
	}
	sopts := []jbxtest.Option{jbxtest.WithQuota(1 << 30), jbxtest.WithAnalysisDuration(0), jbxtest.WithPageSize(5)}
	// The client's own transport keeps up to 64 idle connections to the
	// server (net/http's default of 2 made about every second call of 64
	// goroutines dial anew): the connections the server accepts are
	// counted to show that the pool is reused.
	srv := jbxtest.NewServer(t, sopts...)
	seeded := srv.SeedAnalyses(20)
	c, err := New(WithBaseURL(srv.URL()), WithAPIKey(srv.APIKey()), WithAcceptTAC(true), WithChunkSize(64))
	require.NoError(t, err)
	t.Cleanup(c.httpClient.CloseIdleConnections)
	// any retry is a failure here; retrying would hide it
	c.retries = 0

	var (
		calls     atomic.Int64
		failures  atomic.Int64
		mu        sync.Mutex
		submitted []string // submission ids returned
		deleted   int
		errSample []string
	)
	fail := func(op string, err error) {
		failures.Add(1)
		mu.Lock()
		if len(errSample) < 10 {
			errSample = append(errSample, op+": "+err.Error())
		}
		mu.Unlock()
	}
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []string // this worker's live submissions
			next := ""        // list paging position
			for i := range loadCalls {
				calls.Add(1)
				k := rng.IntN(100)
				if len(mine) == 0 && (65 <= k && k < 80 || k >= 97) {
					k = 0 // nothing of this worker's to look up or delete yet
				}
				switch {
				case k < 10:
					if _, err := c.ServerOnline(ctx); err != nil {
						fail("server/online", err)
					}
				case k < 30:
					webid := seeded[rng.IntN(len(seeded))]
					if a, err := c.AnalysisInfo(ctx, webid); err != nil {
						fail("analysis/info", err)
					} else if a.Webid != webid {
						fail("analysis/info", fmt.Errorf("asked for %s, got %s", webid, a.Webid))
					}
				case k < 45:
					_, tok, err := c.AnalysisListPage(ctx, next)
					if err != nil {
						fail("analysis/list", err)
					}
					next = tok
				case k < 55:
					res, err := c.SubmitURL(ctx, fmt.Sprintf("https://example.com/%d/%d", w, i), nil)
					if err != nil {
						fail("submission/new url", err)
						break
					}
					mine = append(mine, res.SubmissionID)
				case k < 65:
					// a 200-byte sample in 4 chunks of 64 bytes
					sample := bytes.Repeat([]byte{byte(w), byte(i)}, 100)
					res, err := c.SubmitSample(ctx, "s.bin", bytes.NewReader(sample), nil)
					if err != nil {
						fail("submission/new sample", err)
						break
					}
					mine = append(mine, res.SubmissionID)
				case k < 80:
					id := mine[rng.IntN(len(mine))]
					if s, err := c.SubmissionInfo(ctx, id); err != nil {
						fail("submission/info", err)
					} else if s.SubmissionID != id {
						fail("submission/info", fmt.Errorf("asked for %s, got %s", id, s.SubmissionID))
					}
				case k < 97:
					webid := seeded[rng.IntN(len(seeded))]
					var buf bytes.Buffer
					if _, n, err := c.AnalysisDownload(ctx, webid, "html", &buf); err != nil {
						fail("analysis/download", err)
					} else if n != int64(buf.Len()) || n == 0 {
						fail("analysis/download", fmt.Errorf("n %d, %d bytes written", n, buf.Len()))
					}
				default:
					j := rng.IntN(len(mine))
					if _, err := c.SubmissionDelete(ctx, mine[j]); err != nil {
						fail("submission/delete", err)
						break
					}
					mine = append(mine[:j], mine[j+1:]...)
					mu.Lock()
					deleted++
					mu.Unlock()
				}
			}
			mu.Lock()
			submitted = append(submitted, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)

	t.Logf("%d goroutines × %d calls = %d calls in %v (%.0f calls/s); %d submissions live, %d deleted; %d connections dialled",
		loadWorkers, loadCalls, calls.Load(), took.Round(time.Millisecond), float64(calls.Load())/took.Seconds(), len(submitted), deleted, srv.Connections())
	assert.Zero(t, failures.Load(), "failed calls, e.g. %q", errSample)
	assert.LessOrEqual(t, srv.Connections(), int64(2*loadWorkers), "connections are kept alive and reused")
	assert.Empty(t, srv.Violations(), "contract violations")

	// every live submission once, nothing else
	assert.Equal(t, len(seeded)+len(submitted), srv.SubmissionCount(), "submissions on the server")
	seen := map[string]bool{}
	for _, id := range submitted {
		assert.False(t, seen[id], "submission id %s returned twice", id)
		seen[id] = true
		if _, ok := srv.Submission(id); !ok {
			t.Errorf("submission %s missing on the server", id)
		}
	}
}
