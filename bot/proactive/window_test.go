package proactive

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestWindowMatchesModel: adding (live or from history, duplicated, out
// of order) and trimming keep the window, its per-type lists and its id
// index equal to a plain model, through small windows (searched) and
// large ones (indexed by id).
func TestWindowMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	base := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	types := []string{"page_view", "product_view", "order_placed", "cart_add"}
	w := &window{}
	model := map[string]*Event{} // id → event, with live as the window should have it
	indexed := false
	for step := range 20000 {
		id := fmt.Sprintf("e%d", rng.IntN(300))
		ev := &Event{ID: id, Type: types[rng.IntN(len(types))], At: base.Add(time.Duration(rng.IntN(600)) * time.Second)}
		live := rng.IntN(3) > 0
		was, known := model[id]
		want := !known || (live && !was.live)
		if got := w.add(ev, live); got != want {
			t.Fatalf("step %d: add(%s, live=%v) = %v, want %v", step, id, live, got, want)
		}
		switch {
		case !known:
			model[id] = &Event{ID: id, Type: ev.Type, At: ev.At, live: live}
		case want:
			was.live = true
		}
		if rng.IntN(50) == 0 {
			maxN := rng.IntN(120)
			w.trim(0, maxN)
			all := make([]*Event, 0, len(model))
			for _, e := range model {
				all = append(all, e)
			}
			slices.SortFunc(all, evOrder)
			for _, e := range all[:max(0, len(all)-maxN)] {
				delete(model, e.ID)
			}
		}
		indexed = indexed || w.seen != nil
		if len(w.evs) != len(model) || !slices.IsSortedFunc(w.evs, evOrder) {
			t.Fatalf("step %d: window has %d events, model %d", step, len(w.evs), len(model))
		}
		for _, e := range w.evs {
			m := model[e.ID]
			if m == nil || m.live != e.live || !m.At.Equal(e.At) || w.byID(e.ID) != e {
				t.Fatalf("step %d: event %s differs from the model", step, e.ID)
			}
		}
		n := 0
		for _, tl := range w.byType {
			n += len(tl.evs)
			if len(tl.evs) == 0 || !slices.IsSortedFunc(tl.evs, evOrder) {
				t.Fatalf("step %d: %s list empty or out of order", step, tl.typ)
			}
			for _, e := range tl.evs {
				if e.Type != tl.typ {
					t.Fatalf("step %d: %s in the %s list", step, e.Type, tl.typ)
				}
			}
		}
		if n != len(w.evs) {
			t.Fatalf("step %d: type lists hold %d events, window %d", step, n, len(w.evs))
		}
		if w.seen != nil && len(w.seen) != len(w.evs) {
			t.Fatalf("step %d: id index holds %d, window %d", step, len(w.seen), len(w.evs))
		}
	}
	if !indexed {
		t.Fatal("the window never grew large enough to be indexed by id")
	}
}
