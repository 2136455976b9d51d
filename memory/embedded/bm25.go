package embedded

import "math"

// bm25 scores the documents of an inverted index for the query terms
// (each counted once): postings maps a term to each document holding it
// and the term's count there, n is the number of documents, avg their mean
// length in terms, and length gives one document's. The chunk index and
// the per-customer memory index both rank keyword matches with it.
func bm25[E comparable](terms []string, postings map[string]map[E]int32, n, avg float64, length func(E) int) map[E]float64 {
	scores := map[E]float64{}
	seen := map[string]bool{}
	for _, t := range terms {
		p := postings[t]
		if seen[t] || len(p) == 0 {
			continue
		}
		seen[t] = true
		df := float64(len(p))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for e, tf := range p {
			f := float64(tf)
			scores[e] += idf * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*float64(length(e))/avg))
		}
	}
	return scores
}
