// Package storetest is the contract suite every memory.Store implementation
// passes: the same table tests and benchmarks run against the embedded store
// and PostgreSQL, so the two cannot drift apart.
package storetest

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

// Dim is the embedding dimension the suite uses. The open function given to
// Run must return a store configured with it.
const Dim = 8

// Run runs the whole contract suite. open must return a fresh, empty store
// configured with Dim; Run closes the stores it opens.
func Run(t *testing.T, open func(t *testing.T) memory.Store) {
	fresh := func(t *testing.T) memory.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	}
	t.Run("Ping", func(t *testing.T) {
		if err := fresh(t).Ping(context.Background()); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
	t.Run("Customers", func(t *testing.T) { testCustomers(t, fresh) })
	t.Run("Conversations", func(t *testing.T) { testConversations(t, fresh) })
	t.Run("Messages", func(t *testing.T) { testMessages(t, fresh) })
	t.Run("Sequences", func(t *testing.T) { testSequences(t, fresh) })
	t.Run("ReplyTo", func(t *testing.T) { testReplyTo(t, fresh) })
	t.Run("Ack", func(t *testing.T) { testAck(t, fresh) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, fresh) })
	t.Run("Documents", func(t *testing.T) { testDocuments(t, fresh) })
	t.Run("SearchVector", func(t *testing.T) { testSearchVector(t, fresh) })
	t.Run("SearchKeyword", func(t *testing.T) { testSearchKeyword(t, fresh) })
	t.Run("SearchAfterDelete", func(t *testing.T) { testSearchAfterDelete(t, fresh) })
}

type opener func(t *testing.T) memory.Store

// wantErr fails t unless err matches want (nil means no error expected).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// unitVector returns a random vector of length dim with norm 1.
func unitVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var n float64
	for i := range v {
		x := r.NormFloat64()
		v[i] = float32(x)
		n += x * x
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
	return v
}

// axis returns the unit vector along dimension i.
func axis(i int) []float32 {
	v := make([]float32, Dim)
	v[i%Dim] = 1
	return v
}

func newCustomer(t *testing.T, s memory.Store) memory.Customer {
	t.Helper()
	c, _, err := s.CustomerByIdentity(context.Background(), memory.Identity{Kind: "web_visitor", Value: memory.NewID("v_")})
	if err != nil {
		t.Fatalf("new customer: %v", err)
	}
	return c
}

func newConversation(t *testing.T, s memory.Store) memory.Conversation {
	t.Helper()
	c := newCustomer(t, s)
	conv, err := s.CurrentConversation(context.Background(), c.ID, "web", farPast)
	if err != nil {
		t.Fatalf("new conversation: %v", err)
	}
	return conv
}

func appendText(t *testing.T, s memory.Store, convID string, role memory.Role, text string) memory.Message {
	t.Helper()
	m, _, err := s.AppendMessage(context.Background(), memory.Message{ConversationID: convID, Role: role, Text: text})
	if err != nil {
		t.Fatalf("append %q: %v", text, err)
	}
	return m
}
