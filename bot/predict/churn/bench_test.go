package churn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/memory"
)

// profiles returns n varied profiles.
func profiles(n int) []memory.Profile {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]memory.Profile, n)
	for i := range out {
		p := loyal()
		p.CustomerID = fmt.Sprint(i)
		p.Business.Orders = rng.IntN(12)
		p.Business.LastOrderAt = daysAgo(rng.Float64() * 120)
		p.Business.ReorderIntervalDays = 20 + rng.Float64()*70
		p.Business.Refunds = rng.IntN(3)
		p.Behaviour.LastSeen = daysAgo(rng.Float64() * 60)
		p.Behaviour.VisitDays30 = rng.IntN(20)
		p.Interaction.CSAT = memory.Score{Count: rng.IntN(4), Mean: 1 + 4*rng.Float64()}
		for j := range rng.IntN(12) {
			p.Interaction.Sentiment = append(p.Interaction.Sentiment, memory.SentimentPoint{
				At: daysAgo(float64(90 - j*7)), Mood: []string{"calm", "happy", "frustrated", "angry"}[rng.IntN(4)], Valence: 2*rng.Float64() - 1})
		}
		out[i] = p
	}
	return out
}

// BenchmarkScore100k scores 100,000 profiles per op: the risk alone, and
// the risk with its reasons as Score returns them.
func BenchmarkScore100k(b *testing.B) {
	ps := profiles(100_000)
	m := churn.Default()
	b.Run("risk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range ps {
				_ = m.Risk(churn.Features(churn.Input{Profile: ps[i]}, now))
			}
		}
	})
	b.Run("risk+reasons", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range ps {
				_, _ = m.Score(ps[i], now)
			}
		}
	})
}
