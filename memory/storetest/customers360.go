package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

// CustomerStore is what RunCustomers tests: the chat store and the
// customer-360 store in one.
type CustomerStore interface {
	memory.Store
	memory.CustomerStore
}

type customerOpener func(t *testing.T) CustomerStore

// RunCustomers runs the customer-360 contract suite. open must return a
// fresh, empty store configured with Dim; RunCustomers closes the stores it
// opens.
func RunCustomers(t *testing.T, open func(t *testing.T) CustomerStore) {
	fresh := func(t *testing.T) CustomerStore {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	}
	t.Run("LinkIdentity", func(t *testing.T) { testLinkIdentity(t, fresh) })
	t.Run("Merge", func(t *testing.T) { testMerge(t, fresh) })
	t.Run("MergeChain", func(t *testing.T) { testMergeChain(t, fresh) })
	t.Run("ConcurrentLinks", func(t *testing.T) { testConcurrentLinks(t, fresh) })
	t.Run("DeleteCustomer", func(t *testing.T) { testDeleteCustomer(t, fresh) })
	t.Run("AppendEvents", func(t *testing.T) { testAppendEvents(t, fresh) })
	t.Run("EventWindows", func(t *testing.T) { testEventWindows(t, fresh) })
	t.Run("Profile", func(t *testing.T) { testProfile(t, fresh) })
	t.Run("ConcurrentProfileUpdates", func(t *testing.T) { testConcurrentProfileUpdates(t, fresh) })
	t.Run("UpdateProfiles", func(t *testing.T) { testUpdateProfiles(t, fresh) })
	t.Run("ConcurrentBatchUpdates", func(t *testing.T) { testConcurrentBatchUpdates(t, fresh) })
	t.Run("Memories", func(t *testing.T) { testMemories(t, fresh) })
	t.Run("BadMemories", func(t *testing.T) { testBadMemories(t, fresh) })
	t.Run("SupersedeMemory", func(t *testing.T) { testSupersede(t, fresh) })
	t.Run("SearchMemories", func(t *testing.T) { testSearchMemories(t, fresh) })
	t.Run("SearchMemoriesKeyword", func(t *testing.T) { testSearchMemoriesKeyword(t, fresh) })
	t.Run("DeleteMemory", func(t *testing.T) { testDeleteMemory(t, fresh) })
	t.Run("CustomersBatch", func(t *testing.T) { testCustomersBatch(t, fresh) })
	t.Run("StoredEvents", func(t *testing.T) { testStoredEvents(t, fresh) })
	t.Run("MergeProfileState", func(t *testing.T) { testMergeProfileState(t, fresh) })
}

func identity(kind, value string) memory.Identity { return memory.Identity{Kind: kind, Value: value} }

func customerBy(t *testing.T, s CustomerStore, id memory.Identity) memory.Customer {
	t.Helper()
	c, _, err := s.CustomerByIdentity(context.Background(), id)
	if err != nil {
		t.Fatalf("customer by %v: %v", id, err)
	}
	return c
}

func wantCustomer(t *testing.T, s CustomerStore, id, want string) {
	t.Helper()
	c, err := s.Customer(context.Background(), id)
	if err != nil || c.ID != want {
		t.Fatalf("customer %s: got %q (%v), want %q", id, c.ID, err, want)
	}
}

