// Package benchdata builds the workload of the proactive benchmarks: the
// sample matrix plus generated triggers up to 50, and page and product
// views of many customers. Shared by the engine and pipeline benchmarks
// so that both measure the same thing.
package benchdata

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/memory"
)

// Matrix50 is the sample matrix plus generated triggers up to 50, woken by
// the page and product views Events sends: window conditions
// (count(recent(...), path(.props.url) contains ...), then(...)).
func Matrix50() (*proactive.Matrix, error) {
	files := map[string][]byte{}
	ents, err := sample.FS.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := sample.FS.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		files[e.Name()] = b
	}
	for i := len(files); i < 50; i++ {
		typ := []string{"page_view", "product_view"}[i%2]
		cond := fmt.Sprintf(`count(recent("%s", "30m"), path(.props.url) contains "p%d") >= 3 && len(recent("order_placed", "1d")) == 0`, typ, i)
		if typ == "product_view" {
			cond = fmt.Sprintf(`event.props.sku == "SKU-%d" && num(event.props.stock) == 0 && then("page_view", "product_view", "10m")`, i)
		}
		src := fmt.Sprintf("id: gen_%d\non: [%s]\npriority: %d\nholdout: 0.1\ncondition: '%s'\nactions:\n  - type: tag\n    tag: gen%d\nguardrails:\n  cooldown: 1d\n", i, typ, i, cond, i)
		files[fmt.Sprintf("gen_%d.yaml", i)] = []byte(src)
	}
	m, err := proactive.Compile(files)
	if err != nil {
		return nil, err
	}
	if len(m.Triggers()) != 50 {
		return nil, fmt.Errorf("benchdata: %d triggers, want 50", len(m.Triggers()))
	}
	return m, nil
}

// Events returns n page and product views (two in three are page views)
// of customers cus_000000.. spread one millisecond apart from at, with
// ids prefix0, prefix1, ...
func Events(n, customers int, at time.Time, prefix string) []memory.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]memory.Event, n)
	for i := range out {
		c := fmt.Sprintf("cus_%06d", rng.IntN(customers))
		var props []byte
		typ := "page_view"
		if i%3 == 2 {
			typ = "product_view"
			props, _ = json.Marshal(map[string]any{"sku": fmt.Sprintf("SKU-%d", rng.IntN(60)), "stock": rng.IntN(3)})
		} else {
			props, _ = json.Marshal(map[string]any{"url": fmt.Sprintf("https://shop.example.com/p%d/item", rng.IntN(60)), "title": "x"})
		}
		out[i] = memory.Event{ID: fmt.Sprintf("%s%d", prefix, i), CustomerID: c, Type: typ, Source: "web", Props: props,
			At: at.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}
