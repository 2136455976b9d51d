package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
	"github.com/kairoscx/kairos/memory/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t testing.TB, url string, dim int) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Options{URL: url, Dim: dim, Logger: quiet})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) memory.Store { return open(t, pgtest.URL(t), storetest.Dim) })
}

func BenchmarkSearch(b *testing.B) {
	storetest.BenchSearch(b, func(b *testing.B) memory.Store { return open(b, pgtest.URL(b), storetest.BenchDim) })
}

// BenchmarkEFSearch measures HNSW recall and speed on the realistic corpus
// for several ef_search values; defaultEFSearch is chosen from it.
//
//	go test ./memory/postgres -run '^$' -bench EFSearch -benchtime 2000x
func BenchmarkEFSearch(b *testing.B) {
	c, err := storetest.Realistic()
	if err != nil {
		b.Fatal(err)
	}
	url := pgtest.URL(b)
	s := open(b, url, storetest.BenchDim)
	defer s.Close()
	c.Load(b, s)
	for _, ef := range []int{20, 40, 64, 100, 200} {
		for _, k := range []int{10, 20} {
			if k > ef {
				continue
			}
			b.Run(fmt.Sprintf("ef=%d/k=%d", ef, k), func(b *testing.B) {
				s, err := postgres.Open(context.Background(), postgres.Options{URL: url, Dim: storetest.BenchDim, Logger: quiet, EFSearch: ef})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				c.BenchVector(b, s, k)
			})
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)

	t.Run("concurrent first opens", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: storetest.Dim, Logger: quiet})
				if err == nil {
					err = s.Ping(ctx)
					s.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent open: %v", err)
			}
		}
	})

	t.Run("data survives reopen", func(t *testing.T) {
		s := open(t, url, storetest.Dim)
		c, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v"})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		s.Close() // idempotent
		s = open(t, url, storetest.Dim)
		defer s.Close()
		again, created, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "v"})
		if err != nil || created || again.ID != c.ID {
			t.Fatalf("after reopen: %+v created=%v err=%v", again, created, err)
		}
	})

	t.Run("other dimension", func(t *testing.T) {
		_, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: 1536, Logger: quiet})
		want := "store was created with 8-dimensional embeddings, configured 1536: re-create or re-ingest"
		if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Fatalf("open with another dimension: %v", err)
		}
	})

	bad := []struct {
		name string
		o    postgres.Options
	}{
		{"no dim", postgres.Options{URL: url}},
		{"too many dims for HNSW", postgres.Options{URL: url, Dim: 3072}},
		{"ef_search too large", postgres.Options{URL: url, Dim: 8, EFSearch: 1001}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := postgres.Open(ctx, tc.o); !errors.Is(err, memory.ErrInvalid) {
				t.Fatalf("open: %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("bad url", func(t *testing.T) {
		if _, err := postgres.Open(ctx, postgres.Options{URL: "postgres://%zz", Dim: 8}); err == nil {
			t.Fatal("open with a malformed URL succeeded")
		}
	})
}

func BenchmarkTurn(b *testing.B) {
	storetest.BenchTurn(b, func(b *testing.B) memory.Store { return open(b, pgtest.URL(b), storetest.Dim) })
}

func TestCustomers(t *testing.T) {
	storetest.RunCustomers(t, func(t *testing.T) storetest.CustomerStore { return open(t, pgtest.URL(t), storetest.Dim) })
}

// go test ./memory/postgres -run '^$' -bench AppendEvents -benchtime 200x
func BenchmarkAppendEvents(b *testing.B) {
	storetest.BenchAppendEvents(b, func(b *testing.B) memory.Store { return open(b, pgtest.URL(b), storetest.Dim) })
}

// BenchmarkUpdateProfiles runs storetest.BenchUpdateProfiles with the
// store's profile cache on (the default) and off, alternately:
//
//	go test ./memory/postgres -run '^$' -bench UpdateProfiles -benchtime 50x -count 3
func BenchmarkUpdateProfiles(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"cache", 0}, {"no-cache", -1}} {
		b.Run(c.name, func(b *testing.B) {
			storetest.BenchUpdateProfiles(b, func(b *testing.B) memory.Store {
				s, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.URL(b), Dim: storetest.Dim, Logger: quiet, ProfileCache: c.size})
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		})
	}
}
