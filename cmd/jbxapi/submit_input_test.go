package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client"
)

// cliBounded runs the command line like cli, but fails the test instead of
// hanging when the run does not end (opening a named pipe blocks until a
// writer comes).
func cliBounded(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		a := newApp(context.Background(), &out, &errOut, func(k string) string { return env[k] })
		a.clientOpts = []client.Option{client.WithRetries(0)}
		code := a.main(args)
		done <- result{code: code, stdout: out.String(), stderr: errOut.String()}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(2 * time.Minute):
		t.Fatalf("jbxapi %s did not end", strings.Join(args, " "))
		return result{}
	}
}

// TestSubmitFolderBadFiles: a file of a folder that cannot be submitted
// (a dangling link, an empty file, a named pipe) is reported on stderr and
// as an error object on stdout, the other files are submitted exactly once,
// and the exit code is that of the first failure.
func TestSubmitFolderBadFiles(t *testing.T) {
	good := []string{"a.exe", "c.exe", "e.exe"}
	tests := []struct {
		name     string
		bad      map[string]func(t *testing.T, path string) // bad files by name
		jobs     string
		code     int
		messages map[string]string // bad file name -> text of its error
	}{
		{
			name: "dangling link", jobs: "1", code: 4,
			bad: map[string]func(*testing.T, string){"b.exe": func(t *testing.T, p string) {
				require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(p), "gone.exe"), p))
			}},
			messages: map[string]string{"b.exe": "no such file"},
		},
		{
			name: "empty file", jobs: "1", code: 5,
			bad: map[string]func(*testing.T, string){"b.exe": func(t *testing.T, p string) {
				require.NoError(t, os.WriteFile(p, nil, 0o644))
			}},
			messages: map[string]string{"b.exe": "invalid argument sample: empty (0 bytes)"},
		},
		{
			name: "named pipe", jobs: "1", code: 4,
			bad:      map[string]func(*testing.T, string){"b.exe": mkfifo},
			messages: map[string]string{"b.exe": "not a regular file (named pipe)"},
		},
		{
			// jobs 1 submits in name order: the link fails first
			name: "two kinds, first failure wins", jobs: "1", code: 4,
			bad: map[string]func(*testing.T, string){
				"b.exe": func(t *testing.T, p string) {
					require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(p), "gone.exe"), p))
				},
				"d.exe": func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, nil, 0o644)) },
			},
			messages: map[string]string{"b.exe": "no such file", "d.exe": "invalid argument sample: empty"},
		},
		{
			name: "in parallel", jobs: "3", code: 4,
			bad: map[string]func(*testing.T, string){
				"b.exe": func(t *testing.T, p string) {
					require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(p), "gone.exe"), p))
				},
				"d.exe": mkfifo,
			},
			messages: map[string]string{"b.exe": "no such file", "d.exe": "named pipe"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, env := newServer(t)
			dir := t.TempDir()
			for _, n := range good {
				writeFile(t, filepath.Join(dir, n), "MZ "+n)
			}
			for n, mk := range tt.bad {
				mk(t, filepath.Join(dir, n))
			}
			r := cliBounded(t, env, "submit", dir, "--jobs", tt.jobs)
			assert.Equal(t, tt.code, r.code, "exit code\n%s%s", r.stdout, r.stderr)

			// one document per file: a result for each good file, an
			// error object naming the problem for each bad one
			docs := decodeAll(t, r.stdout)
			assert.Len(t, docs, len(good)+len(tt.bad), r.stdout)
			var ids []string
			var errs []string
			for _, d := range docs {
				m, ok := d.(map[string]any)
				require.True(t, ok, "document %v", d)
				if id, ok := m["submission_id"].(string); ok {
					ids = append(ids, id)
					continue
				}
				assert.Equal(t, json.Number("1"), m["code"], "error object %v", m)
				msg, _ := m["message"].(string)
				errs = append(errs, msg)
			}
			assert.Len(t, ids, len(good))
			require.Len(t, errs, len(tt.bad))
			for n, text := range tt.messages {
				path := filepath.Join(dir, n)
				assert.Contains(t, r.stderr, "jbxapi: "+path+": ", "stderr names the file")
				line := lineWith(r.stderr, path)
				assert.Contains(t, line, text, "stderr for %s", n)
				assert.Equal(t, 1, strings.Count(line, "jbxapi: "), "one prefix: %s", line)
				assert.True(t, slices.ContainsFunc(errs, func(m string) bool { return strings.Contains(m, text) }),
					"no error object says %q: %q", text, errs)
			}

			// the good files were submitted exactly once each, nothing else
			var names []string
			for _, rq := range srv.RequestsTo("/v2/submission/new") {
				names = append(names, rq.Form.Get("chunked-sample"))
			}
			slices.Sort(names)
			assert.Equal(t, good, names)
			assert.Equal(t, len(good), srv.SubmissionCount())
			// and each arrived whole
			var got []string
			for _, id := range ids {
				sub, ok := srv.Submission(id)
				require.True(t, ok, id)
				require.NotEmpty(t, sub.Analyses, "submission %s not started", id)
				part, data, ok := srv.Upload(sub.Analyses[0].Webid)
				require.True(t, ok, id)
				assert.Equal(t, "MZ "+part.Filename, string(data))
				got = append(got, part.Filename)
			}
			slices.Sort(got)
			assert.Equal(t, good, got)
			noViolations(t, srv)
		})
	}
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestSubmitEmptyFile: a single empty file is refused by the client before
// anything is sent.
func TestSubmitEmptyFile(t *testing.T) {
	srv, env := newServer(t)
	p := writeFile(t, filepath.Join(t.TempDir(), "empty.exe"), "")
	r := cli(t, env, "submit", p)
	assert.Equal(t, 5, r.code, "%s%s", r.stdout, r.stderr)
	assert.Equal(t, "jbxapi: invalid argument sample: empty (0 bytes)", r.object(t)["message"])
	assert.Empty(t, srv.Requests())
}

// TestWaitTimingFlags: a wait interval that is not positive, or a negative
// timeout, is a usage error found while parsing, before anything is
// submitted or polled.
func TestWaitTimingFlags(t *testing.T) {
	tests := [][]string{
		{"submit", "--url", "https://example.com", "--wait", "--interval", "0"},
		{"submit", "--url", "https://example.com", "--wait", "--interval", "-1s"},
		{"submit", "--url", "https://example.com", "--wait", "--timeout", "-1m"},
		{"submission", "wait", "1", "--interval", "0s"},
		{"analysis", "wait", "1", "--interval=-5ms"},
		{"analysis", "wait", "1", "--timeout", "-1ns"},
		{"analysis", "wait", "1", "--interval", "soon"},
	}
	srv, env := newServer(t)
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			srv.ResetRecord()
			r := cli(t, env, args...)
			assert.Equal(t, 2, r.code, "%s%s", r.stdout, r.stderr)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "error: invalid argument")
			assert.Empty(t, srv.Requests())
		})
	}
}
