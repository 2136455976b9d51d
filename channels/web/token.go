package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Visitor tokens are "v1.<payload>.<mac>", both parts base64url without
// padding. The payload is "<visitor id>|<issued at, unix seconds>"; the mac is
// HMAC-SHA256 over "v1.<payload>" with the server's secret. Tokens carry no
// secrets: they only prove the server handed out that visitor id.
const (
	tokenPrefix    = "v1."
	maxTokenLen    = 200
	visitorPrefix  = "vis_"
	visitorHexLen  = 32
	futureTolerate = 5 * time.Minute // clock skew between gateway nodes
)

var b64 = base64.RawURLEncoding

// tokens signs and checks visitor tokens.
type tokens struct {
	secret []byte
	ttl    time.Duration
}

// newVisitorID returns a fresh random visitor id.
func newVisitorID() string {
	var b [visitorHexLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms
	}
	return visitorPrefix + hex.EncodeToString(b[:])
}

// issue returns a token for visitor issued at now.
func (t tokens) issue(visitor string, now time.Time) string {
	payload := b64.EncodeToString([]byte(visitor + "|" + strconv.FormatInt(now.Unix(), 10)))
	return tokenPrefix + payload + "." + b64.EncodeToString(t.mac(payload))
}

func (t tokens) mac(payload string) []byte {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(tokenPrefix))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verify returns the visitor id in tok, or ok false when the token is
// missing, malformed, forged, expired or issued in the future.
func (t tokens) verify(tok string, now time.Time) (visitor string, ok bool) {
	if tok == "" || len(tok) > maxTokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return "", false
	}
	payload, macPart, found := strings.Cut(tok[len(tokenPrefix):], ".")
	if !found {
		return "", false
	}
	got, err := b64.DecodeString(macPart)
	if err != nil || !hmac.Equal(got, t.mac(payload)) {
		return "", false
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return "", false
	}
	id, issuedStr, found := strings.Cut(string(raw), "|")
	if !found || !validVisitorID(id) {
		return "", false
	}
	issued, err := strconv.ParseInt(issuedStr, 10, 64)
	if err != nil {
		return "", false
	}
	at := time.Unix(issued, 0)
	if at.After(now.Add(futureTolerate)) || now.Sub(at) > t.ttl {
		return "", false
	}
	return id, true
}

func validVisitorID(id string) bool {
	if len(id) != len(visitorPrefix)+visitorHexLen || !strings.HasPrefix(id, visitorPrefix) {
		return false
	}
	_, err := hex.DecodeString(id[len(visitorPrefix):])
	return err == nil
}
