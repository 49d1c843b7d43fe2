package client

import (
	"context"
	"fmt"
	"io"
	"mime"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jbx-go/jbxapi/gen"
	"github.com/jbx-go/jbxapi/internal/aeszip"
)

// DownloadOption configures [Client.AnalysisDownload].
type DownloadOption func(*downloadConfig)

type downloadConfig struct {
	run      *int
	password string
}

// Run selects the run (0-based) whose resource is downloaded; without it,
// the server picks one. A negative n makes [Client.AnalysisDownload] return
// an [*InputError] (Arg "run"); a run the analysis does not have is refused
// by the server ([ErrInvalidParameter]).
func Run(n int) DownloadOption { return func(d *downloadConfig) { d.run = &n } }

// Password decrypts the resource of an analysis submitted with
// encrypt-with-password. The server sends such a resource as a one-member
// WinZip-AES ZIP; the client stores it in a temporary file, checks the
// password and the authentication code, and only then writes the decrypted
// member to the caller's writer. A wrong password is an error matching
// [ErrWrongPassword], and nothing is written.
func Password(p string) DownloadOption { return func(d *downloadConfig) { d.password = p } }

// AnalysisDownload streams the resource typ (e.g. "html", "json", "bins",
// "pcap"; see the API documentation for the list) of an analysis to w. It
// returns the file name the server gives (reduced to a safe base name; typ
// when the server gives none) and the number of bytes written. A body
// shorter than the server announced is an error matching [ErrShortBody].
//
// Checked before anything is sent, each an [*InputError]: a blank webid, a
// nil w, a negative [Run], a nil option ("opts"), and a typ that cannot be
// a resource type ("type": empty, or other characters than ASCII letters,
// digits, '-', '_' and '.'). Any other typ is sent as it is, since the list
// of types grows with new server versions; a type the server does not offer
// is its error code 3, matching [ErrInvalidParameter].
func (c *Client) AnalysisDownload(ctx context.Context, webid, typ string, w io.Writer, opts ...DownloadOption) (name string, n int64, err error) {
	var cfg downloadConfig
	for _, o := range opts {
		if o == nil {
			return "", 0, &InputError{Arg: "opts", Reason: "nil option"}
		}
		o(&cfg)
	}
	if err := firstErr(required("webid", webid), downloadType(typ), notNil("w", w, "writer")); err != nil {
		return "", 0, err
	}
	if cfg.run != nil && *cfg.run < 0 {
		return "", 0, &InputError{Arg: "run", Reason: fmt.Sprintf("negative (%d)", *cfg.run)}
	}
	body := gen.AnalysisDownloadForm{Apikey: c.apiKey, Webid: webid, Type: typ, Run: cfg.run}
	if cfg.password == "" {
		return c.download(ctx, c.gen.AnalysisDownloadWithBody, body, typ, w)
	}
	tmp, err := os.CreateTemp("", "jbxapi-download-*.zip")
	if err != nil {
		return "", 0, fmt.Errorf("jbxapi: creating a temporary file: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	name, size, err := c.download(ctx, c.gen.AnalysisDownloadWithBody, body, typ, tmp)
	if err != nil {
		return name, 0, err
	}
	_, n, err = aeszip.DecryptSingle(tmp, size, cfg.password, w)
	if err != nil {
		return name, n, fmt.Errorf("jbxapi: decrypting %s of analysis %s: %w", typ, webid, err)
	}
	return name, n, nil
}

// JoelabFilesystemDownload streams the file at filePath on a Joe Lab
// machine to w and returns the number of bytes written. A blank machine or
// filePath, or a nil w, is an [*InputError].
func (c *Client) JoelabFilesystemDownload(ctx context.Context, machine, filePath string, w io.Writer) (int64, error) {
	if err := firstErr(required("machine", machine), required("filePath", filePath), notNil("w", w, "writer")); err != nil {
		return 0, err
	}
	_, n, err := c.download(ctx, c.gen.JoelabFilesystemDownloadWithBody,
		gen.JoelabFilesystemDownloadForm{Apikey: c.apiKey, Machine: machine, Path: filePath}, "file", w)
	return n, err
}

// JoelabPcapDownload streams the PCAP captured on a Joe Lab machine to w and
// returns the number of bytes written. A blank machine or a nil w is an
// [*InputError].
func (c *Client) JoelabPcapDownload(ctx context.Context, machine string, w io.Writer) (int64, error) {
	if err := firstErr(required("machine", machine), notNil("w", w, "writer")); err != nil {
		return 0, err
	}
	_, n, err := c.download(ctx, c.gen.JoelabPcapDownloadWithBody, gen.MachineForm{Apikey: c.apiKey, Machine: machine}, "pcap", w)
	return n, err
}

func (c *Client) download(ctx context.Context, send sendFunc, v any, fallback string, w io.Writer) (string, int64, error) {
	rq, err := formRequest(send, v, nil)
	if err != nil {
		return "", 0, err
	}
	rq.stream = true
	resp, err := c.do(ctx, rq)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	name := fileName(resp.Header.Get("Content-Disposition"), fallback)
	pr := c.newProgress(resp.ContentLength)
	buf := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(pr.writer(w), resp.Body, *buf)
	copyBufs.Put(buf)
	pr.finish()
	if err != nil {
		if isWriteErr(err) {
			return name, n, fmt.Errorf("jbxapi: writing the download: %w", err)
		}
		return name, n, &ConnectionError{Op: strings.TrimPrefix(resp.Request.URL.Path, c.basePath), Err: err, key: c.apiKey}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return name, n, fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, n, resp.ContentLength)
	}
	return name, n, nil
}

// copyBufSize is the buffer of a download's copy loop: reads of this size
// take the bytes from the socket in 8 times fewer system calls than
// io.Copy's 32 KiB. The buffers are pooled, so a download allocates none.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// writerError marks an error of the destination writer.
type writerError struct{ err error }

func (e *writerError) Error() string { return e.err.Error() }
func (e *writerError) Unwrap() error { return e.err }

func isWriteErr(err error) bool {
	_, ok := err.(*writerError)
	return ok
}

// fileName returns the safe base name of the file name in a
// Content-Disposition header, or of fallback when there is none.
func fileName(cd, fallback string) string {
	var name string
	if cd != "" {
		_, params, err := mime.ParseMediaType(cd)
		if err != nil {
			_, params, err = mime.ParseMediaType(strings.TrimRight(strings.TrimSpace(cd), ";"))
		}
		if err == nil {
			name = params["filename"]
		}
	}
	return SafeFileName(name, fallback)
}

// SafeFileName reduces a file name chosen by the server (or taken from a
// remote path) to a plain base name that cannot leave the folder it is joined to:
// no separators, no "..", no control characters, no bidirectional-text
// controls (which can make "x\u202egnp.exe" display as "xexe.png"), never
// empty, "." or "..".
// fallback (reduced the same way) is used when nothing usable is left, and
// "download" when that is unusable too. AnalysisDownload returns names
// already reduced by it; use it for any other name from the server.
func SafeFileName(name, fallback string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar || r == ':' && os.PathSeparator == '\\' {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	// a name made of dots only ("..", "...") is refused by some systems and
	// means the parent folder to others
	if strings.Trim(name, ".") == "" {
		name = ""
	}
	if name == "" {
		if fallback == "" {
			return "download"
		}
		return SafeFileName(fallback, "")
	}
	return name
}

// progress reports transfer progress through the client's callback,
// throttled to about every 100 ms plus a final call.
type progress struct {
	mu     sync.Mutex
	callMu sync.Mutex // calls of fn never overlap
	fn     func(done, total int64)
	total  int64
	done   int64
	last   time.Time
	// reported is the last done value handed to fn (-1: none yet), so that
	// finish does not report the same figure twice.
	reported int64
}

const progressInterval = 100 * time.Millisecond

func (c *Client) newProgress(total int64) *progress {
	return &progress{fn: c.progress, total: total, reported: -1}
}

func (p *progress) set(done int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.done = done
	now := time.Now()
	report := now.Sub(p.last) >= progressInterval
	if report {
		p.last = now
	}
	p.mu.Unlock()
	if report {
		p.call(done)
	}
}

func (p *progress) call(done int64) {
	p.callMu.Lock()
	defer p.callMu.Unlock()
	p.reported = done
	p.fn(done, p.total)
}

func (p *progress) add(n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	d := p.done + n
	p.mu.Unlock()
	p.set(d)
}

func (p *progress) finish() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	d := p.done
	p.mu.Unlock()
	p.callMu.Lock()
	again := p.reported == d
	p.callMu.Unlock()
	if !again {
		p.call(d)
	}
}

func (p *progress) writer(w io.Writer) io.Writer {
	return &progressWriter{w: w, p: p}
}

type progressWriter struct {
	w io.Writer
	p *progress
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.add(int64(n))
	if err != nil {
		return n, &writerError{err}
	}
	return n, nil
}

// progressReader counts the bytes read from r into p, starting at base.
type progressReader struct {
	r    io.Reader
	p    *progress
	base int64
	n    int64
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.n += int64(n)
	pr.p.set(pr.base + pr.n)
	return n, err
}
