package storetest

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

func chunk(heading string, terms []string, emb []float32) memory.Chunk {
	return memory.Chunk{Heading: heading, Text: heading + " text", Lang: "en", Terms: terms, Embedding: emb}
}

func testDocuments(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)

	older := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	d1, err := s.AddDocument(ctx, memory.Document{Title: "Returns", Source: "returns.md", Format: "markdown", Lang: "en", CreatedAt: older},
		[]memory.Chunk{chunk("Returns > Window", []string{"return", "days"}, axis(0)), chunk("Returns > Refund", []string{"refund"}, axis(1))})
	wantErr(t, "add", err, nil)
	if d1.ID == "" || d1.Chunks != 2 || !d1.CreatedAt.Equal(older) || d1.Title != "Returns" || d1.Source != "returns.md" || d1.Format != "markdown" || d1.Lang != "en" {
		t.Fatalf("add: got %+v", d1)
	}
	d2, err := s.AddDocument(ctx, memory.Document{ID: "doc_given", Title: "退货政策", Format: "faq", Lang: "zh"},
		[]memory.Chunk{{ID: "chk_given", DocumentID: "doc_other", Heading: "怎么退货", Text: "七天无理由", Lang: "zh", Terms: []string{"退货", "七天"}, Embedding: axis(2)}})
	wantErr(t, "add with ids", err, nil)
	if d2.ID != "doc_given" || d2.Chunks != 1 || d2.CreatedAt.IsZero() {
		t.Fatalf("add with ids: got %+v", d2)
	}
	empty, err := s.AddDocument(ctx, memory.Document{Title: "empty", CreatedAt: older.Add(-time.Hour)}, nil)
	wantErr(t, "add without chunks", err, nil)

	docs, err := s.Documents(ctx)
	wantErr(t, "documents", err, nil)
	wantDocs := []memory.Document{d2, d1, empty}
	if !slices.EqualFunc(docs, wantDocs, sameDocument) {
		t.Fatalf("documents: got %+v, want newest first %+v", docs, wantDocs)
	}

	hits, err := s.SearchKeyword(ctx, []string{"退货"}, 5)
	wantErr(t, "search", err, nil)
	if len(hits) != 1 || hits[0].ID != "chk_given" || hits[0].DocumentID != "doc_given" || hits[0].Title != "退货政策" ||
		hits[0].Heading != "怎么退货" || hits[0].Text != "七天无理由" || hits[0].Lang != "zh" || hits[0].Ord != 0 {
		t.Fatalf("stored chunk: got %+v", hits)
	}

	bad := []struct {
		name   string
		doc    memory.Document
		chunks []memory.Chunk
		want   error
	}{
		{"short embedding", memory.Document{Title: "bad"}, []memory.Chunk{chunk("ok", []string{"zzz"}, axis(0)), chunk("bad", []string{"zzz"}, make([]float32, Dim-1))}, memory.ErrInvalid},
		{"long embedding", memory.Document{Title: "bad"}, []memory.Chunk{chunk("bad", []string{"zzz"}, make([]float32, Dim+1))}, memory.ErrInvalid},
		{"missing embedding", memory.Document{Title: "bad"}, []memory.Chunk{chunk("bad", []string{"zzz"}, nil)}, memory.ErrInvalid},
		{"zero embedding", memory.Document{Title: "bad"}, []memory.Chunk{chunk("bad", []string{"zzz"}, make([]float32, Dim))}, memory.ErrInvalid},
		{"NaN embedding", memory.Document{Title: "bad"}, []memory.Chunk{chunk("bad", []string{"zzz"}, nanVector())}, memory.ErrInvalid},
		{"invalid UTF-8 text", memory.Document{Title: "bad"}, []memory.Chunk{{Text: "\xff", Terms: []string{"zzz"}, Embedding: axis(0)}}, memory.ErrInvalid},
		{"NUL in term", memory.Document{Title: "bad"}, []memory.Chunk{{Text: "ok", Terms: []string{"zzz", "a\x00"}, Embedding: axis(0)}}, memory.ErrInvalid},
		{"existing document id", memory.Document{ID: "doc_given"}, []memory.Chunk{chunk("dup", []string{"zzz"}, axis(0))}, memory.ErrConflict},
		{"existing chunk id", memory.Document{Title: "dup"}, []memory.Chunk{{ID: "chk_given", Terms: []string{"zzz"}, Embedding: axis(0)}}, memory.ErrConflict},
		{"repeated chunk id", memory.Document{Title: "dup"}, []memory.Chunk{{ID: "chk_x", Terms: []string{"zzz"}, Embedding: axis(0)}, {ID: "chk_x", Terms: []string{"zzz"}, Embedding: axis(1)}}, memory.ErrConflict},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AddDocument(ctx, tc.doc, tc.chunks)
			wantErr(t, "add", err, tc.want)
		})
	}
	t.Run("failed adds store nothing", func(t *testing.T) {
		after, err := s.Documents(ctx)
		wantErr(t, "documents", err, nil)
		if !slices.EqualFunc(after, wantDocs, sameDocument) {
			t.Fatalf("documents after failed adds: %+v", after)
		}
		hits, err := s.SearchKeyword(ctx, []string{"zzz"}, 10)
		wantErr(t, "search", err, nil)
		if len(hits) != 0 {
			t.Fatalf("chunks of failed adds are searchable: %+v", hits)
		}
	})

	t.Run("delete", func(t *testing.T) {
		wantErr(t, "delete", s.DeleteDocument(ctx, d1.ID), nil)
		wantErr(t, "delete again", s.DeleteDocument(ctx, d1.ID), memory.ErrNotFound)
		wantErr(t, "delete unknown", s.DeleteDocument(ctx, "doc_missing"), memory.ErrNotFound)
		after, err := s.Documents(ctx)
		wantErr(t, "documents", err, nil)
		if !slices.EqualFunc(after, []memory.Document{d2, empty}, sameDocument) {
			t.Fatalf("documents after delete: %+v", after)
		}
	})
}

func sameDocument(a, b memory.Document) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Source == b.Source && a.Format == b.Format &&
		a.Lang == b.Lang && a.Chunks == b.Chunks && a.CreatedAt.Equal(b.CreatedAt)
}

func nanVector() []float32 {
	v := axis(0)
	v[1] = float32(math.NaN())
	return v
}
