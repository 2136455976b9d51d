package bot

import (
	"context"
	"errors"
	"testing"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// linkStore is the embedded store as the identify test uses it.
type linkStore interface {
	memory.Store
	memory.CustomerStore
}

func TestIdentifyMergesVisitorsIntoTheKnownUser(t *testing.T) {
	h := start(t, nil)
	ctx := context.Background()
	store, ok := h.store.(linkStore)
	if !ok {
		t.Skipf("%T does not implement memory.CustomerStore", h.store)
	}
	user42 := channels.Identity{Kind: "site_user", Value: "42"}

	// Visitor A (h.sess) chats, then logs in as user 42: 42 becomes A's.
	if _, err := h.e.Receive(ctx, channels.Inbound{ConversationID: h.sess.ConversationID, CustomerID: h.sess.CustomerID,
		Channel: "web", ClientID: "a1", Text: "你好"}); err != nil {
		t.Fatal(err)
	}
	h.out.next(t, channels.OutMessage)
	a := h.sess.CustomerID
	sessA, err := h.e.Identify(ctx, h.sess.ConversationID, user42)
	if err != nil {
		t.Fatal(err)
	}
	if sessA.CustomerID != a || sessA.ConversationID != h.sess.ConversationID || sessA.LastSeq < 2 {
		t.Fatalf("A's session after identify = %+v, want customer %s, its conversation and its messages", sessA, a)
	}

	// Visitor B, on another device, has a memory of their own, then logs
	// in as 42 too: B merges into A.
	sessB, err := h.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	b := sessB.CustomerID
	if b == a {
		t.Fatal("two visitors share a customer before identifying")
	}
	if _, err := store.AddMemory(ctx, memory.Memory{CustomerID: b, Kind: memory.MemoryPreference, Key: "shipping.carrier",
		Text: "prefers SF Express", Value: "SF Express", Importance: 0.6, Embedding: unit(256)}); err != nil {
		t.Fatal(err)
	}
	got, err := h.e.Identify(ctx, sessB.ConversationID, user42)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != a || got.ConversationID != sessB.ConversationID {
		t.Fatalf("B's session after identify = %+v, want customer %s and B's own conversation", got, a)
	}

	// Everything resolves to A.
	if c, err := store.Customer(ctx, b); err != nil || c.ID != a {
		t.Fatalf("Customer(B) = %v, %v; want %s", c, err, a)
	}
	if conv, err := store.Conversation(ctx, sessB.ConversationID); err != nil || conv.CustomerID != a {
		t.Fatalf("B's conversation belongs to %q (%v), want %s", conv.CustomerID, err, a)
	}
	if conv, err := store.Conversation(ctx, h.sess.ConversationID); err != nil || conv.CustomerID != a {
		t.Fatalf("A's conversation belongs to %q (%v), want %s", conv.CustomerID, err, a)
	}
	ids, err := store.Identities(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[memory.Identity]bool{{Kind: "web_visitor", Value: "v1"}: true, {Kind: "web_visitor", Value: "v2"}: true,
		{Kind: "site_user", Value: "42"}: true}
	for _, id := range ids {
		delete(want, id)
	}
	if len(want) > 0 {
		t.Errorf("A's identities %v lack %v", ids, want)
	}
	mems, err := store.Memories(ctx, a, false)
	if err != nil || len(mems) != 1 || mems[0].Value != "SF Express" {
		t.Errorf("A's memories = %v, %v; want B's preference", mems, err)
	}
	merges, err := store.Merges(ctx, a)
	if err != nil || len(merges) == 0 || merges[len(merges)-1].From != b {
		t.Errorf("merges into A = %v, %v; want the last from %s", merges, err, b)
	}
	// B's visitor token now leads to A.
	again, err := h.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "v2"})
	if err != nil || again.CustomerID != a {
		t.Fatalf("reconnecting B = %+v, %v; want customer %s", again, err, a)
	}

	// Repeating identify changes nothing.
	n := len(merges)
	for _, conv := range []string{h.sess.ConversationID, sessB.ConversationID} {
		s, err := h.e.Identify(ctx, conv, user42)
		if err != nil || s.CustomerID != a || s.ConversationID != conv {
			t.Fatalf("repeat identify on %s = %+v, %v", conv, s, err)
		}
	}
	if merges, _ := store.Merges(ctx, a); len(merges) != n {
		t.Errorf("repeats recorded %d more merges", len(merges)-n)
	}
}

func TestIdentifyRefusesBadInput(t *testing.T) {
	h := start(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		conv string
		id   channels.Identity
		want error
	}{
		{"no conversation", "", channels.Identity{Kind: "site_user", Value: "42"}, channels.ErrInvalid},
		{"no kind", h.sess.ConversationID, channels.Identity{Value: "42"}, channels.ErrInvalid},
		{"no value", h.sess.ConversationID, channels.Identity{Kind: "site_user"}, channels.ErrInvalid},
		{"unknown conversation", "conv_nothing", channels.Identity{Kind: "site_user", Value: "42"}, memory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.e.Identify(ctx, tt.conv, tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func unit(dim int) []float32 {
	v := make([]float32, dim)
	v[0] = 1
	return v
}
