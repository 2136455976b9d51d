// Package stream runs the proactive engine on NATS JetStream: a router
// that reads the KAIROS_EVENTS stream and hands each event, decoded once,
// to its customer's partition as an in-memory ticket, one pinned consumer
// per partition (so a customer's window lives on one node at a time) that
// acknowledges the event's source once evaluated, durable timers on NATS
// message schedules, and the engine's durable state in KV buckets and a
// firing-log stream.
package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
)

// Names of the state's buckets and stream.
const (
	ClaimsBucket    = "KAIROS_PROACTIVE_CLAIMS"
	CustomersBucket = "KAIROS_PROACTIVE_CUSTOMERS"
	DraftsBucket    = "KAIROS_PROACTIVE_DRAFTS"
	LogStream       = "KAIROS_PROACTIVE_LOG"
	LogSubjects     = "kairos.proactive.log.>"
	// ClaimTTL is how long an idempotency claim is kept: longer than the
	// event stream keeps events (30 days), so no redelivery outlives it.
	ClaimTTL = 35 * 24 * time.Hour
	// LogMaxAge is how long firings are kept for reports.
	LogMaxAge = 400 * 24 * time.Hour
)

// State is proactive.State on NATS: claims and customer states in KV
// buckets (customer updates are compare-and-set on the key's revision),
// the firing log in a stream with one subject per trigger (deduplicated by
// firing id), drafts in a KV bucket. Every node sees the same state.
type State struct {
	js        jetstream.JetStream
	claims    jetstream.KeyValue
	customers jetstream.KeyValue
	drafts    jetstream.KeyValue

	// records are firing-log publishes not yet acknowledged. (Not a
	// WaitGroup: records start while Flush waits, which a WaitGroup
	// forbids.)
	records inflight
	// read remembers the revision of customer states just read, so that
	// the update that usually follows (a send recorded) does not read
	// again: the compare-and-set catches a change in between.
	mu   sync.Mutex
	read map[string]readState
}

type readState struct {
	c   []byte
	rev uint64
}

// NewState creates (or opens) the buckets and the log stream. replicas is
// the replication factor in a cluster (0 or 1 for a single server).
func NewState(ctx context.Context, js jetstream.JetStream, replicas int) (*State, error) {
	replicas = max(replicas, 1)
	kv := func(name, desc string, ttl time.Duration) (jetstream.KeyValue, error) {
		b, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Description: desc, TTL: ttl,
			Storage: jetstream.FileStorage, Replicas: replicas, History: 1})
		if err != nil {
			return nil, fmt.Errorf("proactive state: bucket %s: %w", name, err)
		}
		return b, nil
	}
	s := &State{js: js, read: map[string]readState{}}
	var err error
	if s.claims, err = kv(ClaimsBucket, "Kairos proactive: (trigger, customer, occurrence) claims", ClaimTTL); err != nil {
		return nil, err
	}
	if s.customers, err = kv(CustomersBucket, "Kairos proactive: per-customer guardrail ledger and preferences", 0); err != nil {
		return nil, err
	}
	if s.drafts, err = kv(DraftsBucket, "Kairos proactive: messages waiting for approval", 0); err != nil {
		return nil, err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: LogStream, Description: "Kairos proactive: firings (sent, holdout, suppressed, draft, failed)",
		Subjects: []string{LogSubjects}, Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy,
		MaxAge: LogMaxAge, Duplicates: 10 * time.Minute, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("proactive state: stream %s: %w", LogStream, err)
	}
	return s, nil
}

// kvKey makes any id a valid KV key: ids made of key characters are kept
// (readable in `nats kv`), others are hashed.
func kvKey(id string) string {
	ok := id != "" && len(id) <= 200 && !strings.HasPrefix(id, ".") && !strings.HasSuffix(id, ".")
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '='
	}
	if ok {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return "h-" + hex.EncodeToString(h[:16])
}

// Claim implements proactive.State.
func (s *State) Claim(ctx context.Context, key string) (bool, error) {
	_, err := s.claims.Create(ctx, kvKey(key), []byte{1})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("claim %s: %w", key, err)
}

