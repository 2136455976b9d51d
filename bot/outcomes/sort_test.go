package outcomes

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSortByTime: the same order as a stable sort by time and the tie
// rule, for times that collide in the second, the nanosecond or wholly,
// far before 1970 and after 2262 (where UnixNano would overflow).
func TestSortByTime(t *testing.T) {
	type rec struct {
		at  time.Time
		id  string
		pos int
	}
	rng := rand.New(rand.NewPCG(1, 2))
	bases := []time.Time{time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9000, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))}
	for _, tie := range []bool{false, true} {
		var xs []rec
		for i := range 2000 {
			at := bases[rng.IntN(len(bases))].Add(time.Duration(rng.IntN(5))*time.Second + time.Duration(rng.IntN(3)))
			xs = append(xs, rec{at: at, id: string(rune('a' + rng.IntN(4))), pos: i})
		}
		var tieFn func(a, b *rec) int
		want := slices.Clone(xs)
		if tie {
			tieFn = func(a, b *rec) int { return strings.Compare(a.id, b.id) }
			slices.SortStableFunc(want, func(a, b rec) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.id, b.id)) })
		} else {
			slices.SortStableFunc(want, func(a, b rec) int { return a.at.Compare(b.at) })
		}
		sortByTime(xs, func(r *rec) time.Time { return r.at }, tieFn)
		for i := range xs {
			if xs[i].pos != want[i].pos {
				t.Fatalf("tie %v: at %d got record %d (%s %s), want %d (%s %s)", tie, i, xs[i].pos, xs[i].at, xs[i].id, want[i].pos, want[i].at, want[i].id)
			}
		}
	}
}
