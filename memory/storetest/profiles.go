package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

// testUpdateProfiles checks the batch profile update: one transaction,
// merged ids resolved, unknown ids failing the whole batch.
func testUpdateProfiles(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, b, c := newCustomer(t, s), newCustomer(t, s), newCustomer(t, s)
	// c merges into b: c's updates land on b's profile.
	if _, err := s.LinkIdentity(ctx, b.ID, identity("x", "c"), b.ID, "setup"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, c.ID, identity("x", "c"), b.ID, "c into b"); err != nil {
		t.Fatal(err)
	}
	orders := func(id string) int {
		t.Helper()
		p, err := s.Profile(ctx, id)
		wantErr(t, "profile "+id, err, nil)
		return p.Business.Orders
	}
	var seen []string
	err := s.UpdateProfiles(ctx, []string{a.ID, c.ID, b.ID}, func(id string, p *memory.Profile) error {
		seen = append(seen, id)
		p.Business.Orders++
		p.Business.Tier += id[len(id)-1:]
		return nil
	})
	wantErr(t, "update", err, nil)
	if !slices.Equal(seen, []string{a.ID, c.ID, b.ID}) {
		t.Fatalf("update saw %v", seen)
	}
	pb, _ := s.Profile(ctx, b.ID)
	if orders(a.ID) != 1 || pb.Business.Orders != 2 || pb.CustomerID != b.ID || pb.UpdatedAt.IsZero() {
		t.Fatalf("after one batch: a %d orders, b %+v", orders(a.ID), pb.Business)
	}
	if want := c.ID[len(c.ID)-1:] + b.ID[len(b.ID)-1:]; pb.Business.Tier != want {
		t.Fatalf("merged updates ran out of order: tier %q, want %q", pb.Business.Tier, want)
	}

	tests := []struct {
		name string
		ids  []string
		fail error
		want error
	}{
		{"unknown id", []string{a.ID, "cus_nobody", b.ID}, nil, memory.ErrNotFound},
		{"update error", []string{a.ID, b.ID}, errors.New("boom"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.UpdateProfiles(ctx, tc.ids, func(id string, p *memory.Profile) error {
				p.Business.Orders = 99
				if id == b.ID {
					return tc.fail
				}
				return nil
			})
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || (tc.fail != nil && !errors.Is(err, tc.fail)) {
				t.Fatalf("err %v", err)
			}
			if orders(a.ID) != 1 || orders(b.ID) != 2 {
				t.Fatalf("a failed batch was written: a %d, b %d", orders(a.ID), orders(b.ID))
			}
		})
	}
	wantErr(t, "empty batch", s.UpdateProfiles(ctx, nil, func(string, *memory.Profile) error { return errors.New("ran") }), nil)
}

// testConcurrentBatchUpdates runs overlapping batches (in opposite orders)
// and single updates at once: none is lost and none deadlocks.
func testConcurrentBatchUpdates(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	var ids []string
	for range 5 {
		ids = append(ids, newCustomer(t, s).ID)
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	const n = 16
	errs := make([]error, n)
	parallel(n, func(i int) {
		switch i % 3 {
		case 0:
			_, errs[i] = s.UpdateProfile(ctx, ids[i%len(ids)], func(p *memory.Profile) error { p.Business.Orders++; return nil })
		default:
			order := ids
			if i%3 == 2 {
				order = rev
			}
			errs[i] = s.UpdateProfiles(ctx, order, func(_ string, p *memory.Profile) error { p.Business.Orders++; return nil })
		}
	})
	want := make(map[string]int)
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("update %d", i), err, nil)
		if i%3 == 0 {
			want[ids[i%len(ids)]]++
		} else {
			for _, id := range ids {
				want[id]++
			}
		}
	}
	for _, id := range ids {
		p, err := s.Profile(ctx, id)
		wantErr(t, "profile", err, nil)
		if p.Business.Orders != want[id] {
			t.Fatalf("%s: %d orders, want %d", id, p.Business.Orders, want[id])
		}
	}
}
