package seed

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Store is what seeding writes through: memory.Store's customer and
// conversation calls and memory.CustomerStore's identity, event and
// profile calls.
type Store interface {
	CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error)
	LinkIdentity(ctx context.Context, customerID string, id memory.Identity, survivor string, reason string) (memory.Customer, error)
	AppendEvents(ctx context.Context, events []memory.Event) (created []bool, err error)
	UpdateProfiles(ctx context.Context, customerIDs []string, update func(customerID string, p *memory.Profile) error) error
	CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (memory.Conversation, error)
	AppendMessage(ctx context.Context, m memory.Message) (memory.Message, bool, error)
}

// Options tune Write.
type Options struct {
	// Progress, when set, is called after each chunk of customers.
	Progress func(done, total int)
	// Chunk is how many customers are generated ahead of writing (default
	// 500); EventBatch how many events go to the store at once (default
	// 5000).
	Chunk, EventBatch int
	// Writers is how many customers are written at once (default 1).
	// PostgreSQL gains from several; the embedded store commits one
	// transaction at a time and loses (3,000 customers × 90 days: 27 s
	// with one writer, 44 s with eight).
	Writers int
}

// Stats counts what Write did.
type Stats struct {
	Customers     int // customers seeded
	NewCustomers  int // of which the store did not know before
	Identities    int
	Events        int // events generated
	NewEvents     int // of which were new to the store
	Conversations int
	Messages      int
	Churned       int
}

// Result is the outcome of Write: the counts and the ground truth by the
// store's customer id.
type Result struct {
	Stats Stats
	Truth map[string]TruthEntry
}

// TruthEntry is one customer's ground truth, with the stable key.
type TruthEntry struct {
	Key string `json:"key"`
	Truth
}

// Write generates cfg's customers and writes them through store: identities
// linked, events appended in batches (those already stored are skipped),
// profiles updated with memory/profile from the new events, and support
// chats stored for customers new to the store.
func Write(ctx context.Context, store Store, cfg Config, opts Options) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 500
	}
	if opts.EventBatch <= 0 {
		opts.EventBatch = 5000
	}
	if opts.Writers <= 0 {
		opts.Writers = 1
	}
	w := &writer{store: store, cfg: cfg, opts: opts, res: Result{Truth: make(map[string]TruthEntry, cfg.Customers)}}
	for from := 0; from < cfg.Customers; from += opts.Chunk {
		if err := ctx.Err(); err != nil {
			return w.res, fmt.Errorf("seed: %w", err)
		}
		batch := generateChunk(cfg, from, min(from+opts.Chunk, cfg.Customers))
		if err := w.chunk(ctx, batch); err != nil {
			return w.res, err
		}
		if opts.Progress != nil {
			opts.Progress(from+len(batch), cfg.Customers)
		}
	}
	return w.res, nil
}

// generateChunk simulates customers [from, to) on all CPUs.
func generateChunk(cfg Config, from, to int) []Customer {
	out := make([]Customer, to-from)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := from + w; i < to; i += workers {
				out[i-from] = simulate(cfg, i)
			}
		})
	}
	wg.Wait()
	return out
}

type writer struct {
	mu    sync.Mutex // guards res
	store Store
	cfg   Config
	opts  Options
	res   Result
}

// seeded is a generated customer as the store knows them.
type seeded struct {
	c       *Customer
	id      string
	created bool
	fresh   []memory.Event // events new to the store
}

func (w *writer) chunk(ctx context.Context, batch []Customer) error {
	ss := make([]seeded, len(batch))
	err := w.each(ctx, len(batch), func(ctx context.Context, i int) error {
		c := &batch[i]
		id, created, err := w.customer(ctx, c)
		ss[i] = seeded{c: c, id: id, created: created}
		return err
	})
	if err != nil {
		return err
	}
	var events []memory.Event
	var owner []int // events[i] belongs to ss[owner[i]]
	for i := range ss {
		for _, ev := range ss[i].c.Events {
			ev.CustomerID = ss[i].id
			events = append(events, ev)
			owner = append(owner, i)
		}
	}
	for lo := 0; lo < len(events); lo += w.opts.EventBatch {
		hi := min(lo+w.opts.EventBatch, len(events))
		created, err := w.store.AppendEvents(ctx, events[lo:hi])
		if err != nil {
			return fmt.Errorf("seed: append events: %w", err)
		}
		for j, ok := range created {
			if ok {
				ss[owner[lo+j]].fresh = append(ss[owner[lo+j]].fresh, events[lo+j])
			}
		}
	}
	for i := range ss {
		w.count(func(st *Stats) {
			st.Events += len(ss[i].c.Events)
			st.NewEvents += len(ss[i].fresh)
		})
	}
	if err := w.each(ctx, len(ss), func(ctx context.Context, i int) error { return w.chats(ctx, &ss[i]) }); err != nil {
		return err
	}
	return w.profiles(ctx, ss)
}