func wantIdentities(t *testing.T, s CustomerStore, cus string, want ...memory.Identity) {
	t.Helper()
	got, err := s.Identities(context.Background(), cus)
	wantErr(t, "identities", err, nil)
	less := func(a, b memory.Identity) int {
		if a.Kind != b.Kind {
			return cmpString(a.Kind, b.Kind)
		}
		return cmpString(a.Value, b.Value)
	}
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Fatalf("identities of %s: got %v, want %v", cus, got, want)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testLinkIdentity(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	visitor := identity(memory.IdentityWebVisitor, "v1")
	user := identity(memory.IdentitySiteUser, "42")
	a := customerBy(t, s, visitor)

	got, err := s.LinkIdentity(ctx, a.ID, user, "", "identify site_user 42")
	wantErr(t, "attach unknown identity", err, nil)
	if got.ID != a.ID || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("attach: got %+v, want %+v", got, a)
	}
	wantIdentities(t, s, a.ID, visitor, user)
	if c, created, err := s.CustomerByIdentity(ctx, user); err != nil || created || c.ID != a.ID {
		t.Fatalf("customer by linked identity: %+v created=%v err=%v, want %s", c, created, err, a.ID)
	}
	got, err = s.LinkIdentity(ctx, a.ID, user, a.ID, "again")
	wantErr(t, "link owned identity again", err, nil)
	if got.ID != a.ID {
		t.Fatalf("relink: got %s, want %s", got.ID, a.ID)
	}
	merges, err := s.Merges(ctx, a.ID)
	wantErr(t, "merges", err, nil)
	if len(merges) != 0 {
		t.Fatalf("linking without a second customer recorded merges %+v", merges)
	}

	b := customerBy(t, s, identity(memory.IdentityPhone, "+8613800000000"))
	bad := []struct {
		name     string
		customer string
		id       memory.Identity
		survivor string
		want     error
	}{
		{"unknown customer", "cus_nobody", identity("x", "y"), "", memory.ErrNotFound},
		{"survivor neither", a.ID, identity(memory.IdentityPhone, "+8613800000000"), "cus_nobody", memory.ErrInvalid},
		{"survivor a third customer", a.ID, identity(memory.IdentityPhone, "+8613800000000"), customerBy(t, s, identity("x", "third")).ID, memory.ErrInvalid},
		{"survivor of an unowned identity", a.ID, identity("x", "new"), b.ID, memory.ErrInvalid},
		{"empty kind", a.ID, identity("", "y"), "", memory.ErrInvalid},
		{"empty value", a.ID, identity("x", ""), "", memory.ErrInvalid},
		{"NUL in value", a.ID, identity("x", "a\x00b"), "", memory.ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.LinkIdentity(ctx, tc.customer, tc.id, tc.survivor, "test")
			wantErr(t, "link", err, tc.want)
		})
	}
	// Nothing of the refused links happened.
	wantCustomer(t, s, b.ID, b.ID)
	wantIdentities(t, s, a.ID, visitor, user)
	if _, err := s.Customer(ctx, "cus_nobody"); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("unknown customer: %v, want ErrNotFound", err)
	}
}

// richCustomer gives a new customer an identity, a conversation with two
// messages, two events, a memory and a profile.
func richCustomer(t *testing.T, s CustomerStore, name string) (memory.Customer, memory.Conversation, memory.Memory) {
	t.Helper()
	ctx := context.Background()
	c := customerBy(t, s, identity(memory.IdentityWebVisitor, name))
	conv, err := s.CurrentConversation(ctx, c.ID, "web", farPast)
	wantErr(t, "conversation", err, nil)
	appendText(t, s, conv.ID, memory.RoleCustomer, name+" says hi")
	appendText(t, s, conv.ID, memory.RoleBot, "hello "+name)
	_, err = s.AppendEvents(ctx, []memory.Event{
		{ID: name + "-e1", CustomerID: c.ID, Type: "page_view", At: at(1), Props: []byte(`{"url":"/a"}`)},
		{ID: name + "-e2", CustomerID: c.ID, Type: "order_placed", At: at(2)},
	})
	wantErr(t, "events", err, nil)
	m := addMemory(t, s, memory.Memory{CustomerID: c.ID, Kind: memory.MemoryFact, Text: name + "'s fact", Terms: []string{name, "fact"}, Embedding: axis(len(name))})
	_, err = s.UpdateProfile(ctx, c.ID, func(p *memory.Profile) error {
		p.Business.Orders = 2
		p.Business.LastOrderAt = at(2)
		p.Behaviour.PageViews = 5
		p.Interaction.QuestionTypes = map[string]int{"refund": 1}
		return nil
	})
	wantErr(t, "profile", err, nil)
	return c, conv, m
}

