package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// BenchTurn measures the store's share of one chat turn, without search:
// append the customer's message (with a client id), read the recent
// transcript, reserve the reply's number, append the reply and ack it, over
// 100 conversations taken in turn. It reports p50 and p99 per turn next to
// ns/op, because a turn's tail is what a customer notices.
func BenchTurn(b *testing.B, open func(b *testing.B) memory.Store) {
	ctx := context.Background()
	s := open(b)
	b.Cleanup(func() { s.Close() })
	convs := make([]memory.Conversation, 100)
	for i := range convs {
		c, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: fmt.Sprint("bench", i)})
		if err != nil {
			b.Fatal(err)
		}
		if convs[i], err = s.CurrentConversation(ctx, c.ID, "web", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	turn := func(i int, clientID string) {
		conv := convs[i%len(convs)].ID
		q, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv, Role: memory.RoleCustomer, Text: "退货政策是什么？", ClientID: clientID})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.LastMessages(ctx, conv, 12); err != nil {
			b.Fatal(err)
		}
		seq, err := s.ReserveSeq(ctx, conv)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv, Seq: seq, Role: memory.RoleBot, Text: "签收后7天内支持无理由退货。", ReplyTo: q.Seq}); err != nil {
			b.Fatal(err)
		}
		if err := s.Ack(ctx, conv, seq); err != nil {
			b.Fatal(err)
		}
	}
	for i := range len(convs) {
		turn(i, fmt.Sprint("warm", i)) // prepared statements, pages, connections
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		turn(i, fmt.Sprint("c", i))
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
