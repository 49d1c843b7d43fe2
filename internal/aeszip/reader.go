package aeszip

import (
	"archive/zip"
	"compress/flate"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"
)

// copyBufSize is the size of the buffer each pass streams through.
const copyBufSize = 32 << 10

// DecryptSingle extracts the only member of the ZIP archive held in r, which is
// size bytes long, writing its plaintext to w. It returns the member's name as
// stored in the archive (also along with an error, once the archive's
// directory could be read) and the number of bytes written to w. It is safe
// to call concurrently on the same r.
//
// The name comes from the archive and is not checked: a caller that uses it
// to build a file path must sanitize it first (for example with
// [path/filepath.IsLocal]).
//
// The archive must hold exactly one member, and that member must not be a
// directory; otherwise the error wraps [ErrNotSingleMember]. A member
// encrypted with WinZip AES (AE-1 or AE-2, any key strength) is decrypted with
// password. Its plaintext may be stored or deflated; other compression methods
// give [ErrUnsupportedMethod]. A member encrypted in any other way (such as
// legacy ZipCrypto) gives [ErrUnsupportedEncryption]. A member that is not
// encrypted at all is copied out as it is (stored or deflated), the password
// being ignored.
//
// For an AES member, the password verifier is checked first ([ErrWrongPassword]
// on mismatch), then the authentication code over the whole ciphertext
// ([ErrAuthentication] on mismatch); only after both checks pass is anything
// written to w. Errors found later, in the second pass that decrypts into w,
// can leave partial output in w: a malformed deflate stream or a size that
// disagrees with the headers ([ErrFormat]), an AE-1 CRC-32 mismatch
// ([ErrChecksum]), or an error of w itself, which is returned as it is. The
// first two mean that the headers, which the authentication code does not
// cover, disagree with the authenticated data, or that whoever built the
// archive with the password built it wrongly. For an unencrypted member,
// which has no authentication code, corruption is found only as the data is
// copied (as [ErrFormat] or [ErrChecksum]), after output has been written.
//
// Memory use is bounded: the member is read twice through small buffers
// rather than loaded whole.
func DecryptSingle(r io.ReaderAt, size int64, password string, w io.Writer) (name string, n int64, err error) {
	r = offsetChecker{r}
	zr, err := zip.NewReader(r, size)
	// ErrInsecurePath comes with a usable reader; the name is the caller's
	// business (see above).
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return "", 0, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if len(zr.File) != 1 {
		return "", 0, fmt.Errorf("%w: it holds %d", ErrNotSingleMember, len(zr.File))
	}
	f := zr.File[0]
	name = f.Name
	if strings.HasSuffix(f.Name, "/") {
		return name, 0, fmt.Errorf("%w: its only member %q is a directory", ErrNotSingleMember, f.Name)
	}

	switch {
	case f.Method == methodAES:
		n, err = decryptAES(r, size, f, password, w)
	case f.Flags&flagStrongEnc != 0:
		err = fmt.Errorf("%w: PKWARE strong encryption", ErrUnsupportedEncryption)
	case f.Flags&flagEncrypted != 0:
		err = fmt.Errorf("%w: legacy ZipCrypto (compression method %d)", ErrUnsupportedEncryption, f.Method)
	default:
		n, err = copyPlain(f, w)
	}
	return name, n, err
}