func testMerge(t *testing.T, open customerOpener) {
	for _, keep := range []string{"linking customer", "identity owner"} {
		t.Run("survivor is "+keep, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			a, convA, memA := richCustomer(t, s, "alice")
			b, convB, memB := richCustomer(t, s, "bob")
			into, from := a, b
			if keep == "identity owner" {
				into, from = b, a
			}
			got, err := s.LinkIdentity(ctx, a.ID, identity(memory.IdentityWebVisitor, "bob"), into.ID, "identify site_user 7")
			wantErr(t, "merge", err, nil)
			if got.ID != into.ID || !got.CreatedAt.Equal(into.CreatedAt) {
				t.Fatalf("merge returned %+v, want %+v", got, into)
			}
			wantCustomer(t, s, from.ID, into.ID)
			wantIdentities(t, s, into.ID, identity(memory.IdentityWebVisitor, "alice"), identity(memory.IdentityWebVisitor, "bob"))
			wantIdentities(t, s, from.ID, identity(memory.IdentityWebVisitor, "alice"), identity(memory.IdentityWebVisitor, "bob"))
			for _, v := range []string{"alice", "bob"} {
				if c, created, err := s.CustomerByIdentity(ctx, identity(memory.IdentityWebVisitor, v)); err != nil || created || c.ID != into.ID {
					t.Fatalf("customer by %s: %+v created=%v err=%v, want %s", v, c, created, err, into.ID)
				}
			}
			for _, conv := range []memory.Conversation{convA, convB} {
				got, err := s.Conversation(ctx, conv.ID)
				if err != nil || got.CustomerID != into.ID {
					t.Fatalf("conversation %s after merge: %+v %v, want customer %s", conv.ID, got, err, into.ID)
				}
				if msgs, err := s.Messages(ctx, conv.ID, 0, 0); err != nil || len(msgs) != 2 {
					t.Fatalf("messages of %s after merge: %d %v", conv.ID, len(msgs), err)
				}
			}
			// The later started of the two web conversations (bob's) stays
			// current.
			if cur, err := s.CurrentConversation(ctx, from.ID, "web", farPast); err != nil || cur.CustomerID != into.ID || cur.ID != convB.ID {
				t.Fatalf("current conversation of the merged id: %+v %v, want %s", cur, err, convB.ID)
			}
			evs, err := s.Events(ctx, into.ID, memory.EventQuery{})
			if err != nil || len(evs) != 4 {
				t.Fatalf("events after merge: %d %v, want 4", len(evs), err)
			}
			for _, e := range evs {
				if e.CustomerID != into.ID {
					t.Fatalf("event %s belongs to %s, want %s", e.ID, e.CustomerID, into.ID)
				}
			}
			if evs, err := s.Events(ctx, from.ID, memory.EventQuery{}); err != nil || len(evs) != 4 {
				t.Fatalf("events by the merged id: %d %v, want 4", len(evs), err)
			}
			mems, err := s.Memories(ctx, into.ID, false)
			if err != nil || len(mems) != 2 {
				t.Fatalf("memories after merge: %d %v, want 2", len(mems), err)
			}
			for _, m := range []memory.Memory{memA, memB} {
				hits, err := s.SearchMemories(ctx, into.ID, m.Embedding, 1)
				if err != nil || len(hits) != 1 || hits[0].ID != m.ID || hits[0].CustomerID != into.ID {
					t.Fatalf("search for %s after merge: %+v %v", m.ID, hits, err)
				}
			}
			if hits, err := s.SearchMemoriesKeyword(ctx, into.ID, []string{"alice", "bob"}, 10); err != nil || len(hits) != 2 {
				t.Fatalf("keyword search after merge: %d %v, want 2", len(hits), err)
			}
			p, err := s.Profile(ctx, from.ID)
			wantErr(t, "profile", err, nil)
			if p.CustomerID != into.ID || p.Business.Orders != 4 || p.Behaviour.PageViews != 10 || p.Interaction.QuestionTypes["refund"] != 2 {
				t.Fatalf("merged profile: %+v", p)
			}
			merges, err := s.Merges(ctx, into.ID)
			wantErr(t, "merges", err, nil)
			if len(merges) != 1 || merges[0].Into != into.ID || merges[0].From != from.ID || merges[0].Reason != "identify site_user 7" || merges[0].At.IsZero() {
				t.Fatalf("merges: %+v", merges)
			}
		})
	}
}

