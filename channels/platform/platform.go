// Package platform is what the messaging-platform adapters (WeChat Official
// Account, WeCom customer service, Douyin) share beyond the API envelope in
// channels/wechat/wxapi: per-user state and conversation routes kept as JSON
// in a NATS key-value bucket, waiting for the engine's answer to a message,
// the background workers that take a node's share of the delivery queue,
// and option defaults.
//
// It knows nothing of any one platform: the adapters supply their state and
// route types, their keys and their error prefixes.
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LoadState reads the JSON value at key. A missing key, or a value that no
// longer decodes, is the zero state: per-user state is advisory and
// rebuilt by the next interaction. Other errors are returned, prefixed
// with name (e.g. "wechat").
func LoadState[S any](ctx context.Context, kv jetstream.KeyValue, name, key string) (S, error) {
	var st S
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("%s: load user state: %w", name, err)
	}
	if json.Unmarshal(e.Value(), &st) != nil {
		var zero S
		return zero, nil
	}
	return st, nil
}

// UpdateState applies f to the state at key and writes it back. Two nodes
// updating at once may lose one write: callers keep only "latest wins"
// values (timestamps, flags) in such state.
func UpdateState[S any](ctx context.Context, kv jetstream.KeyValue, name, key string, f func(*S)) (S, error) {
	st, err := LoadState[S](ctx, kv, name, key)
	if err != nil {
		return st, err
	}
	f(&st)
	data, _ := json.Marshal(st)
	if _, err := kv.Put(ctx, key, data); err != nil {
		return st, fmt.Errorf("%s: save user state: %w", name, err)
	}
	return st, nil
}

// Route cache bounds.
const (
	// MaxRoutes: the cache is cleared when it grows past this many
	// conversations.
	MaxRoutes = 100_000
	// NegativeTTL is how long "not ours" is remembered: a conversation is
	// created by Connect a moment before its route is written, and a
	// message published in between must not be ignored for good.
	NegativeTTL = time.Minute
)

// RouteBook records, per conversation, where its messages go (route type
// R, kept as JSON in KV under Key(conversationID)), and remembers routes
// and, for NegativeTTL, conversations that are not the channel's, so the
// delivery queue does not read the bucket for every message. The zero R
// means "not ours". Set the fields before use; it is safe for concurrent
// use after that.
type RouteBook[R comparable] struct {
	// KV is the bucket the routes are kept in.
	KV jetstream.KeyValue
	// Name prefixes errors (e.g. "douyin").
	Name string
	// Key returns a conversation's key in KV.
	Key func(conversationID string) string
	// Valid reports whether a stored route is complete; an incomplete one
	// is treated as not found (and not cached).
	Valid func(R) bool
	// NoCache reads the bucket every time.
	NoCache bool

	mu sync.Mutex
	m  map[string]cachedRoute[R]
}

type cachedRoute[R comparable] struct {
	r  R
	at time.Time
}

// Save records that conversationID's messages go to r.
func (b *RouteBook[R]) Save(ctx context.Context, conversationID string, r R) error {
	if got, ok := b.get(conversationID); ok && got == r {
		return nil
	}
	data, _ := json.Marshal(r)
	if _, err := b.KV.Put(ctx, b.Key(conversationID), data); err != nil {
		return fmt.Errorf("%s: save route: %w", b.Name, err)
	}
	b.put(conversationID, r)
	return nil
}

// Lookup finds where conversationID's messages go; ok is false for a
// conversation of another channel.
func (b *RouteBook[R]) Lookup(ctx context.Context, conversationID string) (R, bool, error) {
	var zero R
	if r, ok := b.get(conversationID); ok {
		return r, r != zero, nil
	}
	e, err := b.KV.Get(ctx, b.Key(conversationID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// A conversation belongs to one channel for good: remembering
		// "not ours" (briefly, see NegativeTTL) is safe.
		b.put(conversationID, zero)
		return zero, false, nil
	}
	if err != nil {
		return zero, false, fmt.Errorf("%s: look up route: %w", b.Name, err)
	}
	var r R
	if json.Unmarshal(e.Value(), &r) != nil || r == zero || (b.Valid != nil && !b.Valid(r)) {
		return zero, false, nil
	}
	b.put(conversationID, r)
	return r, true, nil
}

func (b *RouteBook[R]) get(id string) (R, bool) {
	var zero R
	if b.NoCache {
		return zero, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cr, ok := b.m[id]
	if ok && cr.r == zero && time.Since(cr.at) > NegativeTTL {
		delete(b.m, id)
		return zero, false
	}
	return cr.r, ok
}

func (b *RouteBook[R]) put(id string, r R) {
	if b.NoCache {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= MaxRoutes {
		b.m = make(map[string]cachedRoute[R])
	}
	b.m[id] = cachedRoute[R]{r: r, at: time.Now()}
}
