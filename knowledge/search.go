package knowledge

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/kairoscx/kairos/memory"
)

// Hit is a chunk found by Search.
type Hit struct {
	memory.Chunk
	Score float64 // reciprocal-rank fusion of the vector and keyword rankings (see fuseByRank)
	// Relevance is the reranking score: cosine, coverage and keyword score
	// blended (see score). Relevant is Relevance ≥ minScore.
	Relevance float64
	Vector    float64 // cosine similarity (0 if not found by vector search)
	Keyword   float64 // keyword score (0 if not found by keyword search)
	Coverage  float64 // share of what the query asks that the chunk's heading and text say (see asked.coverage)
	Relevant  bool    // the base's judgement that this chunk answers the query
}

// Search tuning.
const (
	// defaultK and maxK bound how many hits Search returns.
	defaultK = 5
	maxK     = 50
	// maxQueryRunes bounds the query actually searched; a pasted essay
	// is searched by its beginning.
	maxQueryRunes = 1000
)

// Ranking and the relevance rule. Each candidate (from vector or keyword
// search) gets
//
//	score = cosine + wCoverage·(coverage + sectionCoverage) + wKeyword·keyword/best keyword
//
// where coverage is measured against the chunk's heading path and text and
// sectionCoverage against its own heading and text only (without the
// document title, which every section of a document shares, so it tells
// "Benefits by tier" from "Points" for "membership benefits"). A chunk is
// relevant, that is, it answers the query, when score ≥ minScore: a chunk
// that says all the query asks (coverages near 1) passes unless its
// embedding is far off; one that says half of it needs a close embedding
// (cosine ≈ 0.5); a question whose key word the base never mentions
// ("保修", "warranty") stays below. Coverage carries most of the weight
// because the offline embedder's cosines are small and noisy for short
// questions against long passages.
//
// The weights and the threshold were chosen on knowledge/testdata/
// questions.jsonl with the offline embedder (TestRetrievalQuality prints the
// figures); an embedding model with another cosine scale may want minScore
// adjusted.
const (
	wCoverage = 0.6
	wKeyword  = 0.2
	minScore  = 1.1
)

// Search returns up to k chunks (5 when k <= 0, at most 50) for query, in
// two stages: candidates from vector and keyword search are fused by rank
// (reciprocal-rank fusion, so neither list's score scale matters) and the
// best max(12, 3k) kept; those are then reranked, best first: relevant chunks before the rest, then chunks in the query's
// language (a bilingual base answers each customer in their language), then
// by score. A blank query finds nothing.
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
	// The query is tokenized once, for keyword search and coverage.
	a := newAsked(query)
	vhits, khits, err := b.candidates(ctx, query, a.terms, n)
	if err != nil {
		return nil, err
	}
	all := merge(vhits, khits)
	// Stage 1: fuse the two rankings by rank and keep the best candidates.
	// Hits are large; they are sorted by pointer.
	fuseByRank(all)
	hits := make([]*Hit, len(all))
	for i := range all {
		hits[i] = &all[i]
	}
	slices.SortFunc(hits, func(x, y *Hit) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.ID, y.ID))
	})
	if pool := max(12, 3*k); len(hits) > pool {
		hits = hits[:pool]
	}
	// Stage 2: rerank the pool by what the query asks that each chunk says.
	lang := DetectLang(query)
	bestKeyword := 0.0
	for _, h := range hits {
		bestKeyword = max(bestKeyword, h.Keyword)
	}
	for _, h := range hits {
		v := b.views.get(h.Chunk)
		h.Coverage = a.covers(v.full)
		h.Relevance = score(h.Vector, h.Coverage, a.covers(v.section), h.Keyword, bestKeyword)
		h.Relevant = h.Relevance >= minScore
	}
	slices.SortFunc(hits, func(x, y *Hit) int {
		return cmp.Or(
			boolDesc(x.Relevant, y.Relevant),
			boolDesc(x.Lang == lang, y.Lang == lang),
			cmp.Compare(y.Relevance, x.Relevance),
			cmp.Compare(y.Score, x.Score),
			cmp.Compare(x.DocumentID, y.DocumentID),
			cmp.Compare(x.Ord, y.Ord),
		)
	})
	if len(hits) == 0 {
		return nil, nil
	}
	out := make([]Hit, min(k, len(hits)))
	for i := range out {
		out[i] = *hits[i]
	}
	return out, nil
}

// score blends a candidate's signals; see the relevance rule above.
func score(vector, coverage, sectionCoverage, keyword, bestKeyword float64) float64 {
	s := vector + wCoverage*(coverage+sectionCoverage)
	if bestKeyword > 0 {
		s += wKeyword * keyword / bestKeyword
	}
	return s
}

// merge joins the two candidate lists, one Hit per chunk, keeping each
// list's score.
func merge(vhits, khits []memory.ChunkHit) []Hit {
	byID := make(map[string]int, len(vhits)+len(khits))
	hits := make([]Hit, 0, len(vhits)+len(khits))
	get := func(c memory.Chunk) *Hit {
		if i, ok := byID[c.ID]; ok {
			return &hits[i]
		}
		byID[c.ID] = len(hits)
		hits = append(hits, Hit{Chunk: c})
		return &hits[len(hits)-1]
	}
	for _, ch := range vhits {
		get(ch.Chunk).Vector = ch.Score
	}
	for _, ch := range khits {
		get(ch.Chunk).Keyword = ch.Score
	}
	return hits
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

// rrfK is the reciprocal-rank-fusion constant: it damps the difference
// between the first few ranks so neither list dominates.
const rrfK = 60

// fuseByRank sets each hit's Score to its reciprocal-rank fusion of the
// vector and keyword rankings. Ranks, not raw scores, are fused because the
// scales are not comparable (a BM25 or ts_rank value means nothing next to
// a cosine). A candidate missing from a list gets no share of it.
func fuseByRank(hits []Hit) {
	add := func(value func(h *Hit) float64) {
		idx := make([]int, 0, len(hits))
		for i := range hits {
			if value(&hits[i]) > 0 {
				idx = append(idx, i)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(value(&hits[b]), value(&hits[a])) })
		for rank, i := range idx {
			hits[i].Score += 1 / float64(rrfK+rank+1)
		}
	}
	add(func(h *Hit) float64 { return h.Vector })
	add(func(h *Hit) float64 { return h.Keyword })
}
