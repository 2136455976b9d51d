package embedded

import (
	"math"
	"slices"
	"sync"

	"github.com/kairoscx/kairos/memory"
)

// maxK caps k so a careless caller cannot ask for the whole corpus sorted.
const maxK = 1000

// BM25 parameters, the usual defaults.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// index holds every chunk in memory: normalized vectors for exact cosine
// search and an inverted index for BM25. It only ever reflects committed
// data: the store updates it after a transaction commits.
type index struct {
	mu       sync.RWMutex
	dim      int
	closed   bool
	byID     map[string]*entry
	all      []*entry // dense, for a cache-friendly vector scan
	postings map[string]map[*entry]int32
	totalLen int
}

type entry struct {
	chunk  memory.Chunk
	unit   []float32 // chunk.Embedding scaled to norm 1
	pos    int       // position in index.all
	length int       // number of terms
	terms  map[string]int32
}

func newIndex(dim int) *index {
	return &index{dim: dim, byID: map[string]*entry{}, postings: map[string]map[*entry]int32{}}
}

func (x *index) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.all)
}

func (x *index) close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	x.byID, x.all, x.postings = nil, nil, nil
}

func (x *index) add(c memory.Chunk) {
	e := &entry{chunk: c, unit: normalize(c.Embedding), length: len(c.Terms), terms: map[string]int32{}}
	for _, t := range c.Terms {
		e.terms[t]++
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return
	}
	if old := x.byID[c.ID]; old != nil {
		x.removeLocked(old)
	}
	e.pos = len(x.all)
	x.all = append(x.all, e)
	x.byID[c.ID] = e
	x.totalLen += e.length
	for t, n := range e.terms {
		p := x.postings[t]
		if p == nil {
			p = map[*entry]int32{}
			x.postings[t] = p
		}
		p[e] = n
	}
}

func (x *index) remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byID[id]; e != nil {
		x.removeLocked(e)
	}
}

func (x *index) removeLocked(e *entry) {
	last := x.all[len(x.all)-1]
	x.all[e.pos], last.pos = last, e.pos
	x.all = x.all[:len(x.all)-1]
	delete(x.byID, e.chunk.ID)
	x.totalLen -= e.length
	for t := range e.terms {
		p := x.postings[t]
		delete(p, e)
		if len(p) == 0 {
			delete(x.postings, t)
		}
	}
}

func normalize(v []float32) []float32 {
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	n = math.Sqrt(n)
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(float64(f) / n)
	}
	return out
}

func (x *index) searchVector(v []float32, k int) ([]memory.ChunkHit, error) {
	q := normalize(v)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	top := newTopK(min(k, maxK), func(e *entry) string { return e.chunk.ID })
	for _, e := range x.all {
		top.offer(e, float64(dot(q, e.unit)))
	}
	return chunkHits(top), nil
}

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

func (x *index) searchKeyword(terms []string, k int) ([]memory.ChunkHit, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	if len(x.all) == 0 || k <= 0 {
		return nil, nil
	}
	n := float64(len(x.all))
	avg := float64(x.totalLen) / n
	scores := bm25(terms, x.postings, n, avg, func(e *entry) int { return e.length })
	top := newTopK(min(k, maxK), func(e *entry) string { return e.chunk.ID })
	for e, sc := range scores {
		top.offer(e, sc)
	}
	return chunkHits(top), nil
}

// topK keeps the k best entries seen, best first; ties go to the smaller
// chunk id so results are deterministic.
// hits copies the chunks out, so callers cannot alter the index.
func chunkHits(t *topK[*entry]) []memory.ChunkHit {
	if len(t.items) == 0 {
		return nil
	}
	out := make([]memory.ChunkHit, len(t.items))
	for i, s := range t.items {
		c := s.item.chunk
		c.Terms = slices.Clone(c.Terms)
		c.Embedding = nil // searches return no embeddings (see memory.ChunkHit)
		out[i] = memory.ChunkHit{Chunk: c, Score: s.score}
	}
	return out
}