// decryptAES extracts a WinZip AES member.
func decryptAES(r io.ReaderAt, size int64, f *zip.File, password string, w io.Writer) (int64, error) {
	ex, ok, err := findAESExtra(f.Extra)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: compression method 99 without a WinZip AES extra field", ErrFormat)
	}
	if ex.vendor != [2]byte{'A', 'E'} {
		return 0, fmt.Errorf("%w: WinZip AES vendor ID %q", ErrUnsupportedEncryption, ex.vendor[:])
	}
	if ex.version != vendorAE1 && ex.version != vendorAE2 {
		return 0, fmt.Errorf("%w: WinZip AES vendor version %d", ErrUnsupportedEncryption, ex.version)
	}
	if !ex.strength.valid() {
		return 0, fmt.Errorf("%w: WinZip AES key strength %d", ErrUnsupportedEncryption, ex.strength)
	}
	if ex.method != zip.Store && ex.method != zip.Deflate {
		return 0, fmt.Errorf("%w: %d", ErrUnsupportedMethod, ex.method)
	}

	// Locate salt || verifier || ciphertext || MAC.
	off, err := f.DataOffset()
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	saltLen := ex.strength.saltLen()
	overhead := uint64(saltLen + verifierLen + macLen)
	compSize := f.CompressedSize64
	if compSize < overhead {
		return 0, fmt.Errorf("%w: encrypted data of %d bytes is shorter than its %d bytes of overhead", ErrFormat, compSize, overhead)
	}
	if off < 0 || off > size || compSize > uint64(size-off) {
		return 0, fmt.Errorf("%w: member data runs past the end of the archive", ErrFormat)
	}
	head := make([]byte, saltLen+verifierLen)
	if err := readFullAt(r, head, off); err != nil {
		return 0, err
	}
	ctOff := off + int64(len(head))
	ctLen := int64(compSize - overhead)

	k, err := deriveKeys(password, head[:saltLen], ex.strength)
	if err != nil {
		return 0, err
	}
	if subtle.ConstantTimeCompare(head[saltLen:], k.verifier[:]) != 1 {
		return 0, ErrWrongPassword
	}

	// Pass 1: authenticate the ciphertext before any of it is used.
	buf := make([]byte, copyBufSize)
	mac := k.newMAC()
	copied, err := io.CopyBuffer(mac, io.NewSectionReader(r, ctOff, ctLen), buf)
	if err != nil {
		return 0, readError(err)
	}
	if copied != ctLen {
		return 0, readError(io.ErrUnexpectedEOF)
	}
	stored := make([]byte, macLen)
	if err := readFullAt(r, stored, ctOff+ctLen); err != nil {
		return 0, err
	}
	if !hmac.Equal(mac.Sum(nil)[:macLen], stored) {
		return 0, ErrAuthentication
	}

	// Pass 2: decrypt (and inflate) into w.
	var src io.Reader = cipher.StreamReader{S: newCTR(k.block), R: io.NewSectionReader(r, ctOff, ctLen)}
	if ex.method == zip.Deflate {
		fr := flate.NewReader(src)
		defer fr.Close()
		src = fr
	}
	out := &outWriter{w: w, limit: f.UncompressedSize64}
	if ex.version == vendorAE1 {
		out.crc = crc32.NewIEEE()
	}
	if err := copyOut(out, src, buf); err != nil {
		return out.n, err
	}
	if uint64(out.n) != f.UncompressedSize64 {
		return out.n, fmt.Errorf("%w: member holds %d bytes, its header says %d", ErrFormat, out.n, f.UncompressedSize64)
	}
	if out.crc != nil && out.crc.Sum32() != f.CRC32 {
		return out.n, fmt.Errorf("%w: CRC-32 is %08x, the header says %08x", ErrChecksum, out.crc.Sum32(), f.CRC32)
	}
	return out.n, nil
}

// offsetChecker refuses reads at a negative offset, which only a malformed
// archive asks for (archive/zip adds header offsets without checking them),
// as ErrFormat rather than the reader's own error.
type offsetChecker struct{ r io.ReaderAt }

func (o offsetChecker) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: read at negative offset %d", ErrFormat, off)
	}
	return o.r.ReadAt(p, off)
}

// readFullAt fills p from r at off. A ReaderAt may return io.EOF along with
// a full p at the end of its input; that is not an error.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return readError(err)
}

// copyPlain extracts an unencrypted member; archive/zip checks its size and
// CRC-32.
func copyPlain(f *zip.File, w io.Writer) (int64, error) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return 0, fmt.Errorf("%w: %d", ErrUnsupportedMethod, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return 0, readError(err)
	}
	defer rc.Close()
	out := &outWriter{w: w, limit: f.UncompressedSize64}
	err = copyOut(out, rc, make([]byte, copyBufSize))
	return out.n, err
}

// outWriter writes to the caller's writer, counting bytes, refusing to write
// more than limit bytes, and optionally computing a CRC-32.
type outWriter struct {
	w     io.Writer
	n     int64
	limit uint64
	crc   hash.Hash32
}

// errTooLong is wrapped when a member inflates to more than its header says.
var errTooLong = errors.New("member is longer than its header says")

func (o *outWriter) write(p []byte) error {
	tooLong := false
	if room := o.limit - uint64(o.n); uint64(len(p)) > room {
		p = p[:room]
		tooLong = true
	}
	if len(p) > 0 {
		if o.crc != nil {
			o.crc.Write(p)
		}
		nw, err := o.w.Write(p)
		if nw < 0 || nw > len(p) {
			nw = 0
			if err == nil {
				err = errors.New("aeszip: invalid count from output writer")
			}
		}
		o.n += int64(nw)
		if err != nil {
			return err
		}
		if nw != len(p) {
			return io.ErrShortWrite
		}
	}
	if tooLong {
		return fmt.Errorf("%w: %w", ErrFormat, errTooLong)
	}
	return nil
}

// copyOut copies src to dst through buf. Errors of dst are returned as they
// are; errors of src are classified by readError.
func copyOut(dst *outWriter, src io.Reader, buf []byte) error {
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			if err := dst.write(buf[:nr]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return readError(rerr)
		}
	}
}

// readError maps an error met while reading the archive to this package's
// errors, keeping the original in the chain.
func readError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("%w: %w", ErrChecksum, err)
	case errors.Is(err, zip.ErrAlgorithm):
		return fmt.Errorf("%w: %w", ErrUnsupportedMethod, err)
	case errors.Is(err, zip.ErrFormat), errors.As(err, &corrupt),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %w", ErrFormat, err)
	default:
		return fmt.Errorf("aeszip: reading archive: %w", err)
	}
}
