package embedded

import "slices"

// topK keeps the k best-scored items seen, best first; ties go to the
// smaller id so results are deterministic. Both in-memory indexes (chunks
// and memories) rank with it.
type topK[E any] struct {
	k     int
	id    func(E) string
	items []scored[E]
}

type scored[E any] struct {
	item  E
	score float64
}

func newTopK[E any](k int, id func(E) string) *topK[E] {
	k = max(k, 0)
	return &topK[E]{k: k, id: id, items: make([]scored[E], 0, k)}
}

func (t *topK[E]) better(a, b scored[E]) bool {
	return a.score > b.score || (a.score == b.score && t.id(a.item) < t.id(b.item))
}

func (t *topK[E]) offer(item E, score float64) {
	s := scored[E]{item, score}
	if t.k == 0 || (len(t.items) == t.k && !t.better(s, t.items[len(t.items)-1])) {
		return
	}
	i, _ := slices.BinarySearchFunc(t.items, s, func(a, b scored[E]) int {
		if t.better(a, b) {
			return -1
		}
		return 1
	})
	if len(t.items) < t.k {
		t.items = append(t.items, scored[E]{})
	}
	copy(t.items[i+1:], t.items[i:len(t.items)-1])
	t.items[i] = s
}
