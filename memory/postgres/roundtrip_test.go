package postgres

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// countingTracer counts queries and batches sent, each one round trip once
// its statements are prepared on the connection.
type countingTracer struct{ n atomic.Int64 }

func (t *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	t.n.Add(1)
	return ctx
}
func (t *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (t *countingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	t.n.Add(1)
	return ctx
}
func (t *countingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (t *countingTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestRoundTrips pins how many queries each call on a chat turn's path
// costs, so a change that adds one shows up here rather than in p99.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	tr := &countingTracer{}
	s, err := open(ctx, Options{URL: pgtest.URL(t), Dim: 8, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		func(c *pgxpool.Config) {
			c.ConnConfig.Tracer = tr
			c.MaxConns, c.MinConns = 1, 0 // one connection: statements prepared once
		})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := memory.Identity{Kind: "web_visitor", Value: "v"}
	cus, _, err := s.CustomerByIdentity(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := s.CurrentConversation(ctx, cus.ID, "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := s.CurrentConversation(ctx, cus.ID, "empty", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	emb := []float32{1, 0, 0, 0, 0, 0, 0, 0}
	if _, err := s.AddDocument(ctx, memory.Document{Title: "d"}, []memory.Chunk{{Text: "x", Terms: []string{"refund"}, Embedding: emb}}); err != nil {
		t.Fatal(err)
	}
	customer := memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "hi", ClientID: "c1"}
	calls := []struct {
		name string
		want int64
		call func() error
	}{
		{"customer by identity, new", 1, func() error {
			_, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: "w"})
			return err
		}},
		{"customer by identity, known", 1, func() error { _, _, err := s.CustomerByIdentity(ctx, id); return err }},
		{"current conversation, live", 1, func() error { _, err := s.CurrentConversation(ctx, cus.ID, "web", time.Time{}); return err }},
		{"current conversation, new", 2, func() error { _, err := s.CurrentConversation(ctx, cus.ID, "other", time.Time{}); return err }},
		{"append with client id", 1, func() error { _, _, err := s.AppendMessage(ctx, customer); return err }},
		{"resend", 2, func() error { _, _, err := s.AppendMessage(ctx, customer); return err }},
		{"last messages", 1, func() error { _, err := s.LastMessages(ctx, conv.ID, 10); return err }},
		{"messages of empty conversation", 1, func() error { _, err := s.Messages(ctx, empty.ID, 0, 10); return err }},
		{"search vector", 1, func() error { _, err := s.SearchVector(ctx, emb, 10); return err }},
		{"search keyword", 1, func() error { _, err := s.SearchKeyword(ctx, []string{"refund"}, 10); return err }},
		{"reserve seq", 1, func() error { _, err := s.ReserveSeq(ctx, conv.ID); return err }},
		{"append reserved", 1, func() error {
			_, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Seq: 2, Role: memory.RoleBot, Text: "a", ReplyTo: 1})
			return err
		}},
		{"append", 1, func() error {
			_, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: "b"})
			return err
		}},
		{"reply to", 1, func() error { _, err := s.ReplyTo(ctx, conv.ID, 1); return err }},
		{"ack", 1, func() error { return s.Ack(ctx, conv.ID, 2) }},
		// Customer 360.
		{"customer", 1, func() error { _, err := s.Customer(ctx, cus.ID); return err }},
		{"identities", 1, func() error { _, err := s.Identities(ctx, cus.ID); return err }},
		{"append events", 1, func() error {
			_, err := s.AppendEvents(ctx, []memory.Event{{ID: "e1", CustomerID: cus.ID, Type: "page_view", At: time.Now()}, {ID: "e2", CustomerID: cus.ID, Type: "page_view", At: time.Now()}})
			return err
		}},
		{"events", 1, func() error { _, err := s.Events(ctx, cus.ID, memory.EventQuery{Desc: true}); return err }},
		{"profile", 1, func() error { _, err := s.Profile(ctx, cus.ID); return err }},
		{"update profile", 2, func() error {
			_, err := s.UpdateProfile(ctx, cus.ID, func(p *memory.Profile) error { p.Business.Orders++; return nil })
			return err
		}},
		{"add memory", 1, func() error {
			_, err := s.AddMemory(ctx, memory.Memory{ID: "mem_1", CustomerID: cus.ID, Kind: memory.MemoryFact, Text: "x", Embedding: emb})
			return err
		}},
		{"supersede memory", 1, func() error {
			_, err := s.SupersedeMemory(ctx, "mem_1", memory.Memory{ID: "mem_2", Kind: memory.MemoryFact, Text: "y", Terms: []string{"y"}, Embedding: emb})
			return err
		}},
		{"memories", 1, func() error { _, err := s.Memories(ctx, cus.ID, true); return err }},
		{"search memories", 1, func() error { _, err := s.SearchMemories(ctx, cus.ID, emb, 10); return err }},
		{"search memories keyword", 1, func() error { _, err := s.SearchMemoriesKeyword(ctx, cus.ID, []string{"y"}, 10); return err }},
		{"invalidate memory", 1, func() error { return s.InvalidateMemory(ctx, "mem_2", time.Time{}) }},
		{"delete memory", 1, func() error { return s.DeleteMemory(ctx, "mem_2") }},
		{"link identity", 2, func() error {
			_, err := s.LinkIdentity(ctx, cus.ID, memory.Identity{Kind: "site_user", Value: "1"}, "", "test")
			return err
		}},
		{"delete customer", 1, func() error { _, err := s.DeleteCustomer(ctx, cus.ID); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			before := tr.n.Load()
			if err := c.call(); err != nil {
				t.Fatal(err)
			}
			if got := tr.n.Load() - before; got != c.want {
				t.Fatalf("%d queries, want %d", got, c.want)
			}
		})
	}
}
