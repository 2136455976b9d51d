package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

const workers = 16

// parallel runs fn in n goroutines released at the same moment.
func parallel(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

func testConcurrency(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)

	t.Run("new identity", func(t *testing.T) {
		id := memory.Identity{Kind: "wechat_openid", Value: memory.NewID("o_")}
		var (
			mu      sync.Mutex
			ids     = map[string]int{}
			created int
		)
		parallel(workers, func(int) {
			c, isNew, err := s.CustomerByIdentity(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("customer by identity: %v", err)
				return
			}
			ids[c.ID]++
			if isNew {
				created++
			}
		})
		if len(ids) != 1 || created != 1 {
			t.Fatalf("got customers %v with %d created, want exactly one created", ids, created)
		}
	})

	t.Run("current conversation", func(t *testing.T) {
		cus := newCustomer(t, s)
		var (
			mu  sync.Mutex
			ids = map[string]int{}
		)
		parallel(workers, func(int) {
			c, err := s.CurrentConversation(ctx, cus.ID, "web", farPast)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("current conversation: %v", err)
				return
			}
			ids[c.ID]++
		})
		if len(ids) != 1 {
			t.Fatalf("concurrent first calls started %d conversations, want 1", len(ids))
		}
	})

	t.Run("same client id", func(t *testing.T) {
		conv := newConversation(t, s)
		var (
			mu      sync.Mutex
			stored  []memory.Message
			created int
		)
		parallel(workers, func(int) {
			m, isNew, err := s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "once", ClientID: "dup"})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("append: %v", err)
				return
			}
			stored = append(stored, m)
			if isNew {
				created++
			}
		})
		if created != 1 {
			t.Fatalf("%d appends created a message, want exactly 1", created)
		}
		for _, m := range stored {
			if !sameMessage(m, stored[0]) {
				t.Fatalf("callers saw different messages: %+v and %+v", m, stored[0])
			}
		}
		all, err := s.Messages(ctx, conv.ID, 0, 100)
		wantErr(t, "messages", err, nil)
		if len(all) != 1 {
			t.Fatalf("stored %d messages, want 1", len(all))
		}
	})

	t.Run("client ids", func(t *testing.T) {
		// Resends of four client ids interleaved with fresh messages:
		// each client id is stored once under one sequence number, and no
		// number is handed to two messages. Numbers may have gaps (a
		// resend that lost a race may spend one), so none are expected.
		conv := newConversation(t, s)
		var (
			mu       sync.Mutex
			byClient = map[string]map[int64]bool{}
			created  = map[string]int{}
			seqs     = map[int64]string{}
		)
		parallel(32, func(i int) {
			m := memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: fmt.Sprint(i)}
			if i%4 != 3 {
				m.ClientID = fmt.Sprint("c", i%3)
			}
			got, isNew, err := s.AppendMessage(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("append %d: %v", i, err)
				return
			}
			if m.ClientID == "" {
				if !isNew {
					t.Errorf("append %d without client id: created=false", i)
				}
				if prev, ok := seqs[got.Seq]; ok {
					t.Errorf("seq %d handed to %q and to a fresh message", got.Seq, prev)
				}
				seqs[got.Seq] = ""
				return
			}
			if byClient[m.ClientID] == nil {
				byClient[m.ClientID] = map[int64]bool{}
			}
			byClient[m.ClientID][got.Seq] = true
			if isNew {
				created[m.ClientID]++
				if prev, ok := seqs[got.Seq]; ok {
					t.Errorf("seq %d handed to %q and to %q", got.Seq, prev, m.ClientID)
				}
				seqs[got.Seq] = m.ClientID
			}
		})
		for _, c := range []string{"c0", "c1", "c2"} {
			if created[c] != 1 || len(byClient[c]) != 1 {
				t.Fatalf("client id %s: created %d times, seen under seqs %v; want once under one seq", c, created[c], byClient[c])
			}
		}
		all, err := s.Messages(ctx, conv.ID, 0, 100)
		wantErr(t, "messages", err, nil)
		if len(all) != 3+8 {
			t.Fatalf("stored %d messages, want 3 client messages and 8 fresh ones", len(all))
		}
	})

	t.Run("sequence numbers", func(t *testing.T) {
		conv := newConversation(t, s)
		const n = 40
		var (
			mu   sync.Mutex
			seen = map[int64]bool{}
			high int64
		)
		parallel(n, func(i int) {
			var seq int64
			var err error
			if i%2 == 0 {
				var m memory.Message
				m, _, err = s.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleBot, Text: fmt.Sprint(i)})
				seq = m.Seq
			} else {
				seq, err = s.ReserveSeq(ctx, conv.ID)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
				return
			}
			if seq < 1 || seen[seq] {
				t.Errorf("seq %d handed out twice or below 1", seq)
			}
			seen[seq] = true
			high = max(high, seq)
		})
		// The contract promises unique, increasing numbers, not gap-free
		// ones, so only uniqueness and LastSeq covering them are checked.
		got, err := s.Conversation(ctx, conv.ID)
		wantErr(t, "conversation", err, nil)
		if len(seen) != n || got.LastSeq < high {
			t.Fatalf("%d distinct seqs up to %d, LastSeq %d; want %d distinct, LastSeq >= the highest", len(seen), high, got.LastSeq, n)
		}
		next, err := s.ReserveSeq(ctx, conv.ID)
		wantErr(t, "reserve after", err, nil)
		if next <= high {
			t.Fatalf("reserve after the burst got %d, want above %d", next, high)
		}
	})

	t.Run("documents and searches", func(t *testing.T) {
		parallel(8, func(i int) {
			if i%2 == 0 {
				d, err := s.AddDocument(ctx, memory.Document{Title: "t"}, []memory.Chunk{
					{Text: "x", Terms: []string{"alpha", "beta"}, Embedding: axis(i)},
				})
				if err != nil {
					t.Errorf("add: %v", err)
					return
				}
				if i%4 == 0 {
					if err := s.DeleteDocument(ctx, d.ID); err != nil {
						t.Errorf("delete: %v", err)
					}
				}
				return
			}
			if _, err := s.SearchVector(ctx, axis(i), 3); err != nil {
				t.Errorf("search vector: %v", err)
			}
			if _, err := s.SearchKeyword(ctx, []string{"alpha"}, 3); err != nil {
				t.Errorf("search keyword: %v", err)
			}
		})
		hits, err := s.SearchKeyword(ctx, []string{"alpha"}, 10)
		wantErr(t, "search keyword", err, nil)
		if len(hits) != 2 {
			t.Fatalf("after 4 adds and 2 deletes, keyword search found %d chunks, want 2", len(hits))
		}
	})
}
