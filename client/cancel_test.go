package client

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// Cancelling the context while a transfer is under way must end the call
// within cancelBound, with an error that matches context.Canceled. Each
// case runs cancelRuns times; the distribution is logged (go test -v).

const (
	cancelBound = 100 * time.Millisecond
	cancelRuns  = 10
)

// slowSource is an endless-looking input of size bytes that takes 1 ms per
// read, so that an upload of it is still running when it is cancelled.
type slowSource struct{ size int64 }

func (s slowSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	time.Sleep(time.Millisecond)
	n := int(min(int64(len(p)), s.size-off))
	clear(p[:n])
	if off+int64(n) == s.size {
		return n, io.EOF
	}
	return n, nil
}

// signalWriter discards what it is given and closes started at the first
// write.
type signalWriter struct {
	once    sync.Once
	started chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	return len(p), nil
}

// cancelCase starts a call with ctx; the call must close started once its
// transfer is under way. The case cancels ctx then and measures how long
// the call takes to return.
type cancelCase struct {
	name  string
	setup func(t *testing.T) (call func(ctx context.Context, started chan struct{}) error)
}

var cancelCases = []cancelCase{
	{name: "mid-upload, chunked", setup: cancelUpload()},
	{name: "mid-upload, classic", setup: cancelUpload(WithoutChunking())},
	{
		name: "mid-download",
		setup: func(t *testing.T) func(context.Context, chan struct{}) error {
			srv := jbxtest.NewServer(t, jbxtest.WithResourceSize(64<<20),
				jbxtest.WithFaults(jbxtest.FaultRule{Path: "analysis/download", Kind: jbxtest.FaultTrickle, Bytes: 4 << 10, Delay: 5 * time.Millisecond}))
			webid := srv.SeedAnalyses(1)[0]
			return func(ctx context.Context, started chan struct{}) error {
				w := &signalWriter{started: started}
				_, _, err := cancelClient(t, srv).AnalysisDownload(ctx, webid, "html", w)
				return err
			}
		},
	},
	{
		name: "mid-iteration, next page slow",
		setup: func(t *testing.T) func(context.Context, chan struct{}) error {
			// pages of 2; every page after the first trickles in for seconds
			srv := jbxtest.NewServer(t, jbxtest.WithPageSize(2),
				jbxtest.WithFaults(jbxtest.FaultRule{Path: "analysis/list", OnRequest: 2, Times: 100, Kind: jbxtest.FaultTrickle, Bytes: 1, Delay: 20 * time.Millisecond}))
			srv.SeedAnalyses(6)
			return func(ctx context.Context, started chan struct{}) error {
				c := cancelClient(t, srv)
				n := 0
				for _, err := range c.Analyses(ctx) {
					if err != nil {
						assert.Equal(t, 2, n, "the error comes after the first page")
						return err
					}
					n++
					if n == 2 {
						// the loop body returns, and the next page is fetched
						go func() {
							time.Sleep(50 * time.Millisecond)
							close(started)
						}()
					}
				}
				return errors.New("the iteration ended without an error")
			}
		},
	},
	{
		name: "waiting out a Retry-After",
		setup: func(t *testing.T) func(context.Context, chan struct{}) error {
			srv := jbxtest.NewServer(t, jbxtest.WithFaults(jbxtest.FaultRule{Path: "server/online", Kind: jbxtest.FaultTooManyRequests, RetryAfter: 10 * time.Second}))
			return func(ctx context.Context, started chan struct{}) error {
				go func() {
					for len(srv.RequestsTo("server/online")) == 0 {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(20 * time.Millisecond)
					close(started)
				}()
				_, err := cancelClient(t, srv).ServerOnline(ctx)
				return err
			}
		},
	},
}

// cancelUpload is the setup of a cancelled upload of a 1 GiB input read
// slowly: the call signals once 64 KiB have gone out.
func cancelUpload(opts ...SubmitOption) func(t *testing.T) func(context.Context, chan struct{}) error {
	return func(t *testing.T) func(context.Context, chan struct{}) error {
		srv := jbxtest.NewServer(t, jbxtest.WithSampleKeepLimit(1<<20))
		return func(ctx context.Context, started chan struct{}) error {
			var once sync.Once
			c := cancelClient(t, srv, WithProgress(func(done, _ int64) {
				if done >= 64<<10 {
					once.Do(func() { close(started) })
				}
			}))
			_, err := c.SubmitSample(ctx, "big.bin", io.NewSectionReader(slowSource{1 << 30}, 0, 1<<30), nil, opts...)
			return err
		}
	}
}

func cancelClient(t *testing.T, srv *jbxtest.Server, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithBaseURL(srv.URL()), WithAPIKey(srv.APIKey()), WithAcceptTAC(true)}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestCancelMidTransfer(t *testing.T) {
	for _, tc := range cancelCases {
		t.Run(tc.name, func(t *testing.T) {
			var took []time.Duration
			for range cancelRuns {
				call := tc.setup(t)
				ctx, cancel := context.WithCancel(t.Context())
				started := make(chan struct{})
				var canceledAt time.Time
				go func() {
					select {
					case <-started:
					case <-time.After(10 * time.Second):
					}
					canceledAt = time.Now()
					cancel()
				}()
				err := call(ctx, started)
				returned := time.Now()
				cancel()
				require.Error(t, err)
				require.False(t, canceledAt.IsZero(), "the call ended before it was cancelled: %v", err)
				require.ErrorIs(t, err, context.Canceled, "%v", err)
				took = append(took, returned.Sub(canceledAt))
			}
			slices.Sort(took)
			t.Logf("cancel → return: min %v, median %v, max %v", took[0], took[len(took)/2], took[len(took)-1])
			assert.LessOrEqual(t, took[len(took)-1], cancelBound, "slowest of %d: %v", cancelRuns, took)
		})
	}
}
