package pgscan_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/outcomes/pgscan"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/seed"
)

// TestRollupsMatchTurns: the conversations the store keeps summed up
// (conversation_rollups, migration 0009) are what outcomes.SummarizeTurns
// makes of the turns, and whole reports read either way are identical,
// after turns came late and out of order, in batches of their own and
// concurrently, after a merge and after an erasure.
func TestRollupsMatchTurns(t *testing.T) {
	ctx := context.Background()
	store, url := openStore(t)
	if _, err := seed.Write(ctx, store, seed.Config{Customers: 120, Days: 90, Seed: 3, End: end}, seed.Options{}); err != nil {
		t.Fatal(err)
	}
	sc, err := pgscan.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	from, to := end.AddDate(0, 0, -100), end.AddDate(0, 0, 10)
	check := func(step string) {
		t.Helper()
		got, want := rolledUp(t, sc, from, to), summed(t, sc, from, to)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%s: %d conversations kept, %d from the turns; first difference:\n%s", step, len(got), len(want), firstDiff(got, want))
		}
	}
	check("seeded")

	// Customers with conversations, by number of conversations.
	turnsOf := map[string][]outcomes.Turn{}
	if err := sc.ScanTurns(ctx, from, to, func(tr outcomes.Turn) error {
		turnsOf[tr.Customer] = append(turnsOf[tr.Customer], tr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var talkers []string
	for c := range turnsOf {
		talkers = append(talkers, c)
	}
	slices.Sort(talkers)
	if len(talkers) < 6 {
		t.Fatalf("only %d customers with turns", len(talkers))
	}
	a, b, c, d := talkers[0], talkers[1], talkers[2], talkers[3]
	conv := turnsOf[a][0].Conversation
	first := turnsOf[a][0].At
	turn := func(id, customer, conversation string, at time.Time, props string) memory.Event {
		return memory.Event{ID: id, CustomerID: customer, Type: outcomes.EventTurn, Source: "test", At: at,
			Props: json.RawMessage(`{"conversation_id":"` + conversation + `",` + props + `}`)}
	}
	appendAll := func(evs ...memory.Event) {
		t.Helper()
		if _, err := store.AppendEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	// Late turns of a seeded conversation, each in a batch of its own and
	// latest first: a new first turn (channel, response time), an earlier
	// negative turn, then the intervention after it, costs in odd amounts.
	appendAll(turn("late-3", a, conv, first.Add(-1*time.Minute), `"mood":"calm","valence":0.2,"cost":0.1,"tokens":7`))
	check("a late turn")
	appendAll(turn("late-1", a, conv, first.Add(-3*time.Minute), `"mood":"angry","valence":-0.8,"channel":"wechat","response_ms":431,"cost":0.2`))
	check("an earlier negative turn")
	appendAll(turn("late-2", a, conv, first.Add(-2*time.Minute), `"intervened":true,"mood":"frustrated","cost":0.3,"repeats":2`),
		turn("late-2", a, conv, first.Add(-2*time.Minute), `"intervened":false`)) // a repeated id: the first is kept
	check("the intervention")
	appendAll(turn("late-1", a, conv, first, `"mood":"happy"`)) // redelivered: nothing changes
	check("a redelivered turn")
	// A turn at the same time as another, ordered by id.
	appendAll(turn("late-0", a, conv, first.Add(-3*time.Minute), `"intervened":true,"valence":0.5`))
	check("a turn at the same time")

	// A conversation crossing the edge of the period, and one outside it:
	// the report reads only their turns inside.
	appendAll(turn("edge-1", b, "edge", from.Add(-time.Hour), `"mood":"angry","response_ms":5`),
		turn("edge-2", b, "edge", from.Add(time.Hour), `"intervened":true,"tokens":3`),
		turn("edge-3", b, "edge", from.Add(2*time.Hour), `"valence":0.1,"channel":"web"`),
		turn("out-1", b, "out", from.Add(-2*time.Hour), `"mood":"calm"`),
		turn("edge-4", b, "edge2", to.Add(-time.Hour), `"mood":"angry"`),
		turn("edge-5", b, "edge2", to.Add(time.Hour), `"valence":1`))
	check("conversations across the edges")

	// Turns of one conversation written concurrently, many batches.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				k := w*10 + i
				at := end.AddDate(0, 0, -5).Add(time.Duration((k*7)%40) * time.Minute)
				ev := turn(fmt.Sprintf("conc-%02d", k), c, "busy", at, fmt.Sprintf(`"valence":%g,"cost":0.%d,"intervened":%t`, float64(k%5-2)/4, k%10, k%7 == 3))
				if _, err := store.AppendEvents(ctx, []memory.Event{ev}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check("concurrent writers")

	// A conversation id that two customers used, then the two merged.
	appendAll(turn("shared-1", c, "shared", end.AddDate(0, 0, -3), `"mood":"angry","channel":"web"`),
		turn("shared-2", d, "shared", end.AddDate(0, 0, -3).Add(-time.Minute), `"intervened":true,"channel":"wechat","tokens":4`),
		turn("shared-3", d, "shared", end.AddDate(0, 0, -3).Add(time.Minute), `"intervened":true,"valence":0.3`))
	ids, err := store.Identities(ctx, d)
	if err != nil || len(ids) == 0 {
		t.Fatalf("identities of %s: %v %v", d, ids, err)
	}
	if _, err := store.LinkIdentity(ctx, c, ids[0], c, "test"); err != nil {
		t.Fatal(err)
	}
	check("a merge")

	// Erasure: a customer and their conversations go.
	if _, err := store.DeleteCustomer(ctx, a); err != nil {
		t.Fatal(err)
	}
	check("an erasure")
	for _, k := range rolledUp(t, sc, from, to) {
		if strings.Contains(k, a) || strings.Contains(k, "Customer:"+d+" ") {
			t.Fatalf("a conversation of an erased or merged customer is left: %s", k)
		}
	}

	// Whole reports, over the period and over a period that cuts the
	// conversations at its edges.
	live, err := store.CustomerIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	per := outcomes.StoreScanner{Store: store, Customers: live}
	for _, p := range []outcomes.Params{
		{From: end.AddDate(0, 0, -90), To: end, Now: end, By: outcomes.ByChannel},
		{From: from.Add(7 * 24 * time.Hour), To: to.Add(-7 * 24 * time.Hour), Now: end},
	} {
		bulk, err := outcomes.Compute(ctx, outcomes.Sources{Events: sc, Profiles: sc, Triggers: specs(t)}, p)
		if err != nil {
			t.Fatal(err)
		}
		each, err := outcomes.Compute(ctx, outcomes.Sources{Events: per, Profiles: per, Triggers: specs(t)}, p)
		if err != nil {
			t.Fatal(err)
		}
		bulk.Generated, each.Generated = time.Time{}, time.Time{}
		x, _ := json.Marshal(bulk)
		y, _ := json.Marshal(each)
		if string(x) != string(y) {
			t.Fatalf("reports from the rollups and from the turns differ:\n%s", firstDiff([]string{string(x)}, []string{string(y)}))
		}
		if bulk.Overall.Experience.NegativeTurned == 0 || bulk.Overall.Experience.Recovery.N == 0 {
			t.Errorf("no negative conversations or recoveries to compare: %+v", bulk.Overall.Experience)
		}
	}
}

// rolledUp are the conversations pgscan reads from the rollups, as
// sorted strings.
func rolledUp(t *testing.T, sc *pgscan.Scanner, from, to time.Time) []string {
	t.Helper()
	var out []string
	if err := sc.ScanConversations(context.Background(), from, to, func(c outcomes.Conversation) error {
		out = append(out, fmt.Sprintf("%+v", c))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// summed are the conversations SummarizeTurns makes of the turns.
func summed(t *testing.T, sc *pgscan.Scanner, from, to time.Time) []string {
	t.Helper()
	byCustomer := map[string][]outcomes.Turn{}
	if err := sc.ScanTurns(context.Background(), from, to, func(tr outcomes.Turn) error {
		byCustomer[tr.Customer] = append(byCustomer[tr.Customer], tr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ts := range byCustomer {
		slices.SortFunc(ts, func(a, b outcomes.Turn) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
		for _, c := range outcomes.SummarizeTurns(ts) {
			out = append(out, fmt.Sprintf("%+v", c))
		}
	}
	slices.Sort(out)
	return out
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			j := 0
			for j < len(g) && j < len(w) && g[j] == w[j] {
				j++
			}
			lo := max(0, j-200)
			return fmt.Sprintf("kept:  …%.500s\nturns: …%.500s", g[min(lo, len(g)):], w[min(lo, len(w)):])
		}
	}
	return "(none)"
}
