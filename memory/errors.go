package memory

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
)

// Error kinds callers branch on. Implementations wrap them with what was being
// done, so test with errors.Is.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the request itself is wrong (bad argument, unknown
	// sequence number) and retrying it unchanged will fail again.
	ErrInvalid = errors.New("invalid")
	// ErrConflict means the request clashes with stored state (a sequence
	// number already used).
	ErrConflict = errors.New("conflict")
)

// NewID returns a random 128-bit identifier in hex, prefixed for readability
// in logs ("cus_", "conv_", "doc_", ...).
func NewID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read does not fail on supported platforms.
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}
