package knowledge

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kairoscx/kairos/memory"
)

// Hit is a chunk found by Search.
type Hit struct {
	memory.Chunk
	Score    float64 // fused reciprocal-rank score
	Vector   float64 // cosine similarity (0 if not found by vector search)
	Keyword  float64 // keyword score (0 if not found by keyword search)
	Coverage float64 // share of the query's distinct terms that occur in the chunk's heading+text
	Relevant bool    // the base's judgement that this chunk answers the query
}

// Search tuning.
const (
	// rrfK0 damps the weight of top ranks in reciprocal-rank fusion; 60
	// is the customary value and makes the two lists count about equally.
	rrfK0 = 60
	// defaultK and maxK bound how many hits Search returns.
	defaultK = 5
	maxK     = 50
	// maxQueryRunes bounds the query actually searched; a pasted essay
	// is searched by its beginning.
	maxQueryRunes = 1000
)

// The relevance rule. A chunk answers the query when
//
//   - it contains every term of the query and its embedding is not far
//     off (Vector ≥ minVectorAllTerms), or
//   - it contains at least minCoverage of the query's terms and its
//     embedding is reasonably close (Vector ≥ minVectorSomeTerms), or
//   - its embedding alone is very close (Vector ≥ minVectorAlone).
//
// Coverage catches exact wording ("退货政策" in a returns passage); the
// cosine floors stop one shared word in an otherwise unrelated chunk ("bad
// weather" for "the weather on Mars") from counting; the last path catches
// paraphrases whose words differ. The thresholds were tuned on the sample
// knowledge base with the offline embedder (see search_test.go); an
// embedding model with another cosine scale may want them adjusted.
const (
	minCoverage        = 0.5
	minVectorAllTerms  = 0.15
	minVectorSomeTerms = 0.25
	minVectorAlone     = 0.45
)

// Search returns up to k chunks (5 when k <= 0, at most 50) for query, best
// first: relevant chunks before the rest, then by fused score, then chunks in
// the query's language. A blank query finds nothing.
func (b *Base) Search(ctx context.Context, query string, k int) ([]Hit, error) {
	query = strings.TrimSpace(truncateRunes(query, maxQueryRunes))
	if query == "" {
		return nil, nil
	}
	if k <= 0 {
		k = defaultK
	}
	k = min(k, maxK)
	n := max(20, 4*k)
	terms := Terms(query)

	vecs, err := b.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("knowledge: search: embed query: %w", err)
	}
	var vhits, khits []memory.ChunkHit
	if len(vecs) == 1 && !isZero(vecs[0]) {
		if vhits, err = b.store.SearchVector(ctx, vecs[0], n); err != nil {
			return nil, fmt.Errorf("knowledge: search: vector: %w", err)
		}
	}
	if len(terms) > 0 {
		if khits, err = b.store.SearchKeyword(ctx, terms, n); err != nil {
			return nil, fmt.Errorf("knowledge: search: keyword: %w", err)
		}
	}
	hits := fuse(vhits, khits)
	lang := DetectLang(query)
	for i := range hits {
		h := &hits[i]
		h.Coverage = coverage(terms, h.Chunk)
		h.Relevant = relevant(h.Coverage, h.Vector)
	}
	slices.SortFunc(hits, func(x, y Hit) int {
		return cmp.Or(
			boolDesc(x.Relevant, y.Relevant),
			cmp.Compare(y.Score, x.Score),
			boolDesc(x.Lang == lang, y.Lang == lang),
			cmp.Compare(x.DocumentID, y.DocumentID),
			cmp.Compare(x.Ord, y.Ord),
		)
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

func relevant(coverage, vector float64) bool {
	switch {
	case coverage >= 1 && vector >= minVectorAllTerms:
		return true
	case coverage >= minCoverage && vector >= minVectorSomeTerms:
		return true
	}
	return vector >= minVectorAlone
}

// fuse merges the two ranked lists by reciprocal rank: each list adds
// 1/(rrfK0 + rank) to the chunks it found.
func fuse(vhits, khits []memory.ChunkHit) []Hit {
	byID := make(map[string]int)
	var hits []Hit
	get := func(c memory.Chunk) *Hit {
		if i, ok := byID[c.ID]; ok {
			return &hits[i]
		}
		byID[c.ID] = len(hits)
		hits = append(hits, Hit{Chunk: c})
		return &hits[len(hits)-1]
	}
	for rank, ch := range vhits {
		h := get(ch.Chunk)
		h.Vector = ch.Score
		h.Score += 1.0 / float64(rrfK0+rank+1)
	}
	for rank, ch := range khits {
		h := get(ch.Chunk)
		h.Keyword = ch.Score
		h.Score += 1.0 / float64(rrfK0+rank+1)
	}
	return hits
}

// coverage is the share of the query's distinct terms found among the
// chunk's terms (computed from its heading and text when the store did not
// return them).
func coverage(queryTerms []string, c memory.Chunk) float64 {
	if len(queryTerms) == 0 {
		return 0
	}
	ct := c.Terms
	if len(ct) == 0 {
		ct = Terms(c.Heading + "\n" + c.Text)
	}
	have := make(map[string]bool, len(ct))
	for _, t := range ct {
		have[t] = true
	}
	found := 0
	for _, t := range queryTerms {
		if have[t] {
			found++
		}
	}
	return float64(found) / float64(len(queryTerms))
}

func boolDesc(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return -1
	}
	return 1
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
