package aeszip

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// Errors returned by [DecryptSingle] and [EncryptSingle]. They are wrapped with
// more detail; test for them with [errors.Is].
var (
	// ErrWrongPassword means the password does not match the archive's
	// password verifier. Nothing has been written to the output.
	ErrWrongPassword = errors.New("aeszip: wrong password")

	// ErrAuthentication means the password verifier matched but the
	// authentication code over the ciphertext did not: the data is corrupt or
	// was tampered with. Nothing has been written to the output. (With a
	// chance of 1 in 65536 a wrong password passes the 2-byte verifier; it is
	// then reported as ErrAuthentication too.)
	ErrAuthentication = errors.New("aeszip: authentication failed (data corrupt or tampered with)")

	// ErrUnsupportedEncryption means the member is encrypted, but not with
	// WinZip AES as this package knows it: for example legacy ZipCrypto,
	// PKWARE strong encryption, or an unknown AE version or key strength.
	ErrUnsupportedEncryption = errors.New("aeszip: unsupported encryption")

	// ErrUnsupportedMethod means the member's data is compressed with a
	// method other than stored (0) or deflated (8).
	ErrUnsupportedMethod = errors.New("aeszip: unsupported compression method")

	// ErrNotSingleMember means the archive does not hold exactly one file.
	ErrNotSingleMember = errors.New("aeszip: archive does not hold exactly one member")

	// ErrFormat means the archive is malformed or truncated. Where the cause
	// is an error of [archive/zip] or [compress/flate], that error is wrapped
	// as well.
	ErrFormat = errors.New("aeszip: malformed archive")

	// ErrChecksum means the CRC-32 of the extracted data does not match the
	// one in the archive (AE-1 or unencrypted members only). As the CRC-32
	// is known only at the end, the data has already been written.
	ErrChecksum = errors.New("aeszip: checksum mismatch")
)

// Strength is the AES key strength of a WinZip AES member, as coded in the
// 0x9901 extra field.
type Strength uint8

// The key strengths WinZip AES defines.
const (
	AES128 Strength = 1 // 128-bit key, 8-byte salt
	AES192 Strength = 2 // 192-bit key, 12-byte salt
	AES256 Strength = 3 // 256-bit key, 16-byte salt
)

// String returns the strength's name, such as "AES-256".
func (s Strength) String() string {
	if s.valid() {
		return fmt.Sprintf("AES-%d", s.keyLen()*8)
	}
	return fmt.Sprintf("Strength(%d)", uint8(s))
}

func (s Strength) valid() bool { return s >= AES128 && s <= AES256 }

// keyLen is the AES key length in bytes (also the HMAC key length).
func (s Strength) keyLen() int { return 8 + 8*int(s) }

// saltLen is the salt length in bytes: half the key length.
func (s Strength) saltLen() int { return s.keyLen() / 2 }

const (
	methodAES       = 99     // compression method of a WinZip AES member
	aesExtraID      = 0x9901 // header ID of the WinZip AES extra field
	aesExtraDataLen = 7      // its data size
	vendorAE1       = 1
	vendorAE2       = 2
	pbkdf2Iter      = 1000
	verifierLen     = 2
	macLen          = 10 // HMAC-SHA1 cut to 10 bytes
	flagEncrypted   = 0x1
	flagDescriptor  = 0x8
	flagStrongEnc   = 0x40
	flagUTF8        = 0x800
	// zipVersionAES is the "version needed to extract" WinZip uses for AES.
	zipVersionAES = 51
)

// aesExtra is the content of a 0x9901 extra field.
type aesExtra struct {
	version  uint16 // 1 (AE-1) or 2 (AE-2)
	vendor   [2]byte
	strength Strength
	method   uint16 // actual compression method
}

// appendAESExtra appends the 0x9901 extra field block (header included).
func appendAESExtra(b []byte, e aesExtra) []byte {
	b = binary.LittleEndian.AppendUint16(b, aesExtraID)
	b = binary.LittleEndian.AppendUint16(b, aesExtraDataLen)
	b = binary.LittleEndian.AppendUint16(b, e.version)
	b = append(b, e.vendor[0], e.vendor[1])
	b = append(b, byte(e.strength))
	return binary.LittleEndian.AppendUint16(b, e.method)
}

