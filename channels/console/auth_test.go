package console_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kairoscx/kairos/channels/console"
)

func TestAccounts(t *testing.T) {
	_, js := startNATS(t)
	ctx := context.Background()
	acc, err := console.OpenAccounts(ctx, js, bcrypt.MinCost, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := acc.Add(ctx, console.NewAgent{Name: " Alice ", Password: "correct horse", Queues: []string{"refunds", "general"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "alice" || a.Role != console.RoleAgent || a.MaxChats != console.DefaultMaxChats {
		t.Fatalf("defaults: %+v", a)
	}
	if strings.Contains(string(a.PasswordHash), "correct horse") || bcrypt.CompareHashAndPassword(a.PasswordHash, []byte("correct horse")) != nil {
		t.Fatal("the password is not stored as a bcrypt hash")
	}

	// Another process opening the bucket sees the account.
	acc2, err := console.OpenAccounts(ctx, js, bcrypt.MinCost, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := acc2.Verify(ctx, "ALICE", "correct horse")
	if err != nil || got.Name != "alice" || !got.CanSeeQueue("refunds") || got.CanSeeQueue("billing") {
		t.Fatalf("verify from a second process: %+v, %v", got, err)
	}

	// Unknown name and wrong password fail the same way.
	_, errWrong := acc.Verify(ctx, "alice", "wrong password")
	_, errUnknown := acc.Verify(ctx, "mallory", "correct horse")
	_, errBadName := acc.Verify(ctx, "../etc", "correct horse")
	for _, err := range []error{errWrong, errUnknown, errBadName} {
		if !errors.Is(err, console.ErrUnauthorized) || err.Error() != errWrong.Error() {
			t.Fatalf("got %v; want the same ErrUnauthorized for every failure", err)
		}
	}

	if _, err := acc.Add(ctx, console.NewAgent{Name: "alice", Password: "another one"}); !errors.Is(err, console.ErrExists) {
		t.Fatalf("adding alice again: %v, want ErrExists", err)
	}
	if _, err := acc.Add(ctx, console.NewAgent{Name: "alice", Password: "new password", Role: console.RoleAdmin, Replace: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := acc.Verify(ctx, "alice", "new password"); err != nil || !got.IsAdmin() || !got.CanSeeQueue("billing") {
		t.Fatalf("after replace: %+v, %v", got, err)
	}
	if _, err := acc.Verify(ctx, "alice", "correct horse"); err == nil {
		t.Fatal("the old password still works after a replace")
	}

	bad := []console.NewAgent{
		{Name: "", Password: "long enough"},
		{Name: "a b", Password: "long enough"},
		{Name: "a.b", Password: "long enough"},
		{Name: "ok", Password: "short"},
		{Name: "ok", Password: strings.Repeat("x", 73)},
		{Name: "ok", Password: "long enough", Role: "root"},
		{Name: "ok", Password: "long enough", Queues: []string{"Refunds!"}},
		{Name: "ok", Password: "long enough", MaxChats: -1},
		{Name: "ok", Password: "long enough", MaxChats: 51},
	}
	for _, n := range bad {
		if _, err := acc.Add(ctx, n); !errors.Is(err, console.ErrInvalid) {
			t.Errorf("Add(%+v) = %v, want ErrInvalid", n, err)
		}
	}
	list, err := acc.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %d accounts, %v", len(list), err)
	}
}

func TestSessions(t *testing.T) {
	_, js := startNATS(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	s, err := console.OpenSessions(ctx, js, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Create(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Create(ctx, "alice")
	if len(a.ID) != 43 || a.ID == b.ID || a.CSRF == b.CSRF || a.CSRF == a.ID {
		t.Fatalf("ids not fresh 256-bit values: %q %q %q", a.ID, b.ID, a.CSRF)
	}
	got, err := s.Get(ctx, a.ID)
	if err != nil || got.Agent != "alice" || got.CSRF != a.CSRF {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if !got.CheckCSRF(a.CSRF) || got.CheckCSRF(b.CSRF) || got.CheckCSRF("") {
		t.Fatal("CSRF check accepts the wrong token")
	}
	for _, forged := range []string{"", "x", a.ID[:42] + "A", strings.Repeat("A", 43), a.ID + "A"} {
		if forged == a.ID {
			continue
		}
		if _, err := s.Get(ctx, forged); !errors.Is(err, console.ErrNotFound) {
			t.Errorf("forged id %q: %v", forged, err)
		}
	}
	now = now.Add(time.Hour)
	if _, err := s.Get(ctx, a.ID); !errors.Is(err, console.ErrNotFound) {
		t.Fatalf("expired session still valid: %v", err)
	}
	now = now.Add(-30 * time.Minute)
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, b.ID); !errors.Is(err, console.ErrNotFound) {
		t.Fatalf("session valid after logout: %v", err)
	}
}
