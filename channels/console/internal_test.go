package console

import (
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newLoginLimiter(15*time.Minute, 3, 5, clock)

	for i := range 3 {
		if ok, _ := l.allowed("alice", "10.0.0.1"); !ok {
			t.Fatalf("attempt %d refused before the limit", i+1)
		}
		l.failed("alice", "10.0.0.1")
	}
	ok, wait := l.allowed("alice", "10.0.0.2")
	if ok || wait <= 0 || wait > 15*time.Minute {
		t.Fatalf("after 3 failures from anywhere, alice allowed=%v wait=%v; want refused for up to the window", ok, wait)
	}
	if ok, _ := l.allowed("bob", "10.0.0.3"); !ok {
		t.Fatal("another account from another address was refused")
	}

	// Spraying many accounts from one address hits the per-address limit.
	for _, name := range []string{"u1", "u2"} {
		l.failed(name, "10.0.0.1")
	}
	if ok, _ := l.allowed("carol", "10.0.0.1"); ok {
		t.Fatal("address with 5 failures may still try a fresh account")
	}
	if ok, _ := l.allowed("carol", "10.0.0.9"); !ok {
		t.Fatal("carol refused from a clean address")
	}

	// The window slides: once the failures are old, alice may try again.
	now = now.Add(15*time.Minute + time.Second)
	if ok, _ := l.allowed("alice", "10.0.0.1"); !ok {
		t.Fatal("still refused after the window")
	}

	// A success clears the account's failures but not the address's.
	l.failed("dave", "10.0.0.7")
	l.failed("dave", "10.0.0.7")
	l.succeeded("dave")
	l.failed("dave", "10.0.0.7")
	l.failed("dave", "10.0.0.7")
	if ok, _ := l.allowed("dave", "10.0.0.8"); !ok {
		t.Fatal("dave's failures before his successful login still counted")
	}
	l.failed("erin", "10.0.0.7")
	if ok, _ := l.allowed("frank", "10.0.0.7"); ok {
		t.Fatal("a success reset the address's failures")
	}
}

func TestVisibility(t *testing.T) {
	alice := Agent{Name: "alice", Role: RoleAgent, Queues: []string{"refunds", "general"}}
	root := Agent{Name: "root", Role: RoleAdmin, Queues: []string{"general"}}
	tests := []struct {
		name        string
		h           Handoff
		alice, root bool
	}{
		{"waiting in her queue", Handoff{Queue: "refunds", Status: StatusWaiting}, true, true},
		{"callback in her queue", Handoff{Queue: "general", Status: StatusCallback}, true, true},
		{"waiting in another queue", Handoff{Queue: "billing", Status: StatusWaiting}, false, true},
		{"claimed by her", Handoff{Queue: "billing", Status: StatusClaimed, AgentID: "alice"}, true, true},
		{"claimed by someone else in her queue", Handoff{Queue: "refunds", Status: StatusClaimed, AgentID: "bob"}, false, true},
		{"resolved", Handoff{Queue: "refunds", Status: StatusResolved, AgentID: "alice"}, false, false},
		{"cancelled", Handoff{Queue: "refunds", Status: StatusCancelled}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canSee(alice, tt.h); got != tt.alice {
				t.Errorf("agent sees=%v, want %v", got, tt.alice)
			}
			if got := canSee(root, tt.h); got != tt.root {
				t.Errorf("admin sees=%v, want %v", got, tt.root)
			}
		})
	}
}

func TestDecodeHandoffRejects(t *testing.T) {
	tests := map[string]string{
		"not json":     `{"v":1,`,
		"version 2":    `{"v":2,"handoff_id":"h1","conversation_id":"c1"}`,
		"no version":   `{"handoff_id":"h1","conversation_id":"c1"}`,
		"unsafe id":    `{"v":1,"handoff_id":"h1.>","conversation_id":"c1"}`,
		"missing conv": `{"v":1,"handoff_id":"h1"}`,
		"wrong type":   `{"v":1,"handoff_id":"h1","conversation_id":"c1","priority":"high"}`,
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeHandoff([]byte(payload)); err == nil {
				t.Fatalf("accepted %s", payload)
			}
		})
	}
	if h, err := decodeHandoff([]byte(`{"v":1,"handoff_id":"h1","conversation_id":"c1","status":"waiting","future_field":true}`)); err != nil || h.Status != StatusWaiting {
		t.Fatalf("a valid record with an unknown field: %v", err)
	}
}
