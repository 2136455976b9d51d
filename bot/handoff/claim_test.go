package handoff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestClaimContention races 20 agents for every handoff through the NATS
// contract, served by two gateway nodes: each handoff has exactly one
// winner, every loser is told who won, and the stored record agrees.
func TestClaimContention(t *testing.T) {
	handoffs, agents := 1000, 20
	if testing.Short() {
		handoffs = 100
	}
	srv := startNATS(t)
	store := openStore(t)
	a := startNode(t, srv, store, nil)
	b := startNode(t, srv, store, nil)
	ids := make([]string, handoffs)
	for i := range ids {
		n := a
		if i%2 == 1 {
			n = b
		}
		ids[i] = open1(t, n, conversation(t, store, fmt.Sprintf("v%d", i)), "转人工").HandoffID
	}
	winners := make(map[string][]string, handoffs)
	losers := make(map[string][]string, handoffs)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range agents {
		nc := connect(t, srv, "agent")
		agent := fmt.Sprintf("agent-%02d", g)
		order := append([]string(nil), ids...)
		if g%2 == 1 { // half race in the same order, half shuffled
			rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range order {
				r := request(t, nc, SubjectClaim, ClaimRequest{V: 1, HandoffID: id, AgentID: agent})
				mu.Lock()
				switch {
				case r.OK:
					winners[id] = append(winners[id], agent)
				case r.Error == CodeAlreadyClaimed:
					losers[id] = append(losers[id], r.AgentID)
				default:
					t.Errorf("claim %s by %s: %+v", id, agent, r)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ctx := context.Background()
	for _, id := range ids {
		w := winners[id]
		if len(w) != 1 {
			t.Fatalf("handoff %s has %d winners: %v", id, len(w), w)
		}
		if len(losers[id]) != agents-1 {
			t.Fatalf("handoff %s: %d losers, want %d", id, len(losers[id]), agents-1)
		}
		for _, named := range losers[id] {
			if named != w[0] {
				t.Fatalf("handoff %s: a loser was told %q won, the winner is %q", id, named, w[0])
			}
		}
		r, err := a.svc.get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusClaimed || r.AgentID != w[0] {
			t.Fatalf("handoff %s stored as %s by %q, winner %q", id, r.Status, r.AgentID, w[0])
		}
	}
}

// BenchmarkClaimContention measures 20 agents racing for each of b.N
// handoffs over NATS (two nodes): ns/op is the wall time per handoff until
// all 20 claims are answered.
func BenchmarkClaimContention(b *testing.B) {
	const agents = 20
	srv := startNATS(b)
	store := openStore(b)
	a := startNode(b, srv, store, nil)
	n2 := startNode(b, srv, store, nil)
	ids := make([]string, b.N)
	for i := range ids {
		n := a
		if i%2 == 1 {
			n = n2
		}
		ids[i] = open1(b, n, conversation(b, store, fmt.Sprintf("v%d", i)), "转人工").HandoffID
	}
	conns := make([]*natsConn, agents)
	for g := range conns {
		conns[g] = &natsConn{nc: connect(b, srv, "agent"), agent: fmt.Sprintf("agent-%02d", g)}
	}
	var wins sync.Map
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range ids {
				r := request(b, c.nc, SubjectClaim, ClaimRequest{V: 1, HandoffID: id, AgentID: c.agent})
				if r.OK {
					if _, dup := wins.LoadOrStore(id, c.agent); dup {
						b.Errorf("second winner for %s", id)
					}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != b.N {
		b.Fatalf("%d of %d handoffs won", n, b.N)
	}
}
