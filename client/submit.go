package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/jbx-go/jbxapi/client/internal/form"
	"github.com/jbx-go/jbxapi/gen"
)

// maxCookbook bounds the size of a cookbook, which is read into memory.
const maxCookbook = 16 << 20

// SubmitOption configures [Client.SubmitSample].
type SubmitOption func(*submitConfig)

type submitConfig struct {
	cookbookName string
	cookbook     io.Reader
	classic      bool
}

// WithCookbook uploads a cookbook together with the sample. A cookbook is a
// small text file: it is read into memory (at most 16 MiB). An empty name
// means the file's own name, or "cookbook".
func WithCookbook(name string, r io.Reader) SubmitOption {
	return func(s *submitConfig) { s.cookbookName, s.cookbook = name, r }
}

// WithoutChunking uploads the sample in one request (the "classic" upload)
// instead of in chunks.
func WithoutChunking() SubmitOption { return func(s *submitConfig) { s.classic = true } }

// SubmitSample submits a sample file and returns the new submission's id.
// name is the file name the server sees ("" takes the name of an *os.File,
// else "sample").
//
// The upload is chunked by default (chunks of [WithChunkSize], 10 MiB): the
// submission is announced with chunked-sample=NAME, then each chunk is sent
// on its own, read as a section of r, so that memory use does not depend on
// the sample's size and a failed chunk can be retried alone. This needs the
// size of r: r must be an io.Seeker (an *os.File, a *bytes.Reader; the size
// counts from the current position) or an io.ReaderAt with a Size() int64
// method (an *io.SectionReader). A plain io.Reader is streamed in a single
// classic upload instead, which is never retried. An older server that does
// not know chunked uploads (code 3 naming chunked-sample) gets the classic
// upload, the input being rewound first.
//
// A submission/new request is not re-sent once the server may have received
// it (see [Client]), so a failure never causes a duplicate submission.
func (c *Client) SubmitSample(ctx context.Context, name string, r io.Reader, p *SubmitParams, opts ...SubmitOption) (*SubmitResult, error) {
	var cfg submitConfig
	for _, o := range opts {
		o(&cfg)
	}
	name = baseName(name, r, "sample")
	var small []part
	if cfg.cookbook != nil {
		cb, err := readCookbook(cfg.cookbookName, cfg.cookbook)
		if err != nil {
			return nil, err
		}
		small = append(small, cb)
	}
	in, err := inspect(r)
	if err != nil {
		return nil, err
	}
	if in != nil && !cfg.classic {
		fields, err := c.submissionFields(gen.SubmissionSubject{ChunkedSample: name}, p)
		if err != nil {
			return nil, err
		}
		res, err := c.submit(ctx, fields, small)
		var apiErr *APIError
		switch {
		case err == nil:
			if err := c.uploadChunks(ctx, c.gen.SubmissionChunkedSampleWithBody, in, func(ci chunkInfo) any {
				return gen.SubmissionChunkMultipart{
					Apikey: c.apiKey, SubmissionID: res.SubmissionID,
					FileSize: int(in.size), ChunkSize: int(c.chunkSize), ChunkCount: ci.count,
					CurrentChunkIndex: ci.index, CurrentChunkSize: int(ci.size),
				}
			}, nil); err != nil {
				return res, err
			}
			return res, nil
		case errors.As(err, &apiErr) && apiErr.Code == 3 && strings.Contains(apiErr.Message, "chunked-sample"):
			if err := in.rewind(); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
	fields, err := c.submissionFields(gen.SubmissionSubject{}, p)
	if err != nil {
		return nil, err
	}
	sample := part{field: "sample", filename: name, r: r}
	if in != nil {
		sample = part{field: "sample", filename: name, in: in, off: in.off, size: in.size}
	}
	return c.submit(ctx, fields, append(small, sample))
}

// SubmitSampleURL submits the sample at sampleURL, which the server
// downloads.
func (c *Client) SubmitSampleURL(ctx context.Context, sampleURL string, p *SubmitParams) (*SubmitResult, error) {
	return c.submitSubject(ctx, gen.SubmissionSubject{SampleURL: sampleURL}, p)
}

// SubmitURL submits a website for analysis.
func (c *Client) SubmitURL(ctx context.Context, websiteURL string, p *SubmitParams) (*SubmitResult, error) {
	return c.submitSubject(ctx, gen.SubmissionSubject{URL: websiteURL}, p)
}

// SubmitCommandLine submits a command line, run with cmd.exe.
func (c *Client) SubmitCommandLine(ctx context.Context, commandLine string, p *SubmitParams) (*SubmitResult, error) {
	return c.submitSubject(ctx, gen.SubmissionSubject{CommandLine: commandLine}, p)
}

// SubmitCookbook submits a cookbook alone. name is its file name ("" takes
// the name of an *os.File, else "cookbook"). To send a cookbook with a
// sample, use [WithCookbook].
func (c *Client) SubmitCookbook(ctx context.Context, name string, cookbook io.Reader, p *SubmitParams) (*SubmitResult, error) {
	cb, err := readCookbook(name, cookbook)
	if err != nil {
		return nil, err
	}
	fields, err := c.submissionFields(gen.SubmissionSubject{}, p)
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, fields, []part{cb})
}

func (c *Client) submitSubject(ctx context.Context, subject gen.SubmissionSubject, p *SubmitParams) (*SubmitResult, error) {
	fields, err := c.submissionFields(subject, p)
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, fields, nil)
}

