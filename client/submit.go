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
	withCookbook bool
	classic      bool
}

// WithCookbook uploads a cookbook together with the sample. A cookbook is a
// small text file: it is read into memory (at most 16 MiB). An empty name
// means the file's own name, or "cookbook". A nil, empty or larger r makes
// [Client.SubmitSample] return an [*InputError] (Arg "cookbook") before
// anything is sent.
func WithCookbook(name string, r io.Reader) SubmitOption {
	return func(s *submitConfig) { s.cookbookName, s.cookbook, s.withCookbook = name, r, true }
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
//
// An empty sample cannot be analysed (and a chunked upload of it would
// announce a submission without sending a chunk), so before anything is
// sent the sample is checked: a nil r, a sized r with no bytes left from its
// current position, or a plain io.Reader that is at its end at once is an
// [*InputError] with Arg "sample" (a nil option: Arg "opts"). To tell a
// plain io.Reader apart, its first byte is read before the request is made;
// that read is not interrupted by ctx.
func (c *Client) SubmitSample(ctx context.Context, name string, r io.Reader, p *SubmitParams, opts ...SubmitOption) (*SubmitResult, error) {
	if err := notNil("sample", r, "reader"); err != nil {
		return nil, err
	}
	var cfg submitConfig
	for _, o := range opts {
		if o == nil {
			return nil, &InputError{Arg: "opts", Reason: "nil option"}
		}
		o(&cfg)
	}
	if cfg.withCookbook {
		if err := notNil("cookbook", cfg.cookbook, "reader"); err != nil {
			return nil, err
		}
	}
	name = baseName(name, r, "sample")
	in, err := inspect(r)
	if err != nil {
		return nil, err
	}
	if in != nil {
		if err := sizedNotEmpty("sample", in.off, in.size); err != nil {
			return nil, err
		}
	}
	var small []part
	if cfg.withCookbook {
		cb, err := readCookbook(cfg.cookbookName, cfg.cookbook)
		if err != nil {
			return nil, err
		}
		small = append(small, cb)
	}
	if in == nil {
		if r, err = streamNotEmpty("sample", r); err != nil {
			return nil, err
		}
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
// downloads. A blank sampleURL is an [*InputError].
func (c *Client) SubmitSampleURL(ctx context.Context, sampleURL string, p *SubmitParams) (*SubmitResult, error) {
	if err := required("sampleURL", sampleURL); err != nil {
		return nil, err
	}
	return c.submitSubject(ctx, gen.SubmissionSubject{SampleURL: sampleURL}, p)
}

// SubmitURL submits a website for analysis. A blank websiteURL is an
// [*InputError].
func (c *Client) SubmitURL(ctx context.Context, websiteURL string, p *SubmitParams) (*SubmitResult, error) {
	if err := required("websiteURL", websiteURL); err != nil {
		return nil, err
	}
	return c.submitSubject(ctx, gen.SubmissionSubject{URL: websiteURL}, p)
}

// SubmitCommandLine submits a command line, run with cmd.exe. A blank
// commandLine is an [*InputError].
func (c *Client) SubmitCommandLine(ctx context.Context, commandLine string, p *SubmitParams) (*SubmitResult, error) {
	if err := required("commandLine", commandLine); err != nil {
		return nil, err
	}
	return c.submitSubject(ctx, gen.SubmissionSubject{CommandLine: commandLine}, p)
}

// SubmitCookbook submits a cookbook alone. name is its file name ("" takes
// the name of an *os.File, else "cookbook"). To send a cookbook with a
// sample, use [WithCookbook]. A nil or empty cookbook, or one larger than
// 16 MiB, is an [*InputError] (Arg "cookbook").
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
	if err := notNil("cookbook", r, "reader"); err != nil {
		return part{}, err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxCookbook+1))
	if err != nil {
		return part{}, fmt.Errorf("jbxapi: reading the cookbook: %w", err)
	}
	if len(b) > maxCookbook {
		return part{}, &InputError{Arg: "cookbook", Reason: fmt.Sprintf("larger than %d bytes", maxCookbook)}
	}
	if len(b) == 0 {
		return part{}, &InputError{Arg: "cookbook", Reason: "empty (0 bytes)"}
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
