// Package wxapi is what the WeChat-family adapters (Official Account and
// WeCom) share on the API side: state shared by every gateway node in NATS
// JetStream key-value buckets (access tokens, claims that make a callback or
// a delivery happen once, per-user state), the platforms' errcode envelope,
// and API calls that refresh the access token once when the platform says
// it is invalid.
package wxapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Buckets Kairos keeps WeChat-family state in. Every node opens the same
// buckets, so whatever one node writes the others see.
const (
	// TokenBucket holds access tokens and the locks that keep two nodes
	// from fetching one at the same time (fetching a new token invalidates
	// the old one).
	TokenBucket = "KAIROS_WX_TOKENS"
	// ClaimBucket holds claims: the first node to create a key owns the
	// callback or delivery it names. Entries expire after ClaimTTL.
	ClaimBucket = "KAIROS_WX_CLAIMS"
	// StateBucket holds long-lived per-user and per-account state: last
	// interaction, conversation routing, sync cursors.
	StateBucket = "KAIROS_WX_STATE"
)

// ClaimTTL is how long a claim is remembered: far longer than the
// platforms' retries (three tries within about 15 seconds for WeChat,
// sync_msg tokens valid 10 minutes), short enough for the bucket to stay
// small.
const ClaimTTL = 24 * time.Hour

// Store is the shared state of the WeChat-family adapters.
type Store struct {
	Tokens jetstream.KeyValue
	Claims jetstream.KeyValue
	State  jetstream.KeyValue
}

// OpenStore creates the buckets when they are missing and opens them. Safe
// to call from every node at start-up.
func OpenStore(ctx context.Context, js jetstream.JetStream) (*Store, error) {
	if js == nil {
		return nil, errors.New("wxapi: open store: nil JetStream")
	}
	open := func(cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
		kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("wxapi: open bucket %s: %w", cfg.Bucket, err)
		}
		return kv, nil
	}
	tokens, err := open(jetstream.KeyValueConfig{Bucket: TokenBucket, Description: "WeChat/WeCom access tokens", History: 1, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	claims, err := open(jetstream.KeyValueConfig{Bucket: ClaimBucket, Description: "WeChat/WeCom once-only claims", History: 1, TTL: ClaimTTL, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	state, err := open(jetstream.KeyValueConfig{Bucket: StateBucket, Description: "WeChat/WeCom per-user state and cursors", History: 1, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	return &Store{Tokens: tokens, Claims: claims, State: state}, nil
}

// Claim creates key with value and reports whether this call created it.
// When the key exists the current entry is returned, so the caller can
// read what the owner recorded.
func (s *Store) Claim(ctx context.Context, key string, value []byte) (bool, jetstream.KeyValueEntry, error) {
	_, err := s.Claims.Create(ctx, key, value)
	if err == nil {
		return true, nil, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil, fmt.Errorf("wxapi: claim %s: %w", key, err)
	}
	e, err := s.Claims.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// Released between our Create and Get: try once more.
		if _, err := s.Claims.Create(ctx, key, value); err == nil {
			return true, nil, nil
		}
		e, err = s.Claims.Get(ctx, key)
	}
	if err != nil {
		return false, nil, fmt.Errorf("wxapi: read claim %s: %w", key, err)
	}
	return false, e, nil
}

// Release deletes a claim so that the work it named can be tried again.
func (s *Store) Release(ctx context.Context, key string) error {
	if err := s.Claims.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("wxapi: release claim %s: %w", key, err)
	}
	return nil
}

// Key joins parts into a key-value key. Parts that are not plain
// [A-Za-z0-9_-] (platform ids can be anything) are replaced by a hash, so
// a key never gains a dot or a wildcard from outside.
func Key(parts ...string) string {
	b := make([]byte, 0, 64)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, Token(p)...)
	}
	return string(b)
}

// Token returns s when it is a safe key token, else "h" and a hash of s.
func Token(s string) string {
	if s != "" && len(s) <= 96 {
		ok := true
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	sum := sha256.Sum256([]byte(s))
	return "h" + hex.EncodeToString(sum[:16])
}