// findAESExtra looks for the 0x9901 block in a ZIP extra field. ok is false
// if there is none; err is set if the extra field is malformed.
func findAESExtra(extra []byte) (e aesExtra, ok bool, err error) {
	for len(extra) > 0 {
		if len(extra) < 4 {
			return e, false, fmt.Errorf("%w: truncated extra field", ErrFormat)
		}
		id := binary.LittleEndian.Uint16(extra)
		size := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if size > len(extra) {
			return e, false, fmt.Errorf("%w: extra field block 0x%04x overruns the extra field", ErrFormat, id)
		}
		body := extra[:size]
		extra = extra[size:]
		if id != aesExtraID {
			continue
		}
		if size < aesExtraDataLen {
			return e, false, fmt.Errorf("%w: WinZip AES extra field has %d bytes, want %d", ErrFormat, size, aesExtraDataLen)
		}
		e.version = binary.LittleEndian.Uint16(body)
		e.vendor = [2]byte{body[2], body[3]}
		e.strength = Strength(body[4])
		e.method = binary.LittleEndian.Uint16(body[5:])
		return e, true, nil
	}
	return e, false, nil
}

// keys holds what PBKDF2 derives from the password and salt.
type keys struct {
	block    cipher.Block
	macKey   []byte
	verifier [verifierLen]byte
}

// deriveKeys runs PBKDF2-HMAC-SHA1 and splits its output into the AES key, the
// HMAC key and the password verifier.
func deriveKeys(password string, salt []byte, s Strength) (*keys, error) {
	n := s.keyLen()
	dk, err := pbkdf2.Key(sha1.New, password, salt, pbkdf2Iter, 2*n+verifierLen)
	if err != nil {
		return nil, fmt.Errorf("aeszip: deriving keys: %w", err)
	}
	block, err := aes.NewCipher(dk[:n])
	if err != nil {
		return nil, fmt.Errorf("aeszip: %w", err)
	}
	k := &keys{block: block, macKey: dk[n : 2*n]}
	copy(k.verifier[:], dk[2*n:])
	return k, nil
}

func (k *keys) newMAC() hash.Hash { return hmac.New(sha1.New, k.macKey) }

// ctrBatch is how many counter blocks ctrStream encrypts at a time.
const ctrBatch = 32

// ctrStream is AES in counter mode as WinZip AES uses it: the 16-byte counter
// block is a little-endian integer starting at 1, and it is incremented after
// each block of key stream. (crypto/cipher's CTR mode counts big-endian, so it
// cannot be used.) It implements [cipher.Stream].
type ctrStream struct {
	block cipher.Block
	ctr   [aes.BlockSize]byte
	ks    [ctrBatch * aes.BlockSize]byte
	pos   int // next unused byte of ks
}

func newCTR(block cipher.Block) *ctrStream {
	s := &ctrStream{block: block}
	s.ctr[0] = 1
	s.pos = len(s.ks)
	return s
}

func (s *ctrStream) refill() {
	for i := 0; i < len(s.ks); i += aes.BlockSize {
		s.block.Encrypt(s.ks[i:i+aes.BlockSize], s.ctr[:])
		for j := range s.ctr {
			s.ctr[j]++
			if s.ctr[j] != 0 {
				break
			}
		}
	}
	s.pos = 0
}

// XORKeyStream XORs src with the key stream into dst, which must be at least
// as long as src.
func (s *ctrStream) XORKeyStream(dst, src []byte) {
	if len(dst) < len(src) {
		panic("aeszip: output smaller than input")
	}
	for len(src) > 0 {
		if s.pos == len(s.ks) {
			s.refill()
		}
		n := subtle.XORBytes(dst, src, s.ks[s.pos:])
		s.pos += n
		dst, src = dst[n:], src[n:]
	}
}
