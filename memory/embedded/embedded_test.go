package embedded_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/storetest"
)

func open(t testing.TB, dir string, dim int) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: dir, Dim: dim, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) memory.Store { return open(t, t.TempDir(), storetest.Dim) })
}

func BenchmarkSearch(b *testing.B) {
	storetest.BenchSearch(b, func(b *testing.B) memory.Store { return open(b, b.TempDir(), storetest.BenchDim) })
}

func BenchmarkTurn(b *testing.B) {
	storetest.BenchTurn(b, func(b *testing.B) memory.Store { return open(b, b.TempDir(), storetest.Dim) })
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, storetest.Dim)
	cus, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := s.CurrentConversation(ctx, cus.ID, "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	msg, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "你好", ClientID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	vec := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	keep, err := s.AddDocument(ctx, memory.Document{Title: "keep"}, []memory.Chunk{{Text: "kept", Terms: []string{"kept", "退款"}, Embedding: vec}})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.AddDocument(ctx, memory.Document{Title: "gone"}, []memory.Chunk{{Text: "gone", Terms: []string{"gone", "退款"}, Embedding: vec}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.SearchKeyword(ctx, []string{"kept"}, 3); err == nil {
		t.Fatal("search after close succeeded")
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("ping after close succeeded")
	}

	t.Run("other dimension", func(t *testing.T) {
		_, err := embedded.Open(ctx, embedded.Options{Dir: dir, Dim: storetest.Dim * 2})
		if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "re-create or re-ingest") {
			t.Fatalf("open with another dimension: %v", err)
		}
	})

	s = open(t, dir, storetest.Dim)
	defer s.Close()
	again, created, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v1"})
	if err != nil || created || again.ID != cus.ID {
		t.Fatalf("customer after reopen: %+v created=%v err=%v", again, created, err)
	}
	resent, created, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "你好", ClientID: "c1"})
	if err != nil || created || resent.Seq != msg.Seq {
		t.Fatalf("resend after reopen: %+v created=%v err=%v", resent, created, err)
	}
	next, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: "hi"})
	if err != nil || next.Seq != msg.Seq+1 {
		t.Fatalf("append after reopen: %+v err=%v", next, err)
	}
	for name, search := range map[string]func() ([]memory.ChunkHit, error){
		"keyword": func() ([]memory.ChunkHit, error) { return s.SearchKeyword(ctx, []string{"退款"}, 5) },
		"vector":  func() ([]memory.ChunkHit, error) { return s.SearchVector(ctx, vec, 5) },
	} {
		hits, err := search()
		if err != nil || len(hits) != 1 || hits[0].DocumentID != keep.ID {
			t.Fatalf("%s search after reopen: %+v err=%v", name, hits, err)
		}
		// The stored vector came back intact: searching with it scores 1.
		if name == "vector" && math.Abs(hits[0].Score-1) > 1e-6 {
			t.Fatalf("vector search after reopen scores %v, want 1 (embedding changed)", hits[0].Score)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		o    embedded.Options
	}{
		{"no dir", embedded.Options{Dim: 8}},
		{"no dim", embedded.Options{Dir: t.TempDir()}},
		{"negative dim", embedded.Options{Dir: t.TempDir(), Dim: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := embedded.Open(ctx, tc.o); !errors.Is(err, memory.ErrInvalid) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("open: %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("missing dir is created", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		s := open(t, dir, 8)
		defer s.Close()
		if _, err := os.Stat(filepath.Join(dir, embedded.FileName)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestOpenWhileHeld: a second process (here a second Open) gets a clear
// error instead of hanging on bbolt's file lock.
func TestOpenWhileHeld(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: dir, Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = embedded.Open(context.Background(), embedded.Options{Dir: dir, Dim: 8})
	if !errors.Is(err, embedded.ErrInUse) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
}

func TestCustomers(t *testing.T) {
	storetest.RunCustomers(t, func(t *testing.T) storetest.CustomerStore { return open(t, t.TempDir(), storetest.Dim) })
}

// go test ./memory/embedded -run '^$' -bench AppendEvents -benchtime 200x
func BenchmarkAppendEvents(b *testing.B) {
	storetest.BenchAppendEvents(b, func(b *testing.B) memory.Store { return open(b, b.TempDir(), storetest.Dim) })
}

// go test ./memory/embedded -run '^$' -bench UpdateProfiles -benchtime 50x
func BenchmarkUpdateProfiles(b *testing.B) {
	storetest.BenchUpdateProfiles(b, func(b *testing.B) memory.Store { return open(b, b.TempDir(), storetest.Dim) })
}
