package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// countingTransport counts the requests that reach the transport, so that a
// test sees a request even if the fake did not record it.
type countingTransport struct{ n atomic.Int64 }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// plainReader hides every method but Read: a reader of unknown size.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func newInputPair(t *testing.T, sopts ...jbxtest.Option) (*jbxtest.Server, *client.Client, *countingTransport) {
	t.Helper()
	srv := jbxtest.NewServer(t, sopts...)
	rt := &countingTransport{}
	c, err := client.New(client.WithBaseURL(srv.URL()), client.WithAPIKey(srv.APIKey()),
		client.WithAcceptTAC(true), client.WithTransport(rt), client.WithChunkSize(4))
	require.NoError(t, err)
	return srv, c, rt
}

// TestBadInputRefusedBeforeSending calls every exported method with each
// kind of bad argument it can get and checks that the call ends with an
// *InputError naming the argument and that nothing reached the server.
func TestBadInputRefusedBeforeSending(t *testing.T) {
	var nilFile *os.File
	var nilBuf *bytes.Buffer
	var nilBytesReader *bytes.Reader
	sample := func() io.Reader { return strings.NewReader("MZ sample") }
	atEnd := func() io.Reader {
		r := bytes.NewReader([]byte("MZ"))
		_, _ = r.Seek(0, io.SeekEnd)
		return r
	}
	pastEnd := func() io.Reader {
		r := bytes.NewReader([]byte("MZ"))
		_, _ = r.Seek(10, io.SeekStart)
		return r
	}
	emptyFile := func(t *testing.T) *os.File {
		p := filepath.Join(t.TempDir(), "empty.exe")
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		f, err := os.Open(p)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}
	var w bytes.Buffer
	type call func(t *testing.T, ctx context.Context, c *client.Client) error
	tests := []struct {
		name string
		arg  string
		call call
	}{
		// ids and other required strings
		{"AnalysisInfo empty webid", "webid", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.AnalysisInfo(ctx, "")
			return err
		}},
		{"AnalysisInfo blank webid", "webid", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.AnalysisInfo(ctx, " \t\n")
			return err
		}},
		{"AnalysisDelete empty webid", "webid", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.AnalysisDelete(ctx, "")
			return err
		}},
		{"AnalysisSearch empty query", "query", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.AnalysisSearch(ctx, "")
			return err
		}},
		{"SubmissionInfo empty id", "submissionID", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmissionInfo(ctx, "")
			return err
		}},
		{"SubmissionDelete blank id", "submissionID", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmissionDelete(ctx, "  ")
			return err
		}},
		{"WaitSubmission empty id", "submissionID", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.WaitSubmission(ctx, "", nil)
			return err
		}},
		{"WaitSubmission negative interval", "opts.Interval", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.WaitSubmission(ctx, "1", &client.WaitOptions{Interval: -time.Second})
			return err
		}},
		{"WaitSubmission negative max interval", "opts.MaxInterval", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.WaitSubmission(ctx, "1", &client.WaitOptions{MaxInterval: -1})
			return err
		}},
		{"SubmitSampleURL empty", "sampleURL", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSampleURL(ctx, "", nil)
			return err
		}},
		{"SubmitURL blank", "websiteURL", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitURL(ctx, " ", nil)
			return err
		}},
		{"SubmitCommandLine empty", "commandLine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitCommandLine(ctx, "", nil)
			return err
		}},

		// samples
		{"SubmitSample nil reader", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", nil, nil)
			return err
		}},
		{"SubmitSample nil *os.File", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "", nilFile, nil)
			return err
		}},
		{"SubmitSample nil *bytes.Reader", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", nilBytesReader, nil)
			return err
		}},
		{"SubmitSample empty, chunked", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", bytes.NewReader(nil), nil)
			return err
		}},
		{"SubmitSample empty, classic", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", bytes.NewReader(nil), nil, client.WithoutChunking())
			return err
		}},
		{"SubmitSample empty file", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "", emptyFile(t), nil)
			return err
		}},
		{"SubmitSample read to the end", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", atEnd(), nil)
			return err
		}},
		{"SubmitSample read past the end", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", pastEnd(), nil)
			return err
		}},
		{"SubmitSample empty section", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", io.NewSectionReader(strings.NewReader("MZ"), 1, 0), nil)
			return err
		}},
		{"SubmitSample empty plain reader", "sample", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", plainReader{strings.NewReader("")}, nil)
			return err
		}},
		{"SubmitSample nil option", "opts", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", sample(), nil, nil)
			return err
		}},
		{"SubmitSample nil cookbook", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", sample(), nil, client.WithCookbook("cb.jbs", nil))
			return err
		}},
		{"SubmitSample empty cookbook", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", sample(), nil, client.WithCookbook("cb.jbs", strings.NewReader("")))
			return err
		}},
		{"SubmitSample cookbook too large", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitSample(ctx, "s.exe", sample(), nil, client.WithCookbook("cb.jbs", io.LimitReader(zeros{}, 16<<20+1)))
			return err
		}},
		{"SubmitCookbook nil", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitCookbook(ctx, "cb.jbs", nil, nil)
			return err
		}},
		{"SubmitCookbook nil *os.File", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitCookbook(ctx, "", nilFile, nil)
			return err
		}},
		{"SubmitCookbook empty", "cookbook", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.SubmitCookbook(ctx, "cb.jbs", strings.NewReader(""), nil)
			return err
		}},

		// downloads
		{"AnalysisDownload empty webid", "webid", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "", "html", &w)
			return err
		}},
		{"AnalysisDownload empty type", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "", &w)
			return err
		}},
		{"AnalysisDownload blank type", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", " ", &w)
			return err
		}},
		{"AnalysisDownload type with space", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", " html", &w)
			return err
		}},
		{"AnalysisDownload type with newline", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html\n", &w)
			return err
		}},
		{"AnalysisDownload type with slash", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "../html", &w)
			return err
		}},
		{"AnalysisDownload type with &", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html&run=1", &w)
			return err
		}},
		{"AnalysisDownload non-ASCII type", "type", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "htmł", &w)
			return err
		}},
		{"AnalysisDownload nil writer", "w", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html", nil)
			return err
		}},
		{"AnalysisDownload nil *bytes.Buffer", "w", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html", nilBuf)
			return err
		}},
		{"AnalysisDownload negative run", "run", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html", &w, client.Run(-1))
			return err
		}},
		{"AnalysisDownload negative run with password", "run", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html", &w, client.Password("pw"), client.Run(-2))
			return err
		}},
		{"AnalysisDownload nil option", "opts", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, _, err := c.AnalysisDownload(ctx, "1", "html", &w, nil)
			return err
		}},
		{"JoelabFilesystemDownload empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemDownload(ctx, "", `C:\x`, &w)
			return err
		}},
		{"JoelabFilesystemDownload empty path", "filePath", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemDownload(ctx, "lab1", "", &w)
			return err
		}},
		{"JoelabFilesystemDownload nil writer", "w", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemDownload(ctx, "lab1", `C:\x`, nil)
			return err
		}},
		{"JoelabPcapDownload blank machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabPcapDownload(ctx, "\t", &w)
			return err
		}},
		{"JoelabPcapDownload nil writer", "w", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabPcapDownload(ctx, "lab1", nilFile)
			return err
		}},

		// Joe Lab
		{"JoelabMachineInfo empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabMachineInfo(ctx, "")
			return err
		}},
		{"JoelabImagesList empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabImagesList(ctx, "")
			return err
		}},
		{"JoelabImagesCapture empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabImagesCapture(ctx, "", "img")
			return err
		}},
		{"JoelabImagesReset empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabImagesReset(ctx, "", "")
			return err
		}},
		{"JoelabNetworkInfo empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabNetworkInfo(ctx, "")
			return err
		}},
		{"JoelabNetworkUpdate empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabNetworkUpdate(ctx, "", client.NetworkSettings{InternetEnabled: client.FlagOn})
			return err
		}},
		{"JoelabPcapStart empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabPcapStart(ctx, "")
			return err
		}},
		{"JoelabPcapStop empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabPcapStop(ctx, "")
			return err
		}},
		{"JoelabFilesystemUpload empty machine", "machine", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemUpload(ctx, "", "f", sample(), "")
			return err
		}},
		{"JoelabFilesystemUpload nil reader", "file", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemUpload(ctx, "lab1", "f", nil, "")
			return err
		}},
		{"JoelabFilesystemUpload nil *os.File", "file", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemUpload(ctx, "lab1", "", nilFile, "")
			return err
		}},
		{"JoelabFilesystemUpload read past the end", "file", func(t *testing.T, ctx context.Context, c *client.Client) error {
			_, err := c.JoelabFilesystemUpload(ctx, "lab1", "f", pastEnd(), "")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, rt := newInputPair(t)
			err := tt.call(t, t.Context(), c)
			require.Error(t, err)
			assert.ErrorIs(t, err, client.ErrInvalidInput)
			assert.NotErrorIs(t, err, client.ErrInvalidParameter, "the client's check, not the server's answer")
			var inErr *client.InputError
			require.ErrorAs(t, err, &inErr)
			assert.Equal(t, tt.arg, inErr.Arg)
			assert.NotEmpty(t, inErr.Reason)
			assert.True(t, strings.HasPrefix(err.Error(), "jbxapi: invalid argument "+tt.arg+": "), "message %q", err)
			assert.Empty(t, srv.Requests(), "requests sent")
			assert.Zero(t, rt.n.Load(), "requests at the transport")
			assert.Zero(t, w.Len(), "bytes written")
		})
	}
}

