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

// startFake runs jbxfake with args and returns its base URL and a function
// that stops it and returns what it logged.
func startFake(t *testing.T, args []string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuf
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, pw, &stderr) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	base := strings.TrimSpace(line)
	assert.True(t, strings.HasPrefix(base, "http://127.0.0.1:"))
	assert.True(t, strings.HasSuffix(base, "/api"))
	return base, func() string {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("did not stop")
		}
		return stderr.String()
	}
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
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
		base, stop := startFake(t, tc.args)
		status, body := post(t, base+"/v2/server/online", "apikey="+tc.key)
		assert.Equal(t, tc.want, status, body)
		if tc.want == 200 {
			assert.JSONEq(t, `{"data":{"online":true}}`, body)
		}
		logged := stop()
		assert.Contains(t, logged, "path=/v2/server/online")
		assert.NotContains(t, logged, "apikey="+tc.key)
	}
}

func TestRunOldServer(t *testing.T) {
	base, stop := startFake(t, []string{"-old-server"})
	defer stop()
	status, body := post(t, base+"/v2/submission/new", "apikey=k&accept-tac=1&chunked-sample=a.exe")
	assert.Equal(t, 400, status)
	assert.JSONEq(t, `{"errors":[{"code":3,"message":"Unknown parameter chunked-sample."}]}`, body)
	status, body = post(t, base+"/v2/joelab/filesystem/upload-chunked", "apikey=k")
	assert.Equal(t, 404, status)
	assert.Contains(t, body, `"code":8`)
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-mode", "mars"}, {"-page-size", "0"}, {"extra"}, {"-listen", "256.0.0.1:x"}} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.Error(t, err, args)
	}
}
