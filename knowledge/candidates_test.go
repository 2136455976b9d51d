package knowledge

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
)

// splitStore is a Store whose vector and keyword searches behave
// separately: each either fails with its error, waits for ctx to end, or
// returns one chunk. The searches run at once, so a search that waits can
// only end through the other's failure cancelling it.
type splitStore struct {
	failingStore
	vectorErr, keywordErr     error
	vectorWaits, keywordWaits bool
}

func (s splitStore) SearchVector(ctx context.Context, _ []float32, _ int) ([]memory.ChunkHit, error) {
	return s.search(ctx, "vec", s.vectorErr, s.vectorWaits)
}

func (s splitStore) SearchKeyword(ctx context.Context, _ []string, _ int) ([]memory.ChunkHit, error) {
	return s.search(ctx, "kw", s.keywordErr, s.keywordWaits)
}

func (s splitStore) search(ctx context.Context, id string, err error, wait bool) ([]memory.ChunkHit, error) {
	if wait {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return []memory.ChunkHit{{Chunk: memory.Chunk{ID: id, Heading: "退货", Text: "退货政策"}, Score: 1}}, nil
}

func TestSearchRunsBothRetrievalsAndReportsTheFirstFailure(t *testing.T) {
	diskFull, indexGone := errors.New("disk full"), errors.New("index gone")
	tests := []struct {
		name    string
		store   splitStore
		wantErr error  // nil: success
		wantIn  string // what the error says it was doing
		wantIDs string
	}{
		{"both answer", splitStore{}, nil, "", "kw,vec"},
		{"keyword fails while vector waits", splitStore{keywordErr: diskFull, vectorWaits: true}, diskFull, "keyword", ""},
		{"vector fails while keyword waits", splitStore{vectorErr: indexGone, keywordWaits: true}, indexGone, "vector", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.store, embed.NewOffline(64), nil)
			hits, err := b.Search(context.Background(), "退货政策", 5)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, h := range hits {
					ids = append(ids, h.ID)
				}
				slices.Sort(ids)
				if strings.Join(ids, ",") != tt.wantIDs {
					t.Fatalf("hits %v, want both searches' chunks", ids)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("err = %v, want the %s failure %v and not the cancellation it caused", err, tt.wantIn, tt.wantErr)
			}
		})
	}
}

func TestSearchEndsWithItsContext(t *testing.T) {
	b := New(splitStore{vectorWaits: true, keywordWaits: true}, embed.NewOffline(64), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Search(ctx, "退货政策", 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestViewCache(t *testing.T) {
	var vc viewCache
	c := memory.Chunk{ID: "chk_1", Heading: "Returns > Refund Timing", Text: "Refunds arrive in 3-5 days."}
	v := vc.get(c)
	if v.full.text != "returns > refund timing\nrefunds arrive in 3-5 days." || v.section.text != "refund timing\nrefunds arrive in 3-5 days." {
		t.Fatalf("views = %q / %q", v.full.text, v.section.text)
	}
	if !v.full.has("return") || v.section.has("return") || !v.section.has("timing") {
		t.Errorf("full words %v, section words %v", v.full.words, v.section.words)
	}
	if vc.get(c) != v {
		t.Error("the same chunk ID was measured again")
	}
	if vc.get(memory.Chunk{Text: "no id"}) == vc.get(memory.Chunk{Text: "no id"}) || len(vc.m) != 1 {
		t.Error("a chunk without an ID was cached")
	}
	for i := range maxViews {
		vc.get(memory.Chunk{ID: "fill" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Text: "t"})
	}
	if n := len(vc.m); n > maxViews || n == 0 {
		t.Fatalf("cache holds %d views, want 1..%d", n, maxViews)
	}
}
