package knowledge

import (
	"context"
	"fmt"
	"sync"

	"github.com/kairoscx/kairos/memory"
)

// candidates returns up to n vector and n keyword candidates for query. The
// keyword search runs beside embedding the query and the vector search: it
// needs nothing from them, and on PostgreSQL each is a round trip (the
// embedding may be one too). The first failure cancels the other side and
// is the error returned, so a broken store is not reported as a
// cancellation.
func (b *Base) candidates(ctx context.Context, query string, terms []string, n int) (vhits, khits []memory.ChunkHit, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	if len(terms) > 0 {
		wg.Go(func() {
			hits, err := b.store.SearchKeyword(ctx, terms, n)
			if err != nil {
				fail(fmt.Errorf("knowledge: search: keyword: %w", err))
				return
			}
			khits = hits
		})
	}
	vhits, err = b.vectorCandidates(ctx, query, n)
	if err != nil {
		fail(err)
	}
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	return vhits, khits, nil
}

// vectorCandidates embeds query and returns the n nearest chunks; a query
// the embedder maps to the zero vector (no features) has none.
func (b *Base) vectorCandidates(ctx context.Context, query string, n int) ([]memory.ChunkHit, error) {
	vecs, err := b.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("knowledge: search: embed query: %w", err)
	}
	if len(vecs) != 1 || isZero(vecs[0]) {
		return nil, nil
	}
	hits, err := b.store.SearchVector(ctx, vecs[0], n)
	if err != nil {
		return nil, fmt.Errorf("knowledge: search: vector: %w", err)
	}
	return hits, nil
}
