package postgres_test

import (
	"context"
	"testing"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// Two nodes write the same profiles in turn: each one's kept copy is used
// only while the row is still at the version it wrote, so no node ever
// overwrites the other's change with a stale copy; an erasure or a merge
// leaves nothing behind either.
func TestProfileCacheAcrossNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := open(t, url, 8), open(t, url, 8)
	defer a.Close()
	defer b.Close()
	c1, _, err := a.CustomerByIdentity(ctx, memory.Identity{Kind: "x", Value: "1"})
	if err != nil {
		t.Fatal(err)
	}
	c2, _, err := a.CustomerByIdentity(ctx, memory.Identity{Kind: "x", Value: "2"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{c1.ID, c2.ID}
	inc := func(_ string, p *memory.Profile) error { p.Business.Orders++; return nil }
	for i, s := range []memory.CustomerStore{a, a, b, a, b, b, a} {
		if err := s.UpdateProfiles(ctx, ids, inc); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if i == 3 { // a single update from b in between
			if _, err := b.UpdateProfile(ctx, c1.ID, func(p *memory.Profile) error { p.Business.Refunds++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range ids {
		p, err := b.Profile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Business.Orders != 7 {
			t.Fatalf("%s: %d orders after 7 updates on two nodes", id, p.Business.Orders)
		}
	}
	if p, _ := a.Profile(ctx, c1.ID); p.Business.Refunds != 1 {
		t.Fatalf("b's single update was lost: %+v", p.Business)
	}
	// A merge: a's kept copy of c2 must not come back under c2's id.
	if _, err := b.LinkIdentity(ctx, c1.ID, memory.Identity{Kind: "x", Value: "2"}, c1.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateProfiles(ctx, ids, inc); err != nil {
		t.Fatal(err)
	}
	if p, _ := b.Profile(ctx, c1.ID); p.Business.Orders != 16 {
		t.Fatalf("after the merge: %d orders, want 7+7 merged and 2 more", p.Business.Orders)
	}
	if _, err := a.DeleteCustomer(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateProfiles(ctx, []string{c1.ID}, inc); err == nil {
		t.Fatal("an erased customer's profile was updated from a kept copy")
	}
}
