package proactive

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestMemoMatchesPlainEvaluation evaluates window conditions with and
// without the memoized predicates (and then/without against a plain scan)
// while random events — late, duplicated, of several types — flow through
// a window, and requires the same results and the same errors at every
// step.
func TestMemoMatchesPlainEvaluation(t *testing.T) {
	srcs := []string{
		`count(recent("page_view", "30m"), path(.props.url) contains "refund")`,
		`count(recent("page_view", "30m"), path(.props.url) contains "refund") >= 3 && len(recent("refund_submitted", "30m")) == 0`,
		`any(recent("*", "1h"), .type == "order_placed" && num(.props.total) > 50)`,
		`all(recent("product_view", "2h"), .props.sku != nil && .props.sku startsWith "SKU-1")`,
		`none(recent("page_view", "10m"), .props.url == nil)`,
		`count(recent("page_view", "30m"), .props.x.y == 1)`,                        // fails on events without x
		`count(recent("page_view", "30m"), customer.id == "" && .props.url != nil)`, // reads the env: as written
		`count(recent("page_view", "30m"), .props.url == event.props.url)`,
		`sum(recent("order_placed", "90d"), num(.props.total))`,
		`any(recent("product_view", "1h"), num(.props?.stock) == 0)`,
	}
	compileAll := func(off bool) []*program { return compileWith(t, &memoOff, off, srcs) }
	memo, plain := compileAll(false), compileAll(true)
	rewritten := 0
	for i := range memo {
		if memo[i].prog.Node().String() != plain[i].prog.Node().String() {
			rewritten++
		}
	}
	if rewritten < 6 {
		t.Fatalf("only %d of %d conditions use memoized predicates", rewritten, len(srcs))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w := &window{}
	var all []*Event
	now := base
	for i := range 3000 {
		now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
		ev := &Event{ID: fmt.Sprintf("e%d", i), At: now, Props: map[string]any{}}
		switch r := rng.IntN(10); {
		case r < 5:
			ev.Type = "page_view"
			ev.Props["url"] = []string{"https://s.example.com/Refund?x=1", "/demo/refund-policy.html", "/p/1", "/cart"}[rng.IntN(4)]
			if rng.IntN(3) == 0 {
				ev.Props["x"] = map[string]any{"y": float64(rng.IntN(2))}
			}
			if rng.IntN(20) == 0 {
				delete(ev.Props, "url")
			}
		case r < 7:
			ev.Type = "product_view"
			ev.Props["sku"] = fmt.Sprintf("SKU-%d", rng.IntN(30))
			ev.Props["stock"] = float64(rng.IntN(3))
		case r < 8:
			ev.Type = "order_placed"
			ev.Props["total"] = float64(rng.IntN(100))
		case r < 9:
			ev.Type = "cart_add"
		default:
			ev.Type = "refund_submitted"
		}
		switch rng.IntN(10) {
		case 0: // late
			ev.At = now.Add(-time.Duration(rng.IntN(3600)) * time.Second)
		case 1: // a redelivery of an earlier event
			if len(all) > 0 {
				ev = all[rng.IntN(len(all))]
			}
		}
		if w.add(ev, true) {
			all = append(all, ev)
		}
		w.trim(35*24*time.Hour, 200)
		env := &Env{Event: *ev, Now: ev.At, win: w}
		for j := range srcs {
			got, gerr := memo[j].run(env)
			env.cache = nil
			want, werr := plain[j].run(env)
			env.cache = nil
			if (gerr != nil) != (werr != nil) || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("step %d, %s: memoized %v (%v), plain %v (%v)", i, srcs[j], got, gerr, want, werr)
			}
		}
		for _, ab := range [][2]string{{"page_view", "product_view"}, {"cart_add", "order_placed"}, {"page_view", "page_view"}} {
			for _, d := range []time.Duration{10 * time.Minute, time.Hour} {
				th, _ := fnThen(env, ab[0], ab[1], d)
				if want := plainThen(w, env.Now, ab[0], ab[1], d); th != want {
					t.Fatalf("step %d: then(%s, %s, %s) = %v, want %v", i, ab[0], ab[1], d, th, want)
				}
				wo, _ := fnWithout(env, ab[0], ab[1], d)
				if want := plainWithout(w, env.Now, ab[0], ab[1], d); wo != want {
					t.Fatalf("step %d: without(%s, %s, %s) = %v, want %v", i, ab[0], ab[1], d, wo, want)
				}
			}
		}
	}
	// The per-type index holds exactly the window's events.
	n := 0
	for _, tl := range w.byType {
		typ, evs := tl.typ, tl.evs
		n += len(evs)
		if !slices.IsSortedFunc(evs, evOrder) {
			t.Fatalf("%s index out of order", typ)
		}
	}
	if n != len(w.evs) || !slices.IsSortedFunc(w.evs, evOrder) {
		t.Fatalf("index holds %d events, window %d", n, len(w.evs))
	}
}

// plainThen and plainWithout are then() and without() as one scan over the
// window in order.
func plainThen(w *window, now time.Time, a, b string, d time.Duration) bool {
	var lastA time.Time
	found := false
	for _, ev := range w.evs {
		if ev.At.After(now) {
			break
		}
		switch {
		case ev.Type == b && found && ev.At.Sub(lastA) <= d:
			return true
		case ev.Type == a:
			lastA, found = ev.At, true
		}
	}
	return false
}

func plainWithout(w *window, now time.Time, a, b string, d time.Duration) bool {
	last := -1
	for i, ev := range w.evs {
		if ev.At.After(now) {
			break
		}
		if ev.Type == a {
			last = i
		}
	}
	if last < 0 || now.Sub(w.evs[last].At) < d {
		return false
	}
	end := w.evs[last].At.Add(d)
	for _, ev := range w.evs[last+1:] {
		if ev.At.After(end) {
			break
		}
		if ev.Type == b {
			return false
		}
	}
	return true
}

// TestMemoStore: results kept for predicates of several id blocks (a
// matrix reloaded a few times) read back as written; beyond the blocks
// and the overflow list nothing is kept, and nothing is made up.
func TestMemoStore(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var m memo
	want := map[uint32]bool{}
	for range 400 {
		id := uint32(1 + rng.IntN(300))
		if _, ok := want[id]; ok {
			continue
		}
		v := rng.IntN(2) == 0
		m.put(id, v)
		want[id] = v
	}
	kept := 0
	for id := uint32(0); id < 400; id++ {
		v, ok := m.get(id)
		w, put := want[id]
		if ok && (!put || v != w) {
			t.Fatalf("id %d: got %v, put %v (%v)", id, v, w, put)
		}
		if ok {
			kept++
		}
	}
	if kept < 128 || kept > 128+maxMemo {
		t.Fatalf("%d results kept, want two blocks and at most %d more", kept, maxMemo)
	}
}

// compileWith compiles each condition with the optimisation behind off
// switched off (true) or on, and restores it.
func compileWith(t *testing.T, off *atomic.Bool, disable bool, srcs []string) []*program {
	t.Helper()
	off.Store(disable)
	defer off.Store(false)
	var out []*program
	for _, src := range srcs {
		p, err := compile("t.yaml", "condition", 1, src, false)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		out = append(out, p)
	}
	return out
}