// each runs f for 0..n-1 on a few goroutines and returns the first error.
func (w *writer) each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	next := make(chan int)
	for range w.opts.Writers {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// count changes the stats under the writer's lock.
func (w *writer) count(f func(*Stats)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(&w.res.Stats)
}

// customer finds or creates the customer and links their identities.
func (w *writer) customer(ctx context.Context, c *Customer) (string, bool, error) {
	cust, created, err := w.store.CustomerByIdentity(ctx, c.Identities[0])
	if err != nil {
		return "", false, fmt.Errorf("seed: customer %s: %w", c.Key, err)
	}
	for _, id := range c.Identities[1:] {
		if cust, err = w.store.LinkIdentity(ctx, cust.ID, id, cust.ID, "seed"); err != nil {
			return "", false, fmt.Errorf("seed: link %s of %s: %w", id.Kind, c.Key, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.Stats.Customers++
	w.res.Stats.Identities += len(c.Identities)
	if created {
		w.res.Stats.NewCustomers++
	}
	if c.Truth.Churned {
		w.res.Stats.Churned++
	}
	w.res.Truth[cust.ID] = TruthEntry{Key: c.Key, Truth: c.Truth}
	return cust.ID, created, nil
}

// chats stores the support chats of a customer this run created. Chats
// have no ids to dedupe by across runs, so only a customer this run
// created gets them.
func (w *writer) chats(ctx context.Context, s *seeded) error {
	if !s.created {
		return nil
	}
	for ci, ch := range s.c.Chats {
		if err := w.chat(ctx, s, ci, ch); err != nil {
			return err
		}
	}
	return nil
}

// profiles updates the profiles of a chunk's customers with their new
// events and chats, in one UpdateProfiles transaction: a chunk costs one
// commit, not one per customer.
func (w *writer) profiles(ctx context.Context, ss []seeded) error {
	var ids []string
	byID := make(map[string]*seeded)
	for i := range ss {
		s := &ss[i]
		if len(s.fresh) == 0 && !(s.created && len(s.c.Chats) > 0) {
			continue
		}
		if _, dup := byID[s.id]; !dup {
			ids = append(ids, s.id)
		}
		byID[s.id] = s
	}
	if len(ids) == 0 {
		return nil
	}
	end := w.cfg.End
	err := w.store.UpdateProfiles(ctx, ids, func(id string, p *memory.Profile) error {
		s := byID[id]
		p.CustomerID = id
		for _, ev := range s.fresh {
			profile.Apply(p, ev)
		}
		if s.created {
			for _, ch := range s.c.Chats {
				first := true
				for _, m := range ch.Messages {
					if m.Role == memory.RoleCustomer {
						profile.ApplyTurn(p, m.At, m.Intent, m.Mood, m.Valence, first)
						first = false
					}
				}
			}
		}
		p.Business.Stage = profile.Stage(p, end)
		p.UpdatedAt = end
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed: profiles: %w", err)
	}
	return nil
}

func (w *writer) chat(ctx context.Context, s *seeded, ci int, ch Chat) error {
	// An idle-since in the future always starts a new conversation: each
	// chat is its own.
	conv, err := w.store.CurrentConversation(ctx, s.id, ch.Channel, time.Now().Add(24*time.Hour))
	if err != nil {
		return fmt.Errorf("seed: conversation of %s: %w", s.c.Key, err)
	}
	w.count(func(st *Stats) { st.Conversations++ })
	var replyTo int64
	for mi, m := range ch.Messages {
		msg := memory.Message{ConversationID: conv.ID, Role: m.Role, Text: m.Text, CreatedAt: m.At}
		if m.Role == memory.RoleCustomer {
			msg.ClientID = fmt.Sprintf("seed-%s-%d-%d", s.c.Key, ci, mi)
		} else {
			msg.ReplyTo = replyTo
		}
		stored, _, err := w.store.AppendMessage(ctx, msg)
		if err != nil {
			return fmt.Errorf("seed: message of %s: %w", s.c.Key, err)
		}
		if m.Role == memory.RoleCustomer {
			replyTo = stored.Seq
		}
		w.count(func(st *Stats) { st.Messages++ })
	}
	return nil
}