func testMergeChain(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a := customerBy(t, s, identity("x", "a"))
	b := customerBy(t, s, identity("x", "b"))
	c := customerBy(t, s, identity("x", "c"))
	if _, err := s.LinkIdentity(ctx, b.ID, identity("x", "c"), b.ID, "c into b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, a.ID, identity("x", "b"), a.ID, "b into a"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, c.ID} {
		wantCustomer(t, s, id, a.ID)
	}
	wantIdentities(t, s, c.ID, identity("x", "a"), identity("x", "b"), identity("x", "c"))
	merges, err := s.Merges(ctx, a.ID)
	wantErr(t, "merges", err, nil)
	var from []string
	for _, m := range merges {
		if m.Into != a.ID {
			t.Fatalf("merge %+v not flattened into %s", m, a.ID)
		}
		from = append(from, m.From)
	}
	if !slices.Equal(from, []string{c.ID, b.ID}) {
		t.Fatalf("merged from %v, want [c b] = %v", from, []string{c.ID, b.ID})
	}
	// Linking through a merged id is linking the survivor.
	got, err := s.LinkIdentity(ctx, c.ID, identity("x", "d"), c.ID, "via merged id")
	if err != nil || got.ID != a.ID {
		t.Fatalf("link via merged id: %+v %v", got, err)
	}
}

func testConcurrentLinks(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, _, _ := richCustomer(t, s, "ann")
	b, _, _ := richCustomer(t, s, "ben")
	const n = 16
	got := make([]string, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		// Half link ben's identity to ann, half ann's to ben; both name
		// ann the survivor, so whichever runs first merges and the rest
		// find nothing left to do.
		var c memory.Customer
		if i%2 == 0 {
			c, errs[i] = s.LinkIdentity(ctx, a.ID, identity(memory.IdentityWebVisitor, "ben"), a.ID, "race")
		} else {
			c, errs[i] = s.LinkIdentity(ctx, b.ID, identity(memory.IdentityWebVisitor, "ann"), a.ID, "race")
		}
		got[i] = c.ID
	})
	for i := range n {
		if errs[i] != nil || got[i] != a.ID {
			t.Fatalf("link %d: %s %v, want %s", i, got[i], errs[i], a.ID)
		}
	}
	merges, err := s.Merges(ctx, a.ID)
	if err != nil || len(merges) != 1 {
		t.Fatalf("merges after racing links: %+v %v, want one", merges, err)
	}
	if evs, err := s.Events(ctx, a.ID, memory.EventQuery{}); err != nil || len(evs) != 4 {
		t.Fatalf("events after racing links: %d %v, want 4", len(evs), err)
	}
	if p, err := s.Profile(ctx, a.ID); err != nil || p.Business.Orders != 4 {
		t.Fatalf("profile after racing links: %+v %v, want 4 orders", p.Business, err)
	}
	wantIdentities(t, s, a.ID, identity(memory.IdentityWebVisitor, "ann"), identity(memory.IdentityWebVisitor, "ben"))
}

