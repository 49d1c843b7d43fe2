package aeszip

import (
	"archive/zip"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Option configures [EncryptSingle].
type Option func(*writeConfig)

type writeConfig struct {
	method   uint16
	level    int
	strength Strength
	rand     io.Reader
	modified time.Time
	version  uint16
}

// WithMethod sets how the plaintext is compressed before it is encrypted:
// [archive/zip.Store] or [archive/zip.Deflate] (the default). Other values
// make EncryptSingle fail with [ErrUnsupportedMethod].
func WithMethod(method uint16) Option {
	return func(c *writeConfig) { c.method = method }
}

// WithLevel sets the deflate compression level, as for [compress/flate.NewWriter]
// (default [compress/flate.DefaultCompression]). It has no effect when storing.
func WithLevel(level int) Option {
	return func(c *writeConfig) { c.level = level }
}

// WithStrength sets the AES key strength (default [AES256]).
func WithStrength(s Strength) Option {
	return func(c *writeConfig) { c.strength = s }
}

// WithRand sets the source of the random salt (default [crypto/rand.Reader]).
// It is meant for tests that need reproducible archives; anything else
// should keep the default, since a repeated salt with the same password
// repeats the key stream.
func WithRand(r io.Reader) Option {
	return func(c *writeConfig) { c.rand = r }
}

// WithModified sets the member's modification time (default: the time of the
// call). It is stored as an MS-DOS date and time, as given (not converted to
// UTC), and as a Unix time in an extended timestamp extra field.
func WithModified(t time.Time) Option {
	return func(c *writeConfig) { c.modified = t }
}

// withVersion sets the WinZip AES vendor version; 1 (AE-1) also records the
// CRC-32 of the plaintext. Unexported: the server serves AE-2, and tests use
// it to make AE-1 archives.
func withVersion(v uint16) Option {
	return func(c *writeConfig) { c.version = v }
}

// EncryptSingle writes to w a ZIP archive holding one member called name,
// whose content is read from src until io.EOF and encrypted with password
// using WinZip AES, AE-2 (see the package documentation). By default the key
// is AES-256, the plaintext is deflated and the salt is random; see the
// Options. It returns the number of plaintext bytes read from src.
//
// The archive is written in one pass with a data descriptor after the
// member's data, so memory use does not depend on the size of src, and w
// need not be seekable. EncryptSingle does not close w. If it returns an
// error, what was written to w is not a valid archive.
//
// name must be non-empty, must not end in "/" and must fit in 65535 bytes; it
// is stored as it is, flagged as UTF-8 if it is not plain ASCII.
func EncryptSingle(w io.Writer, name, password string, src io.Reader, opts ...Option) (n int64, err error) {
	cfg := writeConfig{
		method:   zip.Deflate,
		level:    flate.DefaultCompression,
		strength: AES256,
		rand:     rand.Reader,
		version:  vendorAE2,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.modified.IsZero() {
		cfg.modified = time.Now()
	}
	switch {
	case name == "" || strings.HasSuffix(name, "/"):
		return 0, fmt.Errorf("aeszip: invalid member name %q", name)
	case len(name) > math.MaxUint16:
		return 0, fmt.Errorf("aeszip: member name of %d bytes is too long", len(name))
	case cfg.method != zip.Store && cfg.method != zip.Deflate:
		return 0, fmt.Errorf("%w: %d", ErrUnsupportedMethod, cfg.method)
	case !cfg.strength.valid():
		return 0, fmt.Errorf("%w: key strength %d", ErrUnsupportedEncryption, cfg.strength)
	case cfg.version != vendorAE1 && cfg.version != vendorAE2:
		return 0, fmt.Errorf("%w: vendor version %d", ErrUnsupportedEncryption, cfg.version)
	}

	salt := make([]byte, cfg.strength.saltLen())
	if _, err := io.ReadFull(cfg.rand, salt); err != nil {
		return 0, fmt.Errorf("aeszip: reading random salt: %w", err)
	}
	k, err := deriveKeys(password, salt, cfg.strength)
	if err != nil {
		return 0, err
	}

	fh := &zip.FileHeader{
		Name:           name,
		Method:         methodAES,
		Flags:          flagEncrypted | flagDescriptor,
		CreatorVersion: zipVersionAES,
		ReaderVersion:  zipVersionAES,
		Modified:       cfg.modified,
	}
	if !isASCII(name) && utf8.ValidString(name) {
		fh.Flags |= flagUTF8
	}
	fh.SetMode(0o644) // also marks the creator as Unix
	// CreateRaw, unlike CreateHeader, does not derive the MS-DOS time fields
	// from Modified, so they are set here.
	//lint:ignore SA1019 archive/zip's raw writer still reads these fields
	fh.ModifiedDate, fh.ModifiedTime = msDosTime(cfg.modified)
	fh.Extra = appendAESExtra(nil, aesExtra{
		version:  cfg.version,
		vendor:   [2]byte{'A', 'E'},
		strength: cfg.strength,
		method:   cfg.method,
	})
	fh.Extra = appendExtTime(fh.Extra, cfg.modified)

	zw := zip.NewWriter(w)
	raw, err := zw.CreateRaw(fh)
	if err != nil {
		return 0, fmt.Errorf("aeszip: %w", err)
	}
	if _, err := raw.Write(salt); err != nil {
		return 0, err
	}
	if _, err := raw.Write(k.verifier[:]); err != nil {
		return 0, err
	}

	enc := &encryptWriter{w: raw, stream: newCTR(k.block), mac: k.newMAC(), buf: make([]byte, copyBufSize)}
	var (
		plain io.Writer = enc
		fw    *flate.Writer
	)
	if cfg.method == zip.Deflate {
		fw, err = flate.NewWriter(enc, cfg.level)
		if err != nil {
			return 0, fmt.Errorf("aeszip: %w", err)
		}
		plain = fw
	}
	var crc hash.Hash32
	if cfg.version == vendorAE1 {
		crc = crc32.NewIEEE()
	}
	n, err = copyIn(plain, crc, src, make([]byte, copyBufSize))
	if err != nil {
		return n, err
	}
	if fw != nil {
		if err := fw.Close(); err != nil {
			return n, err
		}
	}
	if _, err := raw.Write(enc.mac.Sum(nil)[:macLen]); err != nil {
		return n, err
	}

	// The data descriptor and central directory are written from fh.
	compSize := uint64(len(salt)+verifierLen+macLen) + enc.n
	fh.CompressedSize64 = compSize
	fh.UncompressedSize64 = uint64(n)
	// The raw writer's data descriptor reads the 32-bit size fields when the
	// entry is not zip64, so they must be kept in step with the 64-bit ones.
	//lint:ignore SA1019 read by archive/zip's data descriptor for raw entries
	fh.CompressedSize = uint32(min(compSize, math.MaxUint32))
	//lint:ignore SA1019 read by archive/zip's data descriptor for raw entries
	fh.UncompressedSize = uint32(min(uint64(n), math.MaxUint32))
	if crc != nil {
		fh.CRC32 = crc.Sum32()
	}
	if err := zw.Close(); err != nil {
		return n, fmt.Errorf("aeszip: %w", err)
	}
	return n, nil
}

// copyIn copies src into dst through buf, feeding crc too if it is not nil,
// and returns the number of bytes read.
func copyIn(dst io.Writer, crc hash.Hash32, src io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			if crc != nil {
				crc.Write(buf[:nr])
			}
			if _, err := dst.Write(buf[:nr]); err != nil {
				return n, err
			}
			n += int64(nr)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("aeszip: reading plaintext: %w", rerr)
		}
	}
}

