package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// input is an upload source whose size is known: the bytes
// [off, off+size) of ra. Each chunk or attempt reads its own
// io.SectionReader of it, so nothing is buffered and every body can be
// rebuilt for a retry.
type input struct {
	ra      io.ReaderAt
	off     int64
	size    int64
	seeker  io.Seeker // set when the input was an io.Seeker: rewound on fallback
	origPos int64
}

type sizer interface{ Size() int64 }

// inspect finds out whether r can be read in sections. It returns nil (and
// no error) for a reader of unknown size.
func inspect(r io.Reader) (*input, error) {
	if s, ok := r.(io.Seeker); ok {
		pos, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil //nolint:nilerr // not really seekable (a pipe, a terminal): stream it
		}
		end, err := s.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, nil //nolint:nilerr // as above
		}
		if _, err := s.Seek(pos, io.SeekStart); err != nil {
			return nil, fmt.Errorf("jbxapi: rewinding the input: %w", err)
		}
		in := &input{off: pos, size: end - pos, seeker: s, origPos: pos}
		if ra, ok := r.(io.ReaderAt); ok {
			in.ra = ra
		} else if rs, ok := r.(io.ReadSeeker); ok {
			in.ra = &seekReaderAt{rs: rs}
		}
		return in, nil
	}
	if ra, ok := r.(io.ReaderAt); ok {
		if sz, ok := r.(sizer); ok {
			return &input{ra: ra, size: sz.Size()}, nil
		}
	}
	return nil, nil
}

func (in *input) rewind() error {
	if in.seeker == nil {
		return nil
	}
	if _, err := in.seeker.Seek(in.origPos, io.SeekStart); err != nil {
		return fmt.Errorf("jbxapi: rewinding the input: %w", err)
	}
	return nil
}

// seekReaderAt turns an io.ReadSeeker into an io.ReaderAt (not for
// concurrent use, which the client never needs).
type seekReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

// part is a file part of a multipart body: either small in-memory data or a
// streamed source (a section of an input, or a plain reader).
type part struct {
	field, filename string
	data            []byte    // small parts (cookbooks)
	in              *input    // streamed, sized
	off, size       int64     // the section of in
	r               io.Reader // streamed, unknown size (not replayable)
}

// multipartBody renders fields and the small parts into a head, the header
// of the streamed part (the last one) at its end, and the closing boundary
// into a tail; the body is head + stream + tail with an exact length when
// the stream is sized.
type multipartBody struct {
	contentType string
	head, tail  []byte
	stream      *part
}

func newMultipart(fields url.Values, parts []part) (*multipartBody, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range fields {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		for _, v := range fields[k] {
			if err := mw.WriteField(k, v); err != nil {
				return nil, err
			}
		}
	}
	mb := &multipartBody{contentType: mw.FormDataContentType()}
	for i := range parts {
		p := &parts[i]
		// Like python-requests: a Content-Disposition and no Content-Type.
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, escapeQuotes(p.field), escapeQuotes(p.filename)))
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if p.data != nil || (p.in == nil && p.r == nil) {
			if _, err := w.Write(p.data); err != nil {
				return nil, err
			}
			continue
		}
		if i != len(parts)-1 {
			return nil, errors.New("jbxapi: internal error: streamed part must be last")
		}
		mb.stream = p
	}
	mb.head = slices.Clone(buf.Bytes())
	if err := mw.Close(); err != nil {
		return nil, err
	}
	mb.tail = slices.Clone(buf.Bytes()[len(mb.head):])
	return mb, nil
}

// quoteEscaper makes a name fit a quoted-string of a part header: "\" and
// `"` are escaped with a backslash; the control characters (C0 and DEL), which
// a header cannot carry, become %XX, as browsers and python-requests send
// them (a CR arrives as the text "%0D").
var quoteEscaper = func() *strings.Replacer {
	pairs := []string{"\\", "\\\\", `"`, "\\\""}
	for b := range 0x20 {
		pairs = append(pairs, string(rune(b)), fmt.Sprintf("%%%02X", b))
	}
	return strings.NewReplacer(append(pairs, "\x7f", "%7F")...)
}()

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// replayable reports whether the body can be rebuilt for another attempt.
func (mb *multipartBody) replayable() bool { return mb.stream == nil || mb.stream.in != nil }

// bodyFunc returns the per-attempt body builder; pr (may be nil) counts the
// streamed bytes from base.
func (mb *multipartBody) bodyFunc(pr *progress, base int64) bodyFunc {
	return func() (string, io.Reader, int64, error) {
		if mb.stream == nil {
			b := append(slices.Clip(mb.head), mb.tail...)
			return mb.contentType, bytes.NewReader(b), int64(len(b)), nil
		}
		var src io.Reader
		size := int64(-1)
		if mb.stream.in != nil {
			src = io.NewSectionReader(mb.stream.in.ra, mb.stream.off, mb.stream.size)
			size = int64(len(mb.head)) + mb.stream.size + int64(len(mb.tail))
		} else {
			src = mb.stream.r
		}
		if pr != nil && pr.fn != nil {
			src = &progressReader{r: src, p: pr, base: base}
		}
		return mb.contentType, &concatReader{head: mb.head, src: src, tail: mb.tail}, size, nil
	}
}

// concatReader reads head, then src, then tail. Unlike io.MultiReader it
// has no WriteTo: net/http drains a request body with io.Copy after
// sending it, and io.MultiReader's WriteTo allocates a 32 KiB buffer on
// every request just to find nothing left.
type concatReader struct {
	head []byte
	src  io.Reader // nil once drained
	tail []byte
}

func (r *concatReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	for r.src != nil {
		n, err := r.src.Read(p)
		if err == io.EOF {
			r.src, err = nil, nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	if len(r.tail) > 0 {
		n := copy(p, r.tail)
		r.tail = r.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// baseName returns the file name of r when it has one (an *os.File), or
// fallback.
func baseName(name string, r any, fallback string) string {
	if name != "" {
		return name
	}
	if f, ok := r.(*os.File); ok {
		if n := filepath.Base(f.Name()); n != "." && n != string(filepath.Separator) {
			return n
		}
	}
	if f, ok := r.(interface{ Name() string }); ok && f.Name() != "" {
		return filepath.Base(f.Name())
	}
	return fallback
}