func readCookbook(name string, r io.Reader) (part, error) {
	if r == nil {
		return part{}, errors.New("jbxapi: nil cookbook reader")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxCookbook+1))
	if err != nil {
		return part{}, fmt.Errorf("jbxapi: reading the cookbook: %w", err)
	}
	if len(b) > maxCookbook {
		return part{}, fmt.Errorf("jbxapi: cookbook larger than %d bytes", maxCookbook)
	}
	if b == nil {
		b = []byte{}
	}
	return part{field: "cookbook", filename: baseName(name, r, "cookbook"), data: b}, nil
}

// submissionFields encodes the subject (with apikey and accept-tac), the
// typed parameters and the extra ones.
func (c *Client) submissionFields(subject gen.SubmissionSubject, p *SubmitParams) (url.Values, error) {
	subject.Apikey = c.apiKey
	subject.AcceptTAC = c.tac()
	vals, err := form.Encode(subject)
	if err != nil {
		return nil, err
	}
	if p != nil {
		if err := form.EncodeInto(vals, p.SubmissionParameters); err != nil {
			return nil, err
		}
		mergeExtra(vals, p.Extra)
	}
	return vals, nil
}

// submit sends submission/new: url-encoded without file parts (like the
// official client), multipart with them.
func (c *Client) submit(ctx context.Context, fields url.Values, parts []part) (*SubmitResult, error) {
	var rq request
	if len(parts) == 0 {
		enc := fields.Encode()
		rq = request{body: func() (string, io.Reader, int64, error) {
			return contentTypeURL, strings.NewReader(enc), int64(len(enc)), nil
		}, replayable: true}
	} else {
		mb, err := newMultipart(fields, parts)
		if err != nil {
			return nil, err
		}
		var pr *progress
		if mb.stream != nil {
			total := int64(-1)
			if mb.stream.in != nil {
				total = mb.stream.size
			}
			pr = c.newProgress(total)
			defer pr.finish()
		}
		rq = request{body: mb.bodyFunc(pr, 0), replayable: mb.replayable()}
	}
	rq.send = c.gen.SubmissionNewWithBody
	rq.submission = true
	var env gen.SubmissionNewEnvelope
	if err := c.callRequest(ctx, rq, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

type chunkInfo struct {
	index, count int
	size         int64
}

// uploadChunks sends the chunks of in, one request each, with the fields
// built by fields (a gen chunk struct) and a file part "chunk" (the file
// name the official client sends for an in-memory buffer). Each chunk is
// its own replayable request, so the request path retries a failed chunk
// alone. The answer to the last chunk is stored in out (may be nil). An
// error of the first chunk is returned unwrapped so that the caller can
// fall back to the classic upload.
func (c *Client) uploadChunks(ctx context.Context, send sendFunc, in *input, fields func(chunkInfo) any, out *gen.OpenObjectEnvelope) error {
	count := int((in.size + c.chunkSize - 1) / c.chunkSize)
	pr := c.newProgress(in.size)
	defer pr.finish()
	for i := 1; i <= count; i++ {
		off := int64(i-1) * c.chunkSize
		size := min(c.chunkSize, in.size-off)
		vals, err := form.Encode(fields(chunkInfo{index: i, count: count, size: size}))
		if err != nil {
			return err
		}
		mb, err := newMultipart(vals, []part{{field: "chunk", filename: "chunk", in: in, off: in.off + off, size: size}})
		if err != nil {
			return err
		}
		rq := request{send: send, body: mb.bodyFunc(pr, off), replayable: true}
		var env gen.OpenObjectEnvelope
		if err := c.callRequest(ctx, rq, &env); err != nil {
			if i > 1 {
				return fmt.Errorf("jbxapi: chunk %d of %d: %w", i, count, err)
			}
			return err
		}
		if out != nil {
			*out = env
		}
	}
	return nil
}
