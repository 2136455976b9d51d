package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

func testSearchVector(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	r := rand.New(rand.NewPCG(1, 2))
	var chunks []memory.Chunk
	for i := 0; i < 60; i++ {
		c := chunk(fmt.Sprintf("c%02d", i), []string{"w"}, unitVector(r, Dim))
		c.Ord = i
		chunks = append(chunks, c)
	}
	// A scaled copy: cosine similarity must ignore the length.
	for i := range chunks[7].Embedding {
		chunks[7].Embedding[i] *= 3
	}
	doc, err := s.AddDocument(ctx, memory.Document{Title: "vectors"}, chunks)
	wantErr(t, "add", err, nil)

	for _, i := range []int{0, 7, 31, 59} {
		t.Run(fmt.Sprintf("nearest is chunk %d", i), func(t *testing.T) {
			hits, err := s.SearchVector(ctx, chunks[i].Embedding, 5)
			wantErr(t, "search", err, nil)
			if len(hits) != 5 {
				t.Fatalf("got %d hits, want 5", len(hits))
			}
			top := hits[0]
			if top.Heading != chunks[i].Heading || top.Ord != i || top.DocumentID != doc.ID || top.Title != "vectors" || math.Abs(top.Score-1) > 1e-4 {
				t.Fatalf("top hit %+v (score %v), want %s with score 1", top.Chunk, top.Score, chunks[i].Heading)
			}
			if len(top.Embedding) != 0 {
				t.Fatalf("hit carries a %d-dim embedding; searches return none", len(top.Embedding))
			}
			assertRanked(t, hits)
		})
	}

	cases := []struct {
		name string
		v    []float32
		k    int
		want int
		err  error
	}{
		{"k larger than corpus", axis(0), 100, 60, nil},
		{"k one", axis(0), 1, 1, nil},
		{"k zero", axis(0), 0, 0, nil},
		{"short query", make([]float32, Dim-1), 3, 0, memory.ErrInvalid},
		{"empty query", nil, 3, 0, memory.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := s.SearchVector(ctx, tc.v, tc.k)
			wantErr(t, "search", err, tc.err)
			if len(hits) != tc.want {
				t.Fatalf("got %d hits, want %d", len(hits), tc.want)
			}
			assertRanked(t, hits)
		})
	}
}

func testSearchKeyword(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	_, err := s.AddDocument(ctx, memory.Document{Title: "keywords"}, []memory.Chunk{
		chunk("one", []string{"refund", "policy", "shipping", "time"}, axis(0)),
		chunk("two", []string{"refund", "policy", "window", "days"}, axis(1)),
		chunk("three", []string{"refund", "window", "days", "policy", "退款", "款时"}, axis(2)),
		chunk("none", []string{"shipping", "address", "change"}, axis(3)),
	})
	wantErr(t, "add", err, nil)

	cases := []struct {
		name  string
		terms []string
		k     int
		want  []string // headings, best first; nil means no hits
	}{
		{"more matching terms rank higher", []string{"refund", "window", "退款"}, 10, []string{"three", "two", "one"}},
		{"k respected", []string{"refund", "window", "退款"}, 2, []string{"three", "two"}},
		{"single CJK bigram", []string{"退款"}, 10, []string{"three"}},
		{"duplicate query terms", []string{"address", "address"}, 10, []string{"none"}},
		{"unknown term", []string{"nothing"}, 10, nil},
		{"no terms", nil, 10, nil},
		{"k zero", []string{"refund"}, 0, nil},
		{"hostile term", []string{"refund' | !", "&", "o'brien", `\`}, 10, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := s.SearchKeyword(ctx, tc.terms, tc.k)
			wantErr(t, "search", err, nil)
			var got []string
			for _, h := range hits {
				got = append(got, h.Heading)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			assertRanked(t, hits)
		})
	}
	// BM25's length normalization: one matching term in a 4-term chunk
	// weighs more than in a 6-term chunk.
	hits, err := s.SearchKeyword(ctx, []string{"days"}, 10)
	wantErr(t, "search days", err, nil)
	if len(hits) != 2 || hits[0].Heading != "two" || !(hits[0].Score > hits[1].Score) {
		t.Fatalf("shorter chunk must score higher: %+v", hits)
	}
}

func testSearchAfterDelete(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	keep, err := s.AddDocument(ctx, memory.Document{Title: "keep"}, []memory.Chunk{chunk("keep", []string{"shared", "kept"}, axis(0))})
	wantErr(t, "add keep", err, nil)
	gone, err := s.AddDocument(ctx, memory.Document{Title: "gone"}, []memory.Chunk{
		chunk("gone1", []string{"shared", "removed"}, axis(1)),
		chunk("gone2", []string{"removed"}, axis(2)),
	})
	wantErr(t, "add gone", err, nil)
	wantErr(t, "delete", s.DeleteDocument(ctx, gone.ID), nil)

	kw, err := s.SearchKeyword(ctx, []string{"shared", "removed"}, 10)
	wantErr(t, "keyword", err, nil)
	if len(kw) != 1 || kw[0].DocumentID != keep.ID {
		t.Fatalf("keyword search after delete: %+v", kw)
	}
	vec, err := s.SearchVector(ctx, axis(1), 10)
	wantErr(t, "vector", err, nil)
	if len(vec) != 1 || vec[0].DocumentID != keep.ID {
		t.Fatalf("vector search after delete: %+v", vec)
	}
}

// assertRanked checks scores descend, ties broken by chunk id.
func assertRanked(t *testing.T, hits []memory.ChunkHit) {
	t.Helper()
	for i := 1; i < len(hits); i++ {
		a, b := hits[i-1], hits[i]
		if a.Score < b.Score || (a.Score == b.Score && a.ID > b.ID) {
			t.Fatalf("hits %d and %d out of order: %v/%s before %v/%s", i-1, i, a.Score, a.ID, b.Score, b.ID)
		}
	}
}
