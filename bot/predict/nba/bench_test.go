package nba_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/kairoscx/kairos/bot/predict/nba"
)

// BenchmarkDecide is one decision against in-process state (no event
// log): the guardrails, priors and Thompson draws.
func BenchmarkDecide(b *testing.B) {
	bandit, _ := nba.New(nba.Options{State: nba.NewMemoryState(), Rand: rand.New(rand.NewPCG(1, 1)), Now: fixedNow})
	w := world{rng: rand.New(rand.NewPCG(2, 2))}
	situations := make([]nba.Situation, 1024)
	for i := range situations {
		situations[i] = w.situation()
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := bandit.Decide(ctx, situations[i%len(situations)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
