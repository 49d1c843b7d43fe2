package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type syncBuf struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

func TestRunServesAndStops(t *testing.T) {
	for _, tc := range []struct {
		args []string
		key  string
		want int
	}{
		{nil, "anything", 200},
		{[]string{"-apikey", "secret", "-mode", "onprem", "-analysis-seconds", "0", "-page-size", "3"}, "secret", 200},
		{[]string{"-apikey", "secret"}, "wrong", 403},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var stderr syncBuf
		done := make(chan error, 1)
		go func() { done <- run(ctx, tc.args, pw, &stderr) }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		require.NoError(t, err)
		base := strings.TrimSpace(line)
		assert.True(t, strings.HasPrefix(base, "http://127.0.0.1:"))
		assert.True(t, strings.HasSuffix(base, "/api"))
		resp, err := http.Post(base+"/v2/server/online", "application/x-www-form-urlencoded", strings.NewReader("apikey="+tc.key))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, tc.want, resp.StatusCode, string(body))
		if tc.want == 200 {
			assert.JSONEq(t, `{"data":{"online":true}}`, string(body))
		}
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("did not stop")
		}
		assert.Contains(t, stderr.String(), "path=/v2/server/online")
		assert.NotContains(t, stderr.String(), "apikey="+tc.key)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-mode", "mars"}, {"-page-size", "0"}, {"extra"}, {"-listen", "256.0.0.1:x"}} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.Error(t, err, args)
	}
}