// Customer implements proactive.State.
func (s *State) Customer(ctx context.Context, id string) (proactive.CustomerState, error) {
	c, _, err := s.getCustomer(ctx, id)
	return c, err
}

func (s *State) getCustomer(ctx context.Context, id string) (proactive.CustomerState, uint64, error) {
	var c proactive.CustomerState
	e, err := s.customers.Get(ctx, kvKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return c, 0, nil
	}
	if err != nil {
		return c, 0, fmt.Errorf("customer state %s: %w", id, err)
	}
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return c, 0, fmt.Errorf("customer state %s: decode: %w", id, err)
	}
	s.remember(id, e.Value(), e.Revision())
	return c, e.Revision(), nil
}

// maxRead bounds the remembered reads (they are consumed by the update
// that follows; the rest are dropped wholesale).
const maxRead = 4096

func (s *State) remember(id string, b []byte, rev uint64) {
	s.mu.Lock()
	if len(s.read) >= maxRead {
		clear(s.read)
	}
	s.read[id] = readState{b, rev}
	s.mu.Unlock()
}

// recall returns (and forgets) the state of id read last, if any.
func (s *State) recall(id string) (proactive.CustomerState, uint64, bool) {
	s.mu.Lock()
	r, ok := s.read[id]
	delete(s.read, id)
	s.mu.Unlock()
	var c proactive.CustomerState
	if !ok || json.Unmarshal(r.c, &c) != nil {
		return c, 0, false
	}
	return c, r.rev, true
}

// UpdateCustomer implements proactive.State with compare-and-set retries.
func (s *State) UpdateCustomer(ctx context.Context, id string, update func(*proactive.CustomerState) error) (proactive.CustomerState, error) {
	for attempt := 0; ; attempt++ {
		// The first attempt starts from the state read just before, when
		// there is one; a stale one fails the compare-and-set below.
		c, rev, ok := proactive.CustomerState{}, uint64(0), false
		if attempt == 0 {
			c, rev, ok = s.recall(id)
		}
		if !ok {
			var err error
			if c, rev, err = s.getCustomer(ctx, id); err != nil {
				return c, err
			}
		}
		if err := update(&c); err != nil {
			return c, err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return c, err
		}
		if rev == 0 {
			_, err = s.customers.Create(ctx, kvKey(id), b)
		} else {
			_, err = s.customers.Update(ctx, kvKey(id), b, rev)
		}
		if err == nil {
			return c, nil
		}
		if attempt < 20 && (errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err)) {
			continue
		}
		return c, fmt.Errorf("customer state %s: %w", id, err)
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// LogSubject is the subject of a trigger's firings.
func LogSubject(trigger string) string { return "kairos.proactive.log." + trigger }

// Record implements proactive.State: the firing id is the stream's
// message id, so a record written twice within 10 minutes is stored once.
// The record is published asynchronously (a partition does not wait a
// round trip per suppressed or acted firing); one that the stream does not
// acknowledge is published again synchronously, and dropped with an error
// log if that fails too. Firings and Flush wait for records in flight.
func (s *State) Record(ctx context.Context, f proactive.Firing) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var opts []jetstream.PublishOpt
	if f.ID != "" {
		opts = append(opts, jetstream.WithMsgID(f.ID))
	}
	fut, err := s.js.PublishAsync(LogSubject(f.Trigger), b, opts...)
	if err != nil {
		if _, err := s.js.Publish(ctx, LogSubject(f.Trigger), b, opts...); err != nil {
			return fmt.Errorf("record firing of %s: %w", f.Trigger, err)
		}
		return nil
	}
	s.records.start()
	go func() {
		defer s.records.done()
		select {
		case <-fut.Ok():
			return
		case <-fut.Err():
		case <-time.After(30 * time.Second):
		}
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.js.Publish(rctx, LogSubject(f.Trigger), b, opts...); err != nil {
			slog.Error("proactive: firing not recorded", "trigger", f.Trigger, "customer", f.Customer, "outcome", f.Outcome, "err", err)
		}
	}()
	return nil
}

