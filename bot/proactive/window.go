package proactive

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// window is one customer's recent events, oldest first, as the engine
// holds them between events. Events are kept by id, so a duplicate or a
// redelivered event never counts twice, and in time order, so a late event
// lands where it belongs. Each event is also indexed by type, so recent()
// is two binary searches and a sub-slice: no scan, no allocation.
type window struct {
	evs    []*Event // all events, by (At, ID)
	byType []typed  // the same events per type, by (At, ID)
	// seen indexes the events by id once the window is large; a small
	// window is searched instead (a customer has a few recent events,
	// and a map per customer costs more to fill and to collect than the
	// scans it saves). Event.live tells whether the event was evaluated
	// live or only loaded from the store's history: a live event whose id
	// was loaded from history is still evaluated once.
	seen   map[string]*Event
	loaded bool // the store's history was read

	profile   map[string]any
	profileAt time.Time
	lastUsed  time.Time
}

// evOrder is the window's order: time, then id.
func evOrder(a, b *Event) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmpString(a.ID, b.ID)
}

// typed is one type's events in a window. A customer's events are of a
// few types, so a list searched in order beats a map.
type typed struct {
	typ string
	evs []*Event
}

// seenAt is the window size from which events are indexed by id, and
// unseenAt the size below which the index is dropped again.
const (
	seenAt   = 48
	unseenAt = 16
)

