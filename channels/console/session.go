package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SessionBucket keeps console sessions, keyed by a hash of the session id:
// whoever can read the bucket still cannot use what is in it as a cookie.
const SessionBucket = "kairos_console_sessions"

// DefaultSessionTTL is how long a login lasts: one working shift.
const DefaultSessionTTL = 12 * time.Hour

// Session is a logged-in agent. The id is the cookie value (256 random
// bits); CSRF is the synchronizer token every state-changing request must
// echo in the X-CSRF-Token header.
type Session struct {
	ID        string    `json:"-"`
	Agent     string    `json:"agent"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Sessions stores sessions in a key-value bucket whose entries expire on
// their own after the session lifetime.
type Sessions struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	now func() time.Time
}

// OpenSessions opens (creating when missing) the session bucket.
func OpenSessions(ctx context.Context, js jetstream.JetStream, ttl time.Duration, now func() time.Time) (*Sessions, error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if now == nil {
		now = time.Now
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      SessionBucket,
		Description: "Kairos agent console sessions",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("console: open %s: %w", SessionBucket, err)
	}
	return &Sessions{kv: kv, ttl: ttl, now: now}, nil
}

// randomID is 256 random bits, URL-safe.
func randomID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("console: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Create starts a session for agent.
func (s *Sessions) Create(ctx context.Context, agent string) (Session, error) {
	now := s.now().UTC()
	sess := Session{ID: randomID(), Agent: agent, CSRF: randomID(), CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	data, _ := json.Marshal(sess)
	if _, err := s.kv.Create(ctx, sessionKey(sess.ID), data); err != nil {
		return Session{}, fmt.Errorf("console: create session: %w", err)
	}
	return sess, nil
}

// Get returns the live session with cookie value id, or ErrNotFound for an
// unknown, malformed or expired one.
func (s *Sessions) Get(ctx context.Context, id string) (Session, error) {
	if len(id) != 43 { // 32 bytes, raw base64url
		return Session{}, ErrNotFound
	}
	e, err := s.kv.Get(ctx, sessionKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("console: session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(e.Value(), &sess); err != nil {
		return Session{}, ErrNotFound
	}
	if !s.now().Before(sess.ExpiresAt) {
		return Session{}, ErrNotFound
	}
	sess.ID = id
	return sess, nil
}

// Delete ends a session (logout).
func (s *Sessions) Delete(ctx context.Context, id string) error {
	if err := s.kv.Purge(ctx, sessionKey(id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("console: end session: %w", err)
	}
	return nil
}

// CheckCSRF compares a request's token with the session's in constant time.
func (sess Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}