// Flush waits until the firing records published so far are stored (or
// ctx ends). Call it before shutting down.
func (s *State) Flush(ctx context.Context) error {
	return s.records.wait(ctx)
}

// inflight counts work in flight; wait returns when none is left.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero
}

func (f *inflight) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
}

// wait returns nil once nothing is in flight, or ctx's error first.
func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logSlack is how much earlier than `from` the log is read: a firing is
// stored a little after the moment it is about (a timer, a backlog).
const logSlack = 24 * time.Hour

// Firings implements proactive.State by reading the trigger's subject of
// the log from shortly before from; records are filtered by their own
// time and deduplicated by id.
func (s *State) Firings(ctx context.Context, trigger string, from, to time.Time) ([]proactive.Firing, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("firings of %s: %w", trigger, err)
	}
	subj := LogSubject(trigger)
	st, err := s.js.Stream(ctx, LogStream)
	if err != nil {
		return nil, fmt.Errorf("firings of %s: %w", trigger, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return nil, fmt.Errorf("firings of %s: %w", trigger, err)
	}
	if info.State.Subjects[subj] == 0 {
		return nil, nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}}
	if !from.IsZero() {
		start := from.Add(-logSlack)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := s.js.OrderedConsumer(ctx, LogStream, cfg)
	if err != nil {
		return nil, fmt.Errorf("firings of %s: %w", trigger, err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("firings of %s: %w", trigger, err)
	}
	pending := ci.NumPending
	var out []proactive.Firing
	seen := map[string]bool{}
	for pending > 0 {
		batch, err := cons.Fetch(int(min(pending, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("firings of %s: %w", trigger, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
			var f proactive.Firing
			if json.Unmarshal(m.Data(), &f) != nil || (f.ID != "" && seen[f.ID]) {
				continue
			}
			seen[f.ID] = true
			if !f.At.Before(from) && (to.IsZero() || f.At.Before(to)) {
				out = append(out, f)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("firings of %s: %w", trigger, err)
		}
		if n == 0 {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b proactive.Firing) int { return a.At.Compare(b.At) })
	return out, nil
}

// PutDraft implements proactive.State.
func (s *State) PutDraft(ctx context.Context, d proactive.Draft) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := s.drafts.Put(ctx, kvKey(d.ID), b); err != nil {
		return fmt.Errorf("draft %s: %w", d.ID, err)
	}
	return nil
}

// UpdateDraft implements proactive.State with compare-and-set.
func (s *State) UpdateDraft(ctx context.Context, id string, update func(*proactive.Draft) error) (proactive.Draft, error) {
	for attempt := 0; ; attempt++ {
		e, err := s.drafts.Get(ctx, kvKey(id))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return proactive.Draft{}, fmt.Errorf("draft %s: %w", id, proactive.ErrNotFound)
		}
		if err != nil {
			return proactive.Draft{}, fmt.Errorf("draft %s: %w", id, err)
		}
		var d proactive.Draft
		if err := json.Unmarshal(e.Value(), &d); err != nil {
			return d, fmt.Errorf("draft %s: decode: %w", id, err)
		}
		if err := update(&d); err != nil {
			return d, err
		}
		b, _ := json.Marshal(d)
		if _, err := s.drafts.Update(ctx, kvKey(id), b, e.Revision()); err != nil {
			if attempt < 20 && isWrongSequence(err) {
				continue
			}
			return d, fmt.Errorf("draft %s: %w", id, err)
		}
		return d, nil
	}
}

// Drafts implements proactive.State.
func (s *State) Drafts(ctx context.Context, status string) ([]proactive.Draft, error) {
	lister, err := s.drafts.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	var out []proactive.Draft
	for k := range lister.Keys() {
		e, err := s.drafts.Get(ctx, k)
		if err != nil {
			continue
		}
		var d proactive.Draft
		if json.Unmarshal(e.Value(), &d) == nil && (status == "" || d.Status == status) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b proactive.Draft) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
