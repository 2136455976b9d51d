// Package wxcrypt implements the message signing and encryption scheme that
// the WeChat Official Account platform and WeCom use for callbacks
// (published by Tencent as "WXBizMsgCrypt").
//
// The scheme, as documented by both platforms:
//
//   - signature = hex(sha1(concat(sort(token, timestamp, nonce[, ciphertext]))))
//   - AES key = base64-decode(EncodingAESKey + "="), 32 bytes (AES-256);
//     IV = the first 16 key bytes; CBC mode; PKCS#7 padding to 32-byte blocks
//   - plaintext = random(16) | uint32 big-endian length of msg | msg | receive id
//     where the receive id is the Official Account's appid or the WeCom corp id
//   - ciphertext = base64(AES-CBC(plaintext))
//
// A Crypter checks signatures, decrypts and checks the receive id, and
// encrypts replies. Everything it refuses wraps one of the sentinel errors
// below, so a handler can answer with the right HTTP status.
package wxcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors a Crypter returns; every refusal wraps one of them.
var (
	// ErrSignature: the signature does not match (forged, or another token).
	ErrSignature = errors.New("wxcrypt: signature mismatch")
	// ErrReceiveID: the message decrypted but was meant for another
	// appid or corp id.
	ErrReceiveID = errors.New("wxcrypt: receive id mismatch")
	// ErrMalformed: the ciphertext, padding, length or envelope is not
	// what the scheme produces.
	ErrMalformed = errors.New("wxcrypt: malformed message")
	// ErrStale: the timestamp is outside the accepted window.
	ErrStale = errors.New("wxcrypt: timestamp outside the accepted window")
)

// blockSize is the PKCS#7 block size the scheme pads to (not the AES block
// size).
const blockSize = 32

// MaxCiphertext bounds the base64 ciphertext accepted, far above any
// callback the platforms send, so a hostile body cannot make us allocate.
const MaxCiphertext = 1 << 20

// Crypter signs, verifies, encrypts and decrypts for one account.
// It is safe for concurrent use.
type Crypter struct {
	token     string
	key       []byte
	block     cipher.Block
	receiveID string
	// rand supplies the 16 random bytes of each encrypted message.
	rand io.Reader
}

// New returns a Crypter for an account's token, 43-character
// EncodingAESKey and receive id (appid for an Official Account, corp id for
// WeCom). encodingAESKey may be empty for a plaintext-only account: the
// Crypter then only checks plain signatures.
func New(token, encodingAESKey, receiveID string) (*Crypter, error) {
	if token == "" {
		return nil, errors.New("wxcrypt: new: token is required")
	}
	c := &Crypter{token: token, receiveID: receiveID, rand: rand.Reader}
	if encodingAESKey == "" {
		return c, nil
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wxcrypt: new: EncodingAESKey must be 43 characters, not %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("wxcrypt: new: EncodingAESKey is not base64 of 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wxcrypt: new: %w", err)
	}
	if receiveID == "" {
		return nil, errors.New("wxcrypt: new: receive id is required with an EncodingAESKey")
	}
	c.key, c.block = key, block
	return c, nil
}

// CanEncrypt reports whether the Crypter has an EncodingAESKey.
func (c *Crypter) CanEncrypt() bool { return c.block != nil }

// ReceiveID is the appid or corp id the Crypter checks.
func (c *Crypter) ReceiveID() string { return c.receiveID }

// Signature is the scheme's signature of parts: sha1 over the parts sorted
// as byte strings and concatenated, in lower-case hex.
func Signature(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	h := sha1.New()
	for _, p := range s {
		io.WriteString(h, p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature over the token and parts (timestamp, nonce and,
// for encrypted messages, the ciphertext or echostr).
func (c *Crypter) Verify(signature string, parts ...string) error {
	want := Signature(append([]string{c.token}, parts...)...)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrSignature
	}
	return nil
}

// Sign is the signature of the token and parts.
func (c *Crypter) Sign(parts ...string) string {
	return Signature(append([]string{c.token}, parts...)...)
}

// CheckTimestamp refuses a callback whose Unix timestamp ts is more than
// window away from now, so a captured request cannot be replayed later.
// window ≤ 0 accepts every well-formed timestamp.
func CheckTimestamp(ts string, now time.Time, window time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return fmt.Errorf("timestamp %q: %w", clip(ts), ErrMalformed)
	}
	if window <= 0 {
		return nil
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > window || d < -window {
		return fmt.Errorf("timestamp %s is %s from now: %w", ts, d.Round(time.Second), ErrStale)
	}
	return nil
}

// Decrypt decrypts a base64 ciphertext and returns the message after
// checking its length field and receive id.
func (c *Crypter) Decrypt(ciphertext string) ([]byte, error) {
	if c.block == nil {
		return nil, errors.New("wxcrypt: decrypt: no EncodingAESKey configured")
	}
	if len(ciphertext) > MaxCiphertext {
		return nil, fmt.Errorf("ciphertext of %d bytes: %w", len(ciphertext), ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not base64: %w", ErrMalformed)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes is not whole AES blocks: %w", len(raw), ErrMalformed)
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)
	plain, err = unpad(plain)
	if err != nil {
		return nil, err
	}
	if len(plain) < 20 {
		return nil, fmt.Errorf("plaintext of %d bytes is shorter than its header: %w", len(plain), ErrMalformed)
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	body := plain[20:]
	if uint64(n) > uint64(len(body)) {
		return nil, fmt.Errorf("length field %d exceeds the %d bytes left: %w", n, len(body), ErrMalformed)
	}
	msg, id := body[:n], body[n:]
	if subtle.ConstantTimeCompare(id, []byte(c.receiveID)) != 1 {
		return nil, fmt.Errorf("message for %q: %w", clip(string(id)), ErrReceiveID)
	}
	return bytes.Clone(msg), nil
}

// Encrypt encrypts msg for the Crypter's receive id and returns the base64
// ciphertext.
func (c *Crypter) Encrypt(msg []byte) (string, error) {
	var random [16]byte
	if _, err := io.ReadFull(c.rand, random[:]); err != nil {
		return "", fmt.Errorf("wxcrypt: encrypt: random: %w", err)
	}
	return c.encrypt(random[:], msg)
}

func (c *Crypter) encrypt(random, msg []byte) (string, error) {
	if c.block == nil {
		return "", errors.New("wxcrypt: encrypt: no EncodingAESKey configured")
	}
	if uint64(len(msg)) > 1<<31 {
		return "", errors.New("wxcrypt: encrypt: message too long")
	}
	buf := make([]byte, 0, 20+len(msg)+len(c.receiveID)+blockSize)
	buf = append(buf, random...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(msg)))
	buf = append(buf, msg...)
	buf = append(buf, c.receiveID...)
	buf = pad(buf)
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// pad appends PKCS#7 padding to a multiple of 32 bytes (always 1 to 32
// bytes).
func pad(b []byte) []byte {
	n := blockSize - len(b)%blockSize
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// unpad removes PKCS#7 padding of 1 to 32 bytes.
func unpad(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("empty plaintext: %w", ErrMalformed)
	}
	n := int(b[len(b)-1])
	if n < 1 || n > blockSize || n > len(b) {
		return nil, fmt.Errorf("padding byte %d: %w", n, ErrMalformed)
	}
	for _, p := range b[len(b)-n:] {
		if int(p) != n {
			return nil, fmt.Errorf("inconsistent padding: %w", ErrMalformed)
		}
	}
	return b[:len(b)-n], nil
}

// clip shortens attacker-controlled text before it goes into an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