func testDeleteCustomer(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, convA, memA := richCustomer(t, s, "carol")
	b, convB, _ := richCustomer(t, s, "dave")
	keep, keepConv, keepMem := richCustomer(t, s, "erin")
	if _, err := s.LinkIdentity(ctx, a.ID, identity(memory.IdentityWebVisitor, "dave"), a.ID, "merge"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, a.ID, identity(memory.IdentityPhone, "+8613900000000"), "", "phone"); err != nil {
		t.Fatal(err)
	}
	next, err := s.SupersedeMemory(ctx, memA.ID, memory.Memory{Kind: memory.MemoryFact, Text: "carol's newer fact", Embedding: axis(1)})
	wantErr(t, "supersede", err, nil)

	// Erasing by the merged id erases the person.
	e, err := s.DeleteCustomer(ctx, b.ID)
	wantErr(t, "delete", err, nil)
	want := memory.Erasure{Customers: 2, Identities: 3, Conversations: 2, Messages: 4, Events: 4, Memories: 3}
	if e != want {
		t.Fatalf("erasure %+v, want %+v", e, want)
	}
	totals, err := s.ErasureTotals(ctx)
	if err != nil || totals != want {
		t.Fatalf("totals %+v %v, want %+v", totals, err, want)
	}
	for _, id := range []string{a.ID, b.ID} {
		if _, err := s.Customer(ctx, id); !errors.Is(err, memory.ErrNotFound) {
			t.Fatalf("customer %s after erasure: %v, want ErrNotFound", id, err)
		}
		for what, err := range map[string]error{
			"identities": second(s.Identities(ctx, id)),
			"events":     second(s.Events(ctx, id, memory.EventQuery{})),
			"profile":    second(s.Profile(ctx, id)),
			"memories":   second(s.Memories(ctx, id, true)),
			"merges":     second(s.Merges(ctx, id)),
			"search":     second(s.SearchMemories(ctx, id, axis(1), 5)),
			"keyword":    second(s.SearchMemoriesKeyword(ctx, id, []string{"carol"}, 5)),
			"delete":     second(s.DeleteCustomer(ctx, id)),
		} {
			if !errors.Is(err, memory.ErrNotFound) {
				t.Fatalf("%s of erased %s: %v, want ErrNotFound", what, id, err)
			}
		}
		if _, err := s.CurrentConversation(ctx, id, "web", farPast); !errors.Is(err, memory.ErrNotFound) {
			t.Fatalf("current conversation of erased %s: %v", id, err)
		}
	}
	for _, conv := range []string{convA.ID, convB.ID} {
		if _, err := s.Conversation(ctx, conv); !errors.Is(err, memory.ErrNotFound) {
			t.Fatalf("conversation %s after erasure: %v", conv, err)
		}
		if _, err := s.Messages(ctx, conv, 0, 0); !errors.Is(err, memory.ErrNotFound) {
			t.Fatalf("messages of %s after erasure: %v", conv, err)
		}
	}
	for _, id := range []string{memA.ID, next.ID} {
		if err := s.DeleteMemory(ctx, id); !errors.Is(err, memory.ErrNotFound) {
			t.Fatalf("memory %s after erasure: %v", id, err)
		}
	}
	// The identity comes back as a stranger.
	for _, v := range []memory.Identity{identity(memory.IdentityWebVisitor, "carol"), identity(memory.IdentityPhone, "+8613900000000")} {
		c, created, err := s.CustomerByIdentity(ctx, v)
		if err != nil || !created || c.ID == a.ID || c.ID == b.ID {
			t.Fatalf("erased identity %v: %+v created=%v %v, want a new customer", v, c, created, err)
		}
		if evs, err := s.Events(ctx, c.ID, memory.EventQuery{}); err != nil || len(evs) != 0 {
			t.Fatalf("new customer sees %d old events (%v)", len(evs), err)
		}
		if ms, err := s.Memories(ctx, c.ID, true); err != nil || len(ms) != 0 {
			t.Fatalf("new customer sees %d old memories (%v)", len(ms), err)
		}
		if p, err := s.Profile(ctx, c.ID); err != nil || p.Business.Orders != 0 {
			t.Fatalf("new customer sees the old profile %+v (%v)", p.Business, err)
		}
	}
	// Another customer is untouched.
	wantCustomer(t, s, keep.ID, keep.ID)
	if got, err := s.Conversation(ctx, keepConv.ID); err != nil || got.CustomerID != keep.ID {
		t.Fatalf("bystander's conversation: %+v %v", got, err)
	}
	if hits, err := s.SearchMemories(ctx, keep.ID, keepMem.Embedding, 5); err != nil || len(hits) != 1 || hits[0].ID != keepMem.ID {
		t.Fatalf("bystander's memories: %+v %v", hits, err)
	}
	if evs, err := s.Events(ctx, keep.ID, memory.EventQuery{}); err != nil || len(evs) != 2 {
		t.Fatalf("bystander's events: %d %v", len(evs), err)
	}
	if _, err := s.DeleteCustomer(ctx, "cus_nobody"); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
