package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

// testCustomersBatch checks Customers: merged ids resolve to the survivor,
// unknown, erased, empty and unstorable ids are left out, repeats are fine.
func testCustomersBatch(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, b, c, gone := newCustomer(t, s), newCustomer(t, s), newCustomer(t, s), newCustomer(t, s)
	if _, err := s.LinkIdentity(ctx, b.ID, identity("x", "c"), b.ID, "setup"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, c.ID, identity("x", "c"), b.ID, "c into b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteCustomer(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Customers(ctx, []string{a.ID, c.ID, "cus_nobody", gone.ID, "", "\xff\x00", a.ID, b.ID})
	wantErr(t, "customers", err, nil)
	want := map[string]memory.Customer{a.ID: a, c.ID: b, b.ID: b}
	if len(got) != len(want) {
		t.Fatalf("customers: got %v, want %v", got, want)
	}
	for id, w := range want {
		if g := got[id]; g.ID != w.ID || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("customers[%s] = %+v, want %+v", id, g, w)
		}
	}
	if got, err := s.Customers(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
	// Listing: the live customers only, in id order.
	ids, err := s.CustomerIDs(ctx)
	wantErr(t, "customer ids", err, nil)
	live := []string{a.ID, b.ID}
	slices.Sort(live)
	if !slices.Equal(ids, live) {
		t.Fatalf("customer ids %v, want %v (c merged into b, gone erased)", ids, live)
	}
}

// testStoredEvents checks StoredEvents: by id, whichever customer, merged
// or not; erased customers' events are gone.
func testStoredEvents(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, b := newCustomer(t, s), newCustomer(t, s)
	ev := func(id, cus string) memory.Event {
		return memory.Event{ID: id, CustomerID: cus, Type: "page_view", Source: "api", At: at(1), Props: []byte(`{"url":"/"}`)}
	}
	if _, err := s.AppendEvents(ctx, []memory.Event{ev("sa1", a.ID), ev("sa2", a.ID), ev("sb1", b.ID)}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"sa1", "nope", "sb1", "", "\xff\x00", "sa1", "sa2"}
	got, err := s.StoredEvents(ctx, ids)
	wantErr(t, "stored events", err, nil)
	if fmt.Sprint(got) != "[true false true false false true true]" {
		t.Fatalf("stored %v for %q", got, ids)
	}
	if _, err := s.DeleteCustomer(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	got, err = s.StoredEvents(ctx, []string{"sa1", "sb1"})
	wantErr(t, "stored events after erasure", err, nil)
	if fmt.Sprint(got) != "[false true]" {
		t.Fatalf("after erasing a: stored %v, want [false true]", got)
	}
	if got, err := s.StoredEvents(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
}

// testMergeProfileState checks that a merge unites the state a profile
// keeps for exact figures: the active days (cut to the window up to the
// later last visit, and counted) and the recent orders.
func testMergeProfileState(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	a, b := newCustomer(t, s), newCustomer(t, s)
	day := func(n int) string { return base.AddDate(0, 0, n).Format("2006-01-02") }
	set := func(id string, days []string, last int, orders ...int) {
		t.Helper()
		_, err := s.UpdateProfile(ctx, id, func(p *memory.Profile) error {
			p.Behaviour.ActiveDays, p.Behaviour.VisitDays30 = days, len(days)
			p.Behaviour.LastSeen = base.AddDate(0, 0, last)
			for _, o := range orders {
				p.Business.RecentOrders = append(p.Business.RecentOrders, base.AddDate(0, 0, o))
			}
			p.Business.Orders = len(orders)
			return nil
		})
		wantErr(t, "set profile", err, nil)
	}
	set(a.ID, []string{day(0), day(5), day(40)}, 40, 0, 30)
	set(b.ID, []string{day(5), day(20), day(45)}, 45, 10, 20, 50)
	if _, err := s.LinkIdentity(ctx, a.ID, identity("x", "ab"), a.ID, "setup"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, b.ID, identity("x", "ab"), a.ID, "b into a"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, b.ID)
	wantErr(t, "profile", err, nil)
	// Window up to day 45: days 16..45.
	if fmt.Sprint(p.Behaviour.ActiveDays) != fmt.Sprint([]string{day(20), day(40), day(45)}) || p.Behaviour.VisitDays30 != 3 {
		t.Fatalf("merged days %v (%d), want days 20, 40, 45", p.Behaviour.ActiveDays, p.Behaviour.VisitDays30)
	}
	var orders []string
	for _, o := range p.Business.RecentOrders {
		orders = append(orders, o.Format("2006-01-02"))
	}
	if fmt.Sprint(orders) != fmt.Sprint([]string{day(0), day(10), day(20), day(30), day(50)}) || p.Business.Orders != 5 {
		t.Fatalf("merged orders %v (%d), want days 0, 10, 20, 30, 50", orders, p.Business.Orders)
	}
}