func TestInputErrorMessage(t *testing.T) {
	err := error(&client.InputError{Arg: "webid", Reason: "empty"})
	assert.Equal(t, "jbxapi: invalid argument webid: empty", err.Error())
	assert.ErrorIs(t, fmtWrap(err), client.ErrInvalidInput)
	assert.NotErrorIs(t, client.ErrInvalidParameter, client.ErrInvalidInput)
	assert.NotErrorIs(t, err, client.ErrMissingParameter)
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

// TestBadChunkSizeRefusedAtNew: a chunk size that is not positive never
// reaches an upload, New refuses it.
func TestBadChunkSizeRefusedAtNew(t *testing.T) {
	for _, n := range []int64{0, -1} {
		_, err := client.New(client.WithAPIKey("k"), client.WithBaseURL("http://127.0.0.1:1/api"), client.WithChunkSize(n))
		assert.ErrorContains(t, err, "WithChunkSize", "chunk size %d", n)
	}
}

// TestValidEdgeInputs: the inputs at the edge of what is refused still
// work, and the upload loses no byte of them.
func TestValidEdgeInputs(t *testing.T) {
	ctx := t.Context()
	srv, c, _ := newInputPair(t, jbxtest.WithAnalysisDuration(0))

	t.Run("one-byte sample, chunked", func(t *testing.T) {
		res, err := c.SubmitSample(ctx, "one.exe", bytes.NewReader([]byte{'M'}), nil)
		require.NoError(t, err)
		sub, ok := srv.Submission(res.SubmissionID)
		require.True(t, ok)
		require.NotEmpty(t, sub.Analyses)
		part, data, ok := srv.Upload(sub.Analyses[0].Webid)
		require.True(t, ok)
		assert.Equal(t, []byte{'M'}, data)
		assert.Equal(t, "one.exe", part.Filename)
		assert.Len(t, srv.RequestsTo("/v2/submission/chunked-sample"), 1)
	})
	t.Run("no zero-size chunk at the chunk size's edges", func(t *testing.T) {
		for _, size := range []int{1, 3, 4, 5, 8} { // the chunk size is 4
			srv.ResetRecord()
			data := bytes.Repeat([]byte{'x'}, size)
			_, err := c.SubmitSample(ctx, "edge.exe", bytes.NewReader(data), nil)
			require.NoError(t, err)
			chunks := srv.RequestsTo("/v2/submission/chunked-sample")
			require.Len(t, chunks, (size+3)/4, "size %d", size)
			var sent int64
			for _, ch := range chunks {
				assert.NotEqual(t, "0", ch.Form.Get("current-chunk-size"), "size %d", size)
				assert.Positive(t, ch.Files["chunk"].Size, "size %d", size)
				sent += ch.Files["chunk"].Size
			}
			assert.Equal(t, int64(size), sent)
		}
	})
	t.Run("plain readers keep their first byte", func(t *testing.T) {
		for _, content := range []string{"M", "MZ plain reader sample of some length"} {
			res, err := c.SubmitSample(ctx, "plain.exe", plainReader{strings.NewReader(content)}, nil)
			require.NoError(t, err)
			sub, ok := srv.Submission(res.SubmissionID)
			require.True(t, ok)
			_, data, ok := srv.Upload(sub.Analyses[0].Webid)
			require.True(t, ok)
			assert.Equal(t, content, string(data))
		}
	})
	t.Run("sample from the current position", func(t *testing.T) {
		r := bytes.NewReader([]byte("xxMZ"))
		_, _ = r.Seek(2, io.SeekStart)
		res, err := c.SubmitSample(ctx, "pos.exe", r, nil, client.WithCookbook("cb.jbs", strings.NewReader("c")))
		require.NoError(t, err)
		sub, _ := srv.Submission(res.SubmissionID)
		_, data, _ := srv.Upload(sub.Analyses[0].Webid)
		assert.Equal(t, "MZ", string(data))
	})
	webid := srv.SeedAnalyses(1)[0]
	t.Run("Run(0)", func(t *testing.T) {
		srv.ResetRecord()
		var b bytes.Buffer
		_, n, err := c.AnalysisDownload(ctx, webid, "html", &b, client.Run(0))
		require.NoError(t, err)
		assert.Positive(t, n)
		reqs := srv.RequestsTo("/v2/analysis/download")
		require.Len(t, reqs, 1)
		assert.Equal(t, "0", reqs[0].Form.Get("run"))
	})
	t.Run("a run the analysis lacks is the server's error", func(t *testing.T) {
		srv.ResetRecord()
		_, _, err := c.AnalysisDownload(ctx, webid, "html", io.Discard, client.Run(5))
		assert.ErrorIs(t, err, client.ErrInvalidParameter)
		assert.NotErrorIs(t, err, client.ErrInvalidInput)
		assert.Len(t, srv.Requests(), 1)
	})
	// well-formed types the server does not offer are forwarded: the list
	// grows with new server versions, the server judges them
	for _, typ := range []string{"nonsense", "HTML", "future_type-2.x"} {
		t.Run("unknown type "+typ, func(t *testing.T) {
			srv.ResetRecord()
			_, _, err := c.AnalysisDownload(ctx, webid, typ, io.Discard)
			assert.ErrorIs(t, err, client.ErrInvalidParameter)
			assert.NotErrorIs(t, err, client.ErrInvalidInput)
			reqs := srv.RequestsTo("/v2/analysis/download")
			require.Len(t, reqs, 1)
			assert.Equal(t, typ, reqs[0].Form.Get("type"))
		})
	}
	t.Run("empty Joe Lab upload", func(t *testing.T) {
		_, err := c.JoelabFilesystemUpload(ctx, "lab1", "empty.txt", bytes.NewReader(nil), `C:\empty.txt`)
		require.NoError(t, err)
		data, ok := srv.JoelabFile("lab1", `C:\empty.txt`)
		assert.True(t, ok)
		assert.Empty(t, data)
	})
	t.Run("WaitSubmission with zero options", func(t *testing.T) {
		res, err := c.SubmitURL(ctx, "https://example.com", nil)
		require.NoError(t, err)
		sub, err := c.WaitSubmission(ctx, res.SubmissionID, &client.WaitOptions{})
		require.NoError(t, err)
		assert.Equal(t, client.StatusFinished, sub.Status)
	})
	assert.Empty(t, srv.Violations())
}
