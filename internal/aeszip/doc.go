// Package aeszip reads and writes one-member ZIP archives encrypted with
// WinZip AES, the form in which the Joe Sandbox server serves a resource of a
// password-protected analysis.
//
// # Format
//
// The format is described in WinZip's document "AES Encryption Information:
// Encryption Specification AE-1 and AE-2". In short, an encrypted member has
// the compression method 99 in its headers and an extra field with the ID
// 0x9901 that records the vendor version (1 for AE-1, 2 for AE-2), the vendor
// ID "AE", the AES key strength (1, 2 or 3 for 128, 192 or 256 bits) and the
// compression method actually used on the plaintext (here stored, 0, or
// deflated, 8). The member's data is
//
//	salt || password verifier || ciphertext || authentication code
//
// where the salt is 8, 12 or 16 bytes long (half the key length). PBKDF2 with
// HMAC-SHA1 and 1000 iterations turns the password and salt into an AES key,
// an HMAC key of the same length and a 2-byte password verifier. The
// (possibly compressed) plaintext is encrypted with AES in counter mode, the
// counter being a 16-byte little-endian integer that starts at 1. The
// authentication code is the HMAC-SHA1 of the ciphertext, cut to its first 10
// bytes. AE-1 also keeps the CRC-32 of the plaintext in the headers; AE-2
// stores 0 there, the authentication code being the only integrity check.
//
// # Reading
//
// [DecryptSingle] checks the password verifier, then checks the
// authentication code in a first pass over the ciphertext, and only then
// decrypts (and inflates) in a second pass into the caller's writer. A wrong
// password or a corrupted ciphertext therefore writes nothing. Both passes
// stream through small buffers, so memory use does not grow with the size of
// the member.
//
// # Writing
//
// [EncryptSingle] writes an AE-2 archive (AES-256 unless told otherwise) in one
// streaming pass, using a data descriptor for the sizes, which are known only
// at the end.
package aeszip