// byID returns the window's event with the given id, or nil.
func (w *window) byID(id string) *Event {
	if w.seen != nil {
		return w.seen[id]
	}
	for _, e := range w.evs {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// ofType returns the index of typ's list in byType, or -1.
func (w *window) ofType(typ string) int {
	for i := range w.byType {
		if w.byType[i].typ == typ {
			return i
		}
	}
	return -1
}

// add inserts ev; it reports false when the id is known (and, for a live
// event, was evaluated live already).
func (w *window) add(ev *Event, live bool) bool {
	if was := w.byID(ev.ID); was != nil {
		if !live || was.live {
			return false
		}
		was.live = true
		return true
	}
	ev.live = live
	w.evs = insertEv(w.evs, ev)
	if i := w.ofType(ev.Type); i >= 0 {
		w.byType[i].evs = insertEv(w.byType[i].evs, ev)
	} else {
		w.byType = append(w.byType, typed{typ: ev.Type, evs: []*Event{ev}})
	}
	switch {
	case w.seen != nil:
		w.seen[ev.ID] = ev
	case len(w.evs) >= seenAt:
		w.seen = make(map[string]*Event, 2*len(w.evs))
		for _, e := range w.evs {
			w.seen[e.ID] = e
		}
	}
	return true
}

// insertEv inserts ev in order; appending is the common case (events
// arrive mostly in time order).
func insertEv(s []*Event, ev *Event) []*Event {
	if n := len(s); n == 0 || evOrder(s[n-1], ev) < 0 {
		return append(s, ev)
	}
	i, _ := slices.BinarySearchFunc(s, ev, evOrder)
	return slices.Insert(s, i, ev)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// trim drops events older than maxAge before the newest and keeps at most
// maxN; their ids are forgotten too.
func (w *window) trim(maxAge time.Duration, maxN int) {
	if len(w.evs) == 0 {
		return
	}
	cut := 0
	if maxAge > 0 {
		oldest := w.evs[len(w.evs)-1].At.Add(-maxAge)
		cut, _ = slices.BinarySearchFunc(w.evs, oldest, func(e *Event, t time.Time) int { return e.At.Compare(t) })
	}
	cut = max(cut, len(w.evs)-maxN)
	if cut <= 0 {
		return
	}
	// The cut is a prefix of the window, so per type it is a prefix too:
	// each type loses the events up to the last cut one.
	for _, ev := range w.evs[:cut] {
		if w.seen != nil {
			delete(w.seen, ev.ID)
		}
	}
	last := w.evs[cut-1]
	kept := w.byType[:0]
	for _, tl := range w.byType {
		n, _ := slices.BinarySearchFunc(tl.evs, last, evOrder)
		if n < len(tl.evs) && tl.evs[n] == last {
			n++
		}
		if n < len(tl.evs) {
			tl.evs = slices.Delete(tl.evs, 0, n)
			kept = append(kept, tl)
		}
	}
	clear(w.byType[len(kept):])
	w.byType = kept
	w.evs = slices.Delete(w.evs, 0, cut)
	if w.seen != nil && len(w.evs) < unseenAt {
		w.seen = nil
	}
}

// recent returns the events of typ ("*": any) with from < at ≤ to. The
// result shares the window's memory: callers must not change or keep it
// beyond the evaluation (its capacity is cut, so an append copies).
func (w *window) recent(typ string, from, to time.Time) []*Event {
	s := w.evs
	if typ != "*" {
		i := w.ofType(typ)
		if i < 0 {
			return nil
		}
		s = w.byType[i].evs
	}
	lo, _ := slices.BinarySearchFunc(s, from, func(e *Event, t time.Time) int {
		if e.At.After(t) {
			return 1
		}
		return -1
	})
	hi, _ := slices.BinarySearchFunc(s, to, func(e *Event, t time.Time) int {
		if e.At.After(t) {
			return 1
		}
		return -1
	})
	if hi <= lo {
		return nil
	}
	return s[lo:hi:hi]
}

// last returns the time of the newest event of any of types at or before
// to, or zero.
func (w *window) last(types []string, to time.Time) time.Time {
	var out time.Time
	for _, typ := range types {
		ts := w.recent(typ, time.Time{}, to)
		if len(ts) > 0 && ts[len(ts)-1].At.After(out) {
			out = ts[len(ts)-1].At
		}
	}
	return out
}

// windows holds the windows of the customers this engine has seen,
// sharded with one lock per shard; a customer's events are evaluated
// under its shard's lock, one at a time.
type windows struct {
	seed maphash.Seed
	// Many shards: a shard stays locked while its customer's firing
	// waits for durable state, so other customers must rarely share it.
	shards [1024]shard
	// maxPerShard bounds memory: the least recently used window of a full
	// shard is dropped (and reloaded from the store if the customer comes
	// back).
	maxPerShard int
}

type shard struct {
	mu sync.Mutex
	m  map[string]*window
}

func newWindows(maxCustomers int) *windows {
	ws := &windows{seed: maphash.MakeSeed(), maxPerShard: max(1, maxCustomers/1024)}
	for i := range ws.shards {
		ws.shards[i].m = make(map[string]*window)
	}
	return ws
}

// with runs fn with the customer's window, under the customer's lock.
func (ws *windows) with(customer string, now time.Time, fn func(w *window)) {
	s := &ws.shards[maphash.String(ws.seed, customer)%uint64(len(ws.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.m[customer]
	if w == nil {
		if len(s.m) >= ws.maxPerShard {
			s.evict()
		}
		w = &window{}
		s.m[customer] = w
	}
	w.lastUsed = now
	fn(w)
}

func (s *shard) evict() {
	var oldest string
	var at time.Time
	for id, w := range s.m {
		if oldest == "" || w.lastUsed.Before(at) {
			oldest, at = id, w.lastUsed
		}
	}
	delete(s.m, oldest)
}

// dropWhere forgets the windows of the customers match selects.
func (ws *windows) dropWhere(match func(customer string) bool) {
	for i := range ws.shards {
		s := &ws.shards[i]
		s.mu.Lock()
		for id := range s.m {
			if match(id) {
				delete(s.m, id)
			}
		}
		s.mu.Unlock()
	}
}

// drop forgets a customer's window.
func (ws *windows) drop(customer string) {
	s := &ws.shards[maphash.String(ws.seed, customer)%uint64(len(ws.shards))]
	s.mu.Lock()
	delete(s.m, customer)
	s.mu.Unlock()
}
