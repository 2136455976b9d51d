package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math"
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

// BenchSearch measures k=10 vector and keyword searches over two corpora
// of 10,000 chunks:
//
//   - uniform: random unit embeddings and Zipf-distributed made-up terms,
//     the worst case for HNSW (no clusters to navigate by) and for keyword
//     search (the commonest terms are in nearly every chunk);
//   - realistic: generated customer-service passages in Chinese and
//     English, embedded with the offline embedder, searched with held-out
//     customer questions (see Corpus).
//
// Vector benchmarks also report recall@10 against exact cosine results,
// which shows what an approximate index gives up.
func BenchSearch(b *testing.B, open func(b *testing.B) memory.Store) {
	b.Run("uniform", func(b *testing.B) { benchUniform(b, open) })
	b.Run("realistic", func(b *testing.B) {
		c, err := Realistic()
		if err != nil {
			b.Fatal(err)
		}
		s := open(b)
		b.Cleanup(func() { s.Close() })
		c.Load(b, s)
		b.Run("vector", func(b *testing.B) { c.BenchVector(b, s, benchK) })
		b.Run("vector-k20", func(b *testing.B) { c.BenchVector(b, s, 20) })
		b.Run("keyword", func(b *testing.B) { c.BenchKeyword(b, s) })
	})
}

// BenchVector measures k-nearest searches for the corpus's questions in s,
// which must hold the corpus, and reports recall@k against exact search.
func (c *Corpus) BenchVector(b *testing.B, s memory.Store, k int) {
	ctx := context.Background()
	qs := c.Queries
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SearchVector(ctx, qs[i%len(qs)].Embedding, k); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ids, vecs := c.vectors()
	var queries [][]float32
	for _, q := range c.recallQueries() {
		queries = append(queries, q.Embedding)
	}
	b.ReportMetric(recall(ctx, b, s, queries, ids, vecs, k), fmt.Sprintf("recall@%d", k))
}

// BenchKeyword measures k=10 keyword searches for the corpus's questions
// and reports how many chunks the average question's terms match.
func (c *Corpus) BenchKeyword(b *testing.B, s memory.Store) {
	ctx := context.Background()
	qs := c.Queries
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SearchKeyword(ctx, qs[i%len(qs)].Terms, benchK); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(c.meanMatches(), "matches/query")
}

// vectors lists the stored ids and embeddings, in Load's id scheme.
func (c *Corpus) vectors() ([]string, [][]float32) {
	var ids []string
	var vecs [][]float32
	for d, chunks := range c.Docs {
		for i, ch := range chunks {
			ids, vecs = append(ids, fmt.Sprintf("chk_r%03d_%03d", d, i)), append(vecs, ch.Embedding)
		}
	}
	return ids, vecs
}

func (c *Corpus) meanMatches() float64 {
	total := 0
	for _, q := range c.Queries {
		want := map[string]bool{}
		for _, t := range q.Terms {
			want[t] = true
		}
		for _, chunks := range c.Docs {
			for _, ch := range chunks {
				if slices.ContainsFunc(ch.Terms, func(t string) bool { return want[t] }) {
					total++
				}
			}
		}
	}
	return float64(total) / float64(len(c.Queries))
}

func benchUniform(b *testing.B, open func(b *testing.B) memory.Store) {
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
		fresh := make([][]float32, recallQueries)
		for i := range fresh {
			fresh[i] = unitVector(r, BenchDim)
		}
		b.ReportMetric(recall(ctx, b, s, fresh, ids, vecs, benchK), "recall@10")
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

// recall compares the store's top k with exact cosine top k. A hit counts
// when it is among the exact results or scores as well as the k-th of them:
// a corpus with duplicate passages has ties, and any of the tied chunks is
// a right answer.
func recall(ctx context.Context, b *testing.B, s memory.Store, queries [][]float32, ids []string, vecs [][]float32, k int) float64 {
	b.Helper()
	byID := make(map[string][]float32, len(ids))
	for i, id := range ids {
		byID[id] = vecs[i]
	}
	found, total := 0, 0
	for _, v := range queries {
		exact := exactTop(v, ids, vecs, k)
		kth := cosine(v, byID[exact[len(exact)-1]])
		hits, err := s.SearchVector(ctx, v, k)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hits {
			if slices.Contains(exact, h.ID) || cosine(v, byID[h.ID]) >= kth-1e-6 {
				found++
			}
		}
		total += len(exact)
	}
	return float64(found) / float64(total)
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func exactTop(v []float32, ids []string, vecs [][]float32, k int) []string {
	type scored struct {
		id    string
		score float32
	}
	all := make([]scored, len(ids))
	for i, w := range vecs {
		all[i] = scored{ids[i], float32(cosine(v, w))}
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
