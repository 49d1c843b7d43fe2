package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// The CLI column of the fault matrix (client/faultmatrix_test.go has the
// library columns): "analysis download WEBID html --dir DIR" run in process
// with the command line's own settings (3 retries with the default
// backoff, no per-attempt timeout), one fault on the download request.
// Expected: exit code 0 with the complete file under its final name, or
// the exit code of the error with nothing in DIR (no file with the final
// name, no .part leftover).

const cliResourceSize = 16 << 10

type cliCell struct {
	fault jbxtest.FaultRule
	times int // how often the fault fires (default 1)
	exit  int // expected exit code
	sent  int // requests to analysis/download
}

var cliMatrix = []struct {
	name string
	cell cliCell
}{
	// the command line sets no per-attempt timeout: it waits the delay out
	{"delay past the timeout", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultDelay, Delay: time.Second}, exit: 0, sent: 1}},
	{"500 with JSON error body", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultStatus, Status: 500}, exit: 106, sent: 1}},
	{"502 with JSON error body", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultStatus, Status: 502}, exit: 0, sent: 2}},
	{"429 with Retry-After: 1", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultTooManyRequests, RetryAfter: time.Second}, exit: 0, sent: 2}},
	{"HTML error page (502)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultHTML}, exit: 0, sent: 2}},
	{"connection dropped before the response", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultDropConnection}, exit: 0, sent: 2}},
	{"connection dropped mid-upload (after 8 KiB)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultDropMidRequest, Bytes: 8 << 10}, exit: 0, sent: 2}},
	// bytes already written are not re-fetched: exit 3 (connection error)
	{"answer cut short (after 10 bytes)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultTruncateBody, Bytes: 10}, exit: 3, sent: 1}},
	{"slow trickle (64 B per ms)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultTrickle, Bytes: 64, Delay: time.Millisecond}, exit: 0, sent: 1}},
	{"maintenance window (one 503 answer)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultMaintenance}, exit: 0, sent: 2}},
	{"maintenance mode (lasting)", cliCell{fault: jbxtest.FaultRule{Kind: jbxtest.FaultMaintenance}, times: 100, exit: 105, sent: 4}},
}

func TestFaultMatrixCLIDownload(t *testing.T) {
	// the content a clean download gives
	ref := jbxtest.NewServer(t, jbxtest.WithResourceSize(cliResourceSize))
	rc, err := client.New(client.WithBaseURL(ref.URL()), client.WithAPIKey(ref.APIKey()))
	require.NoError(t, err)
	var want bytes.Buffer
	_, _, err = rc.AnalysisDownload(t.Context(), ref.SeedAnalyses(1)[0], "html", &want)
	require.NoError(t, err)
	require.Equal(t, cliResourceSize, want.Len())

	for _, tc := range cliMatrix {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := jbxtest.NewServer(t, jbxtest.WithResourceSize(cliResourceSize), jbxtest.WithResponseValidation())
			webid := srv.SeedAnalyses(1)[0]
			rule := tc.cell.fault
			rule.Path, rule.OnRequest, rule.Times = "analysis/download", 1, max(tc.cell.times, 1)
			srv.AddFault(rule)
			dir := filepath.Join(t.TempDir(), "out")
			env := map[string]string{"JBX_API_URL": srv.URL(), "JBX_API_KEY": srv.APIKey()}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"analysis", "download", webid, "html", "--dir", dir}, &stdout, &stderr,
				func(k string) string { return env[k] })
			srv.Close()

			assert.Equal(t, tc.cell.exit, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
			assert.Len(t, srv.RequestsTo("analysis/download"), tc.cell.sent)
			assert.NotContains(t, stdout.String()+stderr.String(), srv.APIKey(), "the API key leaked")
			var out map[string]any
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			if code == 0 {
				p, _ := out["html"].(string)
				require.Len(t, entries, 1, "one file, no leftovers")
				assert.Equal(t, filepath.Join(dir, entries[0].Name()), p)
				got, err := os.ReadFile(p)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want.Bytes(), got), "the saved file differs from a clean download (%d of %d bytes)", len(got), want.Len())
				return
			}
			assert.Empty(t, entries, "a failed download left files behind")
			assert.NotNil(t, out["message"], "the error object is printed")
		})
	}
}
