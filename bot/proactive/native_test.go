package proactive

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNativeMatchesVM runs conditions as native closures and on expr's VM
// while random events — late, duplicated, with missing and odd props —
// flow through a window, with and without a profile, and requires the
// same results and the same errors at every step. The conditions are the
// sample matrix's, the benchmark's generated ones and a set exercising
// every operator the closures know, with the VM's edge cases (nil
// operands, mixed int/float, fetching from nil).
func TestNativeMatchesVM(t *testing.T) {
	srcs := []string{
		// the benchmark's generated triggers (internal/benchdata)
		`count(recent("page_view", "30m"), path(.props.url) contains "p3") >= 3 && len(recent("order_placed", "1d")) == 0`,
		`event.props.sku == "SKU-3" && num(event.props.stock) == 0 && then("page_view", "product_view", "10m")`,
		// operators and edge cases
		`event.props.url contains "refund" || event.props.url startsWith "/p" || event.props.url endsWith "cart"`,
		`!(event.type == "page_view") && event.source != "web"`,
		// nil on the right
		`"/p3/item" startsWith event.props.url || "x/cart" endsWith event.props.url || "SKU-12" contains event.props.sku`,
		`event.props.stock > 1 || event.props.stock <= 0.5`, // nil < number fails
		`num(event.props.stock) + 1 >= 2 && num(event.props.stock) * 2 - 1 < 3 && -num(event.props.stock) > -2`,
		`num(event.props.total) / 2 > 10 && int(num(event.props.total)) % 3 == 1`,
		`event.props.sku in ["SKU-1", "SKU-2"] || event.props.stock in [0, 1]`,
		`(event.props.stock ?? 7) == 7`,
		`event.props.x == nil ? len(recent("*", "1h")) > 3 : event.props.x.y == 1`,
		`event.props.x.y == 1`, // fetch from nil: an error on events without x
		`profile.business.tier in ["gold", "platinum"]`,
		`num(profile.business.orders) > 2 && customer.id != "" && len(customer.tags) == 0`,
		`insight.mood == "angry" || churn > 0.5`,
		`event.at > now - duration("1h") && event.id != ""`,
		`count(recent("page_view", "30m"), .props.url != nil && .props.url startsWith "/p") > len(recent("product_view", "2h"))`,
		`any(recent("*", "1h"), .type == "order_placed" && num(.props.total) > 50)`,
		`all(recent("product_view", "2h"), .props.sku != nil && .props.sku startsWith "SKU-1")`,
		`none(recent("page_view", "10m"), .props.url == nil)`,
		`count(recent("page_view", "30m"), .props.x.y == 1) > 0`, // fails on elements without x
		`count(recent("page_view", "bad"), .props.url != nil) > 0`,
		`len(recent("page_view", days(1))) > 2 && without("cart_add", "order_placed", "1h")`,
		`none(recent("order_placed", "120d"), .at > event.at)`, // reads event: runs on the VM
	}
	files := map[string][]byte{}
	ents, err := os.ReadDir("sample")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".yaml") {
			b, err := os.ReadFile(filepath.Join("sample", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = b
		}
	}
	m, err := Compile(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range m.Triggers() {
		for _, p := range []*program{tr.cond, tr.at} {
			if p != nil {
				srcs = append(srcs, p.src)
			}
		}
	}
	compileAll := func(off bool) []*program { return compileWith(t, &nativeOff, off, srcs) }
	native, vmOnly := compileAll(false), compileAll(true)
	n := 0
	for i, p := range native {
		if p.native != nil {
			n++
		}
		if vmOnly[i].native != nil {
			t.Fatalf("%s: native with nativeOff", srcs[i])
		}
	}
	// Builtins other than len (int, duration, max, map, none with a
	// predicate reading more than its element) and let run on the VM.
	if n < 25 || native[0].native == nil || native[1].native == nil {
		t.Fatalf("only %d of %d conditions are native", n, len(srcs))
	}
	for i, src := range srcs {
		if strings.Contains(src, ".at > event.at)") && native[i].native != nil {
			t.Fatalf("%s: a builtin with a predicate reading event runs natively", src)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w := &window{}
	var all []*Event
	now := base
	profiles := []map[string]any{nil, {}, {"business": map[string]any{"tier": "gold", "orders": 3.0}}, {"business": nil}}
	errs := 0
	for i := range 3000 {
		now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
		ev := randomEvent(rng, i, now)
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
		env := &Env{Event: *ev, Now: ev.At, win: w, Profile: profiles[rng.IntN(len(profiles))],
			Customer: Customer{ID: []string{"", "cus_1"}[rng.IntN(2)]}, Churn: rng.Float64()}
		if rng.IntN(2) == 0 {
			env.Insight = map[string]any{"mood": []string{"angry", "calm"}[rng.IntN(2)]}
		}
		for j := range srcs {
			got, gerr := native[j].run(env)
			env.cache = nil
			want, werr := vmOnly[j].run(env)
			env.cache = nil
			if (gerr != nil) != (werr != nil) || fmt.Sprintf("%v %T", got, got) != fmt.Sprintf("%v %T", want, want) {
				t.Fatalf("step %d, %s: native %v %T (%v), VM %v %T (%v)", i, srcs[j], got, got, gerr, want, want, werr)
			}
			if gerr != nil {
				errs++
			}
		}
	}
	if errs == 0 {
		t.Fatal("no condition failed: the error cases were not exercised")
	}
}

func randomEvent(rng *rand.Rand, i int, at time.Time) *Event {
	ev := &Event{ID: fmt.Sprintf("e%d", i), At: at, Source: []string{"web", "api"}[rng.IntN(2)], Props: map[string]any{}}
	switch r := rng.IntN(10); {
	case r < 5:
		ev.Type = "page_view"
		ev.Props["url"] = []string{"https://s.example.com/Refund?x=1", "/demo/refund-policy.html", "/p3/item", "/cart"}[rng.IntN(4)]
		if rng.IntN(3) == 0 {
			ev.Props["x"] = map[string]any{"y": float64(rng.IntN(2))}
		}
		if rng.IntN(20) == 0 {
			delete(ev.Props, "url")
		}
	case r < 7:
		ev.Type = "product_view"
		ev.Props["sku"] = fmt.Sprintf("SKU-%d", rng.IntN(4))
		if rng.IntN(5) > 0 {
			ev.Props["stock"] = float64(rng.IntN(3))
		}
	case r < 8:
		ev.Type = "order_placed"
		ev.Props["total"] = float64(rng.IntN(100))
		ev.Props["items"] = []any{map[string]any{"consumption_days": float64(rng.IntN(60)), "qty": float64(1 + rng.IntN(2))}}
	case r < 9:
		ev.Type = "cart_add"
	default:
		ev.Type = []string{"refund_submitted", "bill_generated", "conversation.turn", "subscription_usage"}[rng.IntN(4)]
		ev.Props["amount"] = float64(rng.IntN(3000))
		ev.Props["due_date"] = "2026-04-01"
		ev.Props["trend"] = "worsening"
		ev.Props["mood"] = "angry"
		ev.Props["repeats"] = float64(rng.IntN(4))
		ev.Props["value"] = float64(rng.IntN(100))
	}
	return ev
}
