package embedded

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/kairoscx/kairos/memory"
)

var jsonUnmarshal = json.Unmarshal

// memIndex holds every current memory in memory, grouped by customer, so a
// search scans one customer's few memories exactly and ranks keywords by
// BM25 statistics of that customer alone.
type memIndex struct {
	mu     sync.RWMutex
	closed bool
	byCus  map[string]*cusMems
	owner  map[string]string // memory id → customer id
}

type cusMems struct {
	entries  map[string]*memEntry
	postings map[string]map[*memEntry]int32
	totalLen int
}

type memEntry struct {
	m      memory.Memory // without embedding
	unit   []float32
	length int
	terms  map[string]int32
}

func newMemIndex() *memIndex {
	return &memIndex{byCus: map[string]*cusMems{}, owner: map[string]string{}}
}

func (x *memIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.owner)
}

func (x *memIndex) close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed, x.byCus, x.owner = true, nil, nil
}

// add indexes m when it is current.
func (x *memIndex) add(m memory.Memory) {
	if !m.Current() {
		return
	}
	e := &memEntry{unit: normalize(m.Embedding), length: len(m.Terms), terms: map[string]int32{}}
	m.Embedding = nil
	e.m = m
	for _, t := range m.Terms {
		e.terms[t]++
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return
	}
	x.removeLocked(m.ID)
	x.insertLocked(m.CustomerID, e)
}

func (x *memIndex) insertLocked(cus string, e *memEntry) {
	c := x.byCus[cus]
	if c == nil {
		c = &cusMems{entries: map[string]*memEntry{}, postings: map[string]map[*memEntry]int32{}}
		x.byCus[cus] = c
	}
	e.m.CustomerID = cus
	c.entries[e.m.ID] = e
	c.totalLen += e.length
	for t, n := range e.terms {
		p := c.postings[t]
		if p == nil {
			p = map[*memEntry]int32{}
			c.postings[t] = p
		}
		p[e] = n
	}
	x.owner[e.m.ID] = cus
}

func (x *memIndex) remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.closed {
		x.removeLocked(id)
	}
}

func (x *memIndex) removeLocked(id string) *memEntry {
	cus, ok := x.owner[id]
	if !ok {
		return nil
	}
	delete(x.owner, id)
	c := x.byCus[cus]
	e := c.entries[id]
	delete(c.entries, id)
	c.totalLen -= e.length
	for t := range e.terms {
		delete(c.postings[t], e)
		if len(c.postings[t]) == 0 {
			delete(c.postings, t)
		}
	}
	if len(c.entries) == 0 {
		delete(x.byCus, cus)
	}
	return e
}

// move gives every memory of from to into (a merge).
func (x *memIndex) move(from, into string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed || x.byCus[from] == nil {
		return
	}
	for id := range x.byCus[from].entries {
		if e := x.removeLocked(id); e != nil {
			x.insertLocked(into, e)
		}
	}
}

// drop forgets a customer's memories (an erasure).
func (x *memIndex) drop(cus string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed || x.byCus[cus] == nil {
		return
	}
	for id := range x.byCus[cus].entries {
		x.removeLocked(id)
	}
}

func (x *memIndex) searchVector(cus string, v []float32, k int) ([]memory.MemoryHit, error) {
	q := normalize(v)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	top := newTopK(min(k, maxK), func(e *memEntry) string { return e.m.ID })
	if c := x.byCus[cus]; c != nil {
		for _, e := range c.entries {
			top.offer(e, float64(dot(q, e.unit)))
		}
	}
	return memoryHits(top), nil
}

func (x *memIndex) searchKeyword(cus string, terms []string, k int) ([]memory.MemoryHit, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	c := x.byCus[cus]
	if c == nil || k <= 0 {
		return nil, nil
	}
	n := float64(len(c.entries))
	avg := max(float64(c.totalLen)/n, 1)
	scores := bm25(terms, c.postings, n, avg, func(e *memEntry) int { return e.length })
	top := newTopK(min(k, maxK), func(e *memEntry) string { return e.m.ID })
	for e, sc := range scores {
		top.offer(e, sc)
	}
	return memoryHits(top), nil
}

// memTop keeps the k best memories, best first; ties go to the smaller id.
// hits copies the memories out, so callers cannot alter the index.
func memoryHits(t *topK[*memEntry]) []memory.MemoryHit {
	if len(t.items) == 0 {
		return nil
	}
	out := make([]memory.MemoryHit, len(t.items))
	for i, s := range t.items {
		m := s.item.m
		m.Terms, m.Sources = slices.Clone(m.Terms), slices.Clone(m.Sources)
		out[i] = memory.MemoryHit{Memory: m, Score: s.score}
	}
	return out
}
