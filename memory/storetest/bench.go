package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

// BenchDim is the embedding dimension BenchSearch uses (the offline
// embedder's). The open function given to BenchSearch must use it.
const BenchDim = 256

const (
	benchChunks   = 10000
	benchPerDoc   = 100
	benchVocab    = 5000
	benchK        = 10
	recallQueries = 100
)

// BenchSearch loads 10,000 chunks with random unit embeddings and
// Zipf-distributed terms, then measures k=10 vector and keyword searches.
// The vector benchmark also reports recall@10 against exact brute-force
// results, which shows what an approximate index gives up.
func BenchSearch(b *testing.B, open func(b *testing.B) memory.Store) {
	ctx := context.Background()
	s := open(b)
	b.Cleanup(func() { s.Close() })
	r := rand.New(rand.NewPCG(7, 11))
	vocab := vocabulary(r, benchVocab)
	zipf := rand.NewZipf(r, 1.07, 2, benchVocab-1)
	draw := func(n int) []string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = vocab[zipf.Uint64()]
		}
		return terms
	}

	ids := make([]string, 0, benchChunks)
	vecs := make([][]float32, 0, benchChunks)
	for d := 0; d < benchChunks/benchPerDoc; d++ {
		chunks := make([]memory.Chunk, benchPerDoc)
		for i := range chunks {
			c := memory.Chunk{ID: memory.NewID("chk_"), Ord: i, Heading: fmt.Sprintf("h%d", i), Text: "bench",
				Terms: draw(20 + r.IntN(60)), Embedding: unitVector(r, BenchDim)}
			chunks[i] = c
			ids, vecs = append(ids, c.ID), append(vecs, c.Embedding)
		}
		if _, err := s.AddDocument(ctx, memory.Document{Title: fmt.Sprintf("doc %d", d)}, chunks); err != nil {
			b.Fatalf("load document %d: %v", d, err)
		}
	}

	b.Run("vector", func(b *testing.B) {
		queries := make([][]float32, 256)
		for i := range queries {
			queries[i] = unitVector(r, BenchDim)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.SearchVector(ctx, queries[i%len(queries)], benchK); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(recallAt10(ctx, b, s, r, ids, vecs), "recall@10")
	})
	b.Run("keyword", func(b *testing.B) {
		queries := make([][]string, 256)
		for i := range queries {
			queries[i] = draw(2 + r.IntN(5))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.SearchKeyword(ctx, queries[i%len(queries)], benchK); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// recallAt10 compares the store's top 10 with exact cosine top 10 for fresh
// queries.
func recallAt10(ctx context.Context, b *testing.B, s memory.Store, r *rand.Rand, ids []string, vecs [][]float32) float64 {
	b.Helper()
	found, total := 0, 0
	for q := 0; q < recallQueries; q++ {
		v := unitVector(r, BenchDim)
		exact := exactTop(v, ids, vecs, benchK)
		hits, err := s.SearchVector(ctx, v, benchK)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hits {
			if slices.Contains(exact, h.ID) {
				found++
			}
		}
		total += len(exact)
	}
	return float64(found) / float64(total)
}

func exactTop(v []float32, ids []string, vecs [][]float32, k int) []string {
	type scored struct {
		id    string
		score float32
	}
	all := make([]scored, len(ids))
	for i, w := range vecs {
		var dot float32
		for j := range w {
			dot += v[j] * w[j]
		}
		all[i] = scored{ids[i], dot}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	top := make([]string, 0, k)
	for _, s := range all[:min(k, len(all))] {
		top = append(top, s.id)
	}
	return top
}

// vocabulary returns n distinct terms, about a third of them CJK bigrams,
// shuffled so that both kinds appear among the frequent ranks.
func vocabulary(r *rand.Rand, n int) []string {
	consonants := []string{"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st", "tr", "ch"}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ou", "ea"}
	han := []rune("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明社长退款订单发货物流")
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		var w string
		if r.IntN(3) == 0 {
			w = string([]rune{han[r.IntN(len(han))], han[r.IntN(len(han))]})
		} else {
			for syl := 1 + r.IntN(3); syl > 0; syl-- {
				w += consonants[r.IntN(len(consonants))] + vowels[r.IntN(len(vowels))]
			}
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