// encryptWriter encrypts what is written to it, feeds the ciphertext to the
// MAC and passes it on to w. Unlike [crypto/cipher.StreamWriter] it reuses
// one buffer rather than allocating on every Write.
type encryptWriter struct {
	w      io.Writer
	stream *ctrStream
	mac    hash.Hash
	buf    []byte
	n      uint64 // ciphertext bytes written
}

func (e *encryptWriter) Write(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		c := e.buf[:min(len(p), len(e.buf))]
		e.stream.XORKeyStream(c, p)
		e.mac.Write(c)
		nw, err := e.w.Write(c)
		e.n += uint64(nw)
		done += nw
		if err != nil {
			return done, err
		}
		if nw != len(c) {
			return done, io.ErrShortWrite
		}
		p = p[len(c):]
	}
	return done, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// msDosTime encodes t as an MS-DOS date and time (2-second resolution),
// clamped to the years 1980 to 2107 that the format can hold.
func msDosTime(t time.Time) (date, tm uint16) {
	switch {
	case t.Year() < 1980:
		return 1<<5 | 1, 0 // 1980-01-01 00:00:00
	case t.Year() > 2107:
		return 127<<9 | 12<<5 | 31, 23<<11 | 59<<5 | 29 // 2107-12-31 23:59:58
	}
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	tm = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, tm
}

// appendExtTime appends an extended timestamp extra field (ID 0x5455) holding
// the modification time, if it fits in the field's 32-bit Unix time (kept
// within the signed range, as some readers take it to be signed).
func appendExtTime(b []byte, t time.Time) []byte {
	u := t.Unix()
	if u < 0 || u > math.MaxInt32 {
		return b
	}
	b = binary.LittleEndian.AppendUint16(b, 0x5455)
	b = binary.LittleEndian.AppendUint16(b, 5)
	b = append(b, 1) // flags: modification time present
	return binary.LittleEndian.AppendUint32(b, uint32(u))
}
