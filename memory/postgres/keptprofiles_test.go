package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

func openKept(t *testing.T, url string, tr pgx.QueryTracer) *Store {
	t.Helper()
	s, err := open(context.Background(), Options{URL: url, Dim: 8, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		func(c *pgxpool.Config) {
			if tr != nil {
				c.ConnConfig.Tracer = tr
				c.MaxConns, c.MinConns = 1, 0 // one connection: statements prepared once
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCustomers(t *testing.T, s *Store, values ...string) []string {
	t.Helper()
	var ids []string
	for _, v := range values {
		c, _, err := s.CustomerByIdentity(context.Background(), memory.Identity{Kind: "site_user", Value: v})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func orders(t *testing.T, s *Store, id string) int {
	t.Helper()
	p, err := s.Profile(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Business.Orders
}

// Profiles read ahead or written by this store are written back in one
// round trip, new ones included; whatever changed elsewhere since is left
// for UpdateProfiles, and nothing is ever counted twice or lost.
func TestUpdateKeptProfiles(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	tr := &countingTracer{}
	a := openKept(t, url, tr)
	b := openKept(t, url, nil) // another node
	ids := newCustomers(t, a, "new", "old", "other", "gone")
	fresh, old, other, gone := ids[0], ids[1], ids[2], ids[3]
	runs := map[string]int{}
	inc := func(id string, p *memory.Profile) error { runs[id]++; p.Business.Orders++; return nil }
	// old has a profile already; read ahead with the rest.
	if _, err := b.UpdateProfile(ctx, old, func(p *memory.Profile) error { p.Business.Orders = 10; return nil }); err != nil {
		t.Fatal(err)
	}
	found, err := a.CustomersAhead(ctx, append(ids, "cus_nobody"))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 4 || found[old].ID != old {
		t.Fatalf("CustomersAhead found %v", found)
	}

	before := tr.n.Load()
	rest, err := a.UpdateKeptProfiles(ctx, []string{fresh, old, fresh, other, gone}, inc)
	if err != nil || len(rest) != 0 {
		t.Fatalf("rest %v, err %v; want all written", rest, err)
	}
	if n := tr.n.Load() - before; n != 1 {
		t.Fatalf("%d round trips, want 1", n)
	}
	if got := [4]int{orders(t, a, fresh), orders(t, a, old), orders(t, a, other), orders(t, a, gone)}; got != [4]int{2, 11, 1, 1} {
		t.Fatalf("orders %v, want [2 11 1 1] (fresh twice, old from 10)", got)
	}

	// Another node writes other, a merge takes old into fresh, gone is
	// erased: those are left; nothing is written twice.
	if _, err := b.UpdateProfile(ctx, other, func(p *memory.Profile) error { p.Business.Refunds++; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.LinkIdentity(ctx, fresh, memory.Identity{Kind: "site_user", Value: "old"}, fresh, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteCustomer(ctx, gone); err != nil {
		t.Fatal(err)
	}
	clear(runs)
	rest, err = a.UpdateKeptProfiles(ctx, []string{fresh, old, other, gone}, inc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rest, []string{fresh, old, other, gone}) {
		t.Fatalf("rest %v, want all four", rest)
	}
	if orders(t, a, fresh) != 13 || orders(t, a, other) != 1 {
		t.Fatalf("a stale copy was written: fresh %d (want 2+11), other %d", orders(t, a, fresh), orders(t, a, other))
	}
	if p, _ := a.Profile(ctx, other); p.Business.Refunds != 1 {
		t.Fatalf("the other node's write was lost: %+v", p.Business)
	}
	err = a.UpdateProfiles(ctx, rest[:3], inc)
	if err != nil {
		t.Fatal(err)
	}
	if orders(t, a, fresh) != 15 || orders(t, a, other) != 2 {
		t.Fatalf("after the locked path: fresh %d (want 15), other %d (want 2)", orders(t, a, fresh), orders(t, a, other))
	}
	if err := a.UpdateProfiles(ctx, rest[3:], inc); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("erased customer: %v", err)
	}

	// Kept again after the locked path: one round trip once more.
	before = tr.n.Load()
	if rest, err := a.UpdateKeptProfiles(ctx, []string{fresh, other}, inc); err != nil || len(rest) != 0 {
		t.Fatalf("rest %v, err %v", rest, err)
	}
	if n := tr.n.Load() - before; n != 1 {
		t.Fatalf("%d round trips, want 1", n)
	}

	// An error from update writes nothing.
	boom := errors.New("boom")
	if _, err := a.UpdateKeptProfiles(ctx, []string{fresh, other}, func(id string, p *memory.Profile) error {
		if id == other {
			return boom
		}
		p.Business.Orders = 1000
		return nil
	}); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if orders(t, a, fresh) != 16 {
		t.Fatalf("a failed update wrote fresh: %d", orders(t, a, fresh))
	}
}

// A merge holds the profiles it merges: a write of a kept profile that
// comes while the merge is under way waits for it and finds the row
// changed, rather than being lost in the merge. Here a transaction holding
// the merged-away profile's row makes the merge wait on it, and writes it
// before letting go: the merge must count that write.
func TestMergeHoldsTheProfilesItMerges(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t) + "&application_name=merge-holds-profiles"
	s := openKept(t, url, nil)
	ids := newCustomers(t, s, "into", "from")
	into, from := ids[0], ids[1]
	if err := s.UpdateProfiles(ctx, ids, func(_ string, p *memory.Profile) error { p.Business.Orders = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT 1 FROM profiles WHERE customer_id = $1 FOR UPDATE", from); err != nil {
		t.Fatal(err)
	}
	merged := make(chan error, 1)
	go func() {
		_, err := s.LinkIdentity(ctx, into, memory.Identity{Kind: "site_user", Value: "from"}, into, "test")
		merged <- err
	}()
	// Wait until the merge waits on a lock (on this transaction's row).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'merge-holds-profiles'
			AND pid <> pg_backend_pid() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the merge never waited")
		}
	}
	doc := `{"customer_id":"` + from + `","business":{"orders":5}}`
	if _, err := tx.Exec(ctx, "UPDATE profiles SET doc = $2, version = nextval('profile_versions') WHERE customer_id = $1", from, doc); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-merged; err != nil {
		t.Fatal(err)
	}
	if n := orders(t, s, into); n != 6 {
		t.Fatalf("merged profile has %d orders, want 1 + 5", n)
	}
}

// BenchmarkUpdateKeptProfiles compares the two ways the ingest consumer
// writes profiles, on one store of 2,000 regular-sized profiles (a full
// recent path of 20 pages, 30 active days, recent orders), 400 random ones
// per call: under locks (UpdateProfiles: two round trips, the rows locked
// and read first) and from kept copies (UpdateKeptProfiles: one round
// trip). It reports profiles/s and the CPU per profile of this process
// and of the server's backends.
//
//	go test ./memory/postgres -run '^$' -bench UpdateKeptProfiles -benchtime 50x -count 3
func BenchmarkUpdateKeptProfiles(b *testing.B) {
	ctx := context.Background()
	const app = "kairos-kept-bench"
	url := pgtest.URL(b) + "&application_name=" + app
	s, err := Open(ctx, Options{URL: url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	meter, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { meter.Close(ctx) })
	ids := make([]string, 2000)
	for i := range ids {
		c, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: "site_user", Value: fmt.Sprint("kept-", i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	visit := func(p *memory.Profile, n int) {
		at := t0.Add(time.Duration(n) * time.Minute)
		p.Behaviour.PageViews++
		p.Behaviour.LastSeen = at
		p.Behaviour.RecentPath = append(p.Behaviour.RecentPath, memory.PageVisit{URL: fmt.Sprintf("https://shop.example.com/p/%d", n%5000),
			Title: "婴儿奶粉 900g 3段", At: at, DwellMS: 12000})
		if len(p.Behaviour.RecentPath) > 20 {
			p.Behaviour.RecentPath = p.Behaviour.RecentPath[1:]
		}
	}
	if err := s.UpdateProfiles(ctx, ids, func(_ string, p *memory.Profile) error {
		for n := range 20 {
			visit(p, n)
		}
		for d := range 30 {
			p.Behaviour.ActiveDays = append(p.Behaviour.ActiveDays, t0.AddDate(0, 0, d).Format(time.DateOnly))
		}
		for o := range 5 {
			p.Business.RecentOrders = append(p.Business.RecentOrders, t0.AddDate(0, 0, 7*o))
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, mode := range []string{"locked", "kept"} {
		b.Run(mode, func(b *testing.B) {
			pg0, pgOK := pgtest.BackendCPU(ctx, meter, app)
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			start := time.Now()
			for range b.N {
				batch := make([]string, 0, 400)
				for _, k := range r.Perm(len(ids))[:400] {
					batch = append(batch, ids[k])
				}
				n++
				up := func(_ string, p *memory.Profile) error { visit(p, 100+n); return nil }
				if mode == "locked" {
					if err := s.UpdateProfiles(ctx, batch, up); err != nil {
						b.Fatal(err)
					}
				} else if rest, err := s.UpdateKeptProfiles(ctx, batch, up); err != nil || len(rest) > 0 {
					b.Fatalf("rest %d, err %v", len(rest), err)
				}
			}
			profiles := float64(b.N * 400)
			b.ReportMetric(profiles/time.Since(start).Seconds(), "profiles/s")
			var ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			self := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(self.Microseconds())/profiles, "cpu-µs/profile")
			if pg1, ok := pgtest.BackendCPU(ctx, meter, app); ok && pgOK {
				b.ReportMetric(float64(pgtest.CPUSince(pg0, pg1).Microseconds())/profiles, "pg-cpu-µs/profile")
			}
		})
	}
}
