package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// FetchFunc asks the platform for a new access token.
type FetchFunc func(ctx context.Context) (token string, expiresIn time.Duration, err error)

// Token refresh settings.
const (
	// RefreshMargin: a token this close to its expiry is replaced before it
	// is used, so a call never starts with a token about to lapse.
	RefreshMargin = 5 * time.Minute
	// lockTTL bounds how long a node may hold the refresh lock; a node that
	// dies holding it delays others by at most this.
	lockTTL = 15 * time.Second
	// lockPoll is how often a node waiting for another's refresh looks.
	lockPoll = 50 * time.Millisecond
)

// storedToken is a token as kept in the bucket.
type storedToken struct {
	Value   string    `json:"value"`
	Expires time.Time `json:"expires"`
}

// TokenSource hands out one account's access token. All nodes share it
// through the token bucket: only one node fetches at a time (WeChat's
// /cgi-bin/token invalidates the previous token when a new one is issued,
// so two nodes fetching their own would keep breaking each other), and
// every node uses the token the last fetch stored.
//
// It is safe for concurrent use.
type TokenSource struct {
	kv    jetstream.KeyValue
	key   string
	fetch FetchFunc
	now   func() time.Time

	mu     sync.Mutex
	cached storedToken
}

// NewTokenSource returns the source of the token stored under key (e.g.
// Key("wechat", account)). now is the clock (nil: time.Now).
func NewTokenSource(kv jetstream.KeyValue, key string, fetch FetchFunc, now func() time.Time) *TokenSource {
	if now == nil {
		now = time.Now
	}
	return &TokenSource{kv: kv, key: key, fetch: fetch, now: now}
}

func (s *TokenSource) fresh(t storedToken) bool {
	return t.Value != "" && s.now().Before(t.Expires.Add(-RefreshMargin))
}

// Token returns a token valid for at least RefreshMargin more, fetching a
// new one when none is.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	t := s.cached
	s.mu.Unlock()
	if s.fresh(t) {
		return t.Value, nil
	}
	return s.refresh(ctx, "")
}

// Invalidate says that bad was refused by the platform (40001, 42001). It
// returns the token to retry with: the one another node stored meanwhile,
// or a new one this node fetched.
func (s *TokenSource) Invalidate(ctx context.Context, bad string) (string, error) {
	s.mu.Lock()
	if s.cached.Value == bad {
		s.cached = storedToken{}
	}
	s.mu.Unlock()
	return s.refresh(ctx, bad)
}

func (s *TokenSource) remember(t storedToken) string {
	s.mu.Lock()
	s.cached = t
	s.mu.Unlock()
	return t.Value
}

// refresh returns the stored token when it is fresh and not bad, and
// otherwise fetches one under the shared lock.
func (s *TokenSource) refresh(ctx context.Context, bad string) (string, error) {
	for {
		t, err := s.load(ctx)
		if err != nil {
			return "", err
		}
		if s.fresh(t) && t.Value != bad {
			return s.remember(t), nil
		}
		unlock, ok, err := s.lock(ctx)
		if err != nil {
			return "", err
		}
		if ok {
			v, err := s.fetchLocked(ctx, bad)
			unlock()
			return v, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wxapi: token %s: waiting for another node's refresh: %w", s.key, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

func (s *TokenSource) fetchLocked(ctx context.Context, bad string) (string, error) {
	// Another node may have finished a refresh between our look and our lock.
	t, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if s.fresh(t) && t.Value != bad {
		return s.remember(t), nil
	}
	v, ttl, err := s.fetch(ctx)
	if err != nil {
		return "", fmt.Errorf("wxapi: fetch token %s: %w", s.key, err)
	}
	if v == "" || ttl <= 0 {
		return "", fmt.Errorf("wxapi: fetch token %s: empty token or expiry", s.key)
	}
	t = storedToken{Value: v, Expires: s.now().Add(ttl)}
	data, _ := json.Marshal(t)
	if _, err := s.kv.Put(ctx, s.key, data); err != nil {
		// The token is good; other nodes will fetch their own later.
		return s.remember(t), fmt.Errorf("wxapi: store token %s: %w", s.key, err)
	}
	return s.remember(t), nil
}

func (s *TokenSource) load(ctx context.Context) (storedToken, error) {
	e, err := s.kv.Get(ctx, s.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return storedToken{}, nil
	}
	if err != nil {
		return storedToken{}, fmt.Errorf("wxapi: load token %s: %w", s.key, err)
	}
	var t storedToken
	if json.Unmarshal(e.Value(), &t) != nil {
		return storedToken{}, nil // unreadable: treat as missing and refetch
	}
	return t, nil
}

// lock takes the refresh lock. A lock older than lockTTL is taken over.
func (s *TokenSource) lock(ctx context.Context) (unlock func(), ok bool, err error) {
	key := s.key + ".lock"
	deadline, _ := json.Marshal(s.now().Add(lockTTL))
	rev, err := s.kv.Create(ctx, key, deadline)
	if errors.Is(err, jetstream.ErrKeyExists) {
		e, gerr := s.kv.Get(ctx, key)
		if gerr != nil {
			return nil, false, nil // released meanwhile; look again
		}
		var until time.Time
		if json.Unmarshal(e.Value(), &until) == nil && s.now().Before(until) {
			return nil, false, nil
		}
		rev, err = s.kv.Update(ctx, key, deadline, e.Revision())
		if err != nil {
			return nil, false, nil // someone else took it over
		}
	} else if err != nil {
		return nil, false, fmt.Errorf("wxapi: token lock %s: %w", s.key, err)
	}
	return func() {
		// Background: the caller's context may be done, the lock must go.
		_ = s.kv.Delete(context.Background(), key, jetstream.LastRevision(rev))
	}, true, nil
}
