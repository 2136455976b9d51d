package web_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/web"
)

var siteSecret = []byte("the-host-site-secret-0123456789")

// sign is what the host site's server does.
func sign(secret []byte, userID string, ts int64) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(userID + "." + strconv.FormatInt(ts, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

type identifyFrame struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
	TS     int64  `json:"ts"`
	Sig    string `json:"sig"`
}

func identify(userID string, ts int64, sig string) identifyFrame {
	return identifyFrame{Type: "identify", UserID: userID, TS: ts, Sig: sig}
}

// logBuf is a concurrency-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newIdentifyEnv(t *testing.T) (*env, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	e := newEnv(t, func(c *web.Config) {
		c.SiteSecret = siteSecret
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return e, logs
}

func TestIdentifyRefused(t *testing.T) {
	e, logs := newIdentifyEnv(t)
	now := e.clock.Now().Unix()
	good := sign(siteSecret, "42", now)
	tests := []struct {
		name  string
		frame any
		code  string
	}{
		{"forged signature", identify("42", now, sign([]byte("not-the-site-secret-0123456789ab"), "42", now)), "identify_invalid"},
		{"signature of another user", identify("43", now, good), "identify_invalid"},
		{"signature for another ts", identify("42", now+1, good), "identify_invalid"},
		{"sig not hex", identify("42", now, strings.Repeat("zz", 32)), "identify_invalid"},
		{"sig truncated", identify("42", now, good[:40]), "identify_invalid"},
		{"sig missing", identify("42", now, ""), "identify_invalid"},
		{"empty user_id", identify("", now, sign(siteSecret, "", now)), "identify_invalid"},
		{"user_id too long", identify(strings.Repeat("u", 129), now, sign(siteSecret, strings.Repeat("u", 129), now)), "identify_invalid"},
		{"user_id with control character", identify("4\n2", now, sign(siteSecret, "4\n2", now)), "identify_invalid"},
		{"stale ts", identify("42", now-601, sign(siteSecret, "42", now-601)), "identify_stale"},
		{"future ts", identify("42", now+601, sign(siteSecret, "42", now+601)), "identify_stale"},
		{"ts missing", identify("42", 0, sign(siteSecret, "42", 0)), "identify_stale"},
		{"ts as a string", `{"type":"identify","user_id":"42","ts":"` + strconv.FormatInt(now, 10) + `","sig":"` + good + `"}`, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, _ := e.dial(t, nil) // a fresh connection: the rate limit is per connection
			send(t, ws, tt.frame)
			f, _ := readUntil(t, ws, "error")
			if f.Code != tt.code {
				t.Fatalf("code = %q (%s), want %q", f.Code, f.Message, tt.code)
			}
			roundTrip(t, ws)
		})
	}
	if n := len(e.engine.identifyCalls()); n != 0 {
		t.Errorf("engine.Identify called %d times for refused frames", n)
	}
	out := logs.String()
	if !strings.Contains(out, "identify refused") || !strings.Contains(out, "visitor=vis_") {
		t.Errorf("bad signatures not logged with the visitor id:\n%s", out)
	}
	if strings.Contains(out, good) || strings.Contains(out, string(siteSecret)) {
		t.Errorf("log leaks the signature or the secret:\n%s", out)
	}
}

func TestIdentifyDisabled(t *testing.T) {
	e := newEnv(t, nil) // no SiteSecret
	ws, _ := e.dial(t, nil)
	now := e.clock.Now().Unix()
	send(t, ws, identify("42", now, sign(siteSecret, "42", now)))
	if f, _ := readUntil(t, ws, "error"); f.Code != "identify_disabled" {
		t.Fatalf("code = %q, want identify_disabled", f.Code)
	}
	if n := len(e.engine.identifyCalls()); n != 0 {
		t.Errorf("engine.Identify called %d times", n)
	}
}

func TestIdentifyLinksAndMerges(t *testing.T) {
	e, _ := newIdentifyEnv(t)
	now := e.clock.Now().Unix()
	frame := identify("42", now, sign(siteSecret, "42", now))

	// Visitor A is the first to identify as 42: 42 becomes A's.
	wsA, helloA := e.dial(t, nil)
	send(t, wsA, map[string]string{"type": "message", "id": "a1", "text": "hello"})
	readUntil(t, wsA, "receipt")
	send(t, wsA, frame)
	gotA, _ := readUntil(t, wsA, "identified")
	if gotA.CustomerID == "" {
		t.Fatal("identified frame without customer_id")
	}

	// Visitor B, another device, identifies as 42 too (even replaying
	// the same frame): B's conversation now belongs to A's customer.
	wsB, helloB := e.dial(t, nil)
	if helloB.ConversationID == helloA.ConversationID {
		t.Fatal("two visitors share a conversation")
	}
	send(t, wsB, frame)
	gotB, _ := readUntil(t, wsB, "identified")
	if gotB.CustomerID != gotA.CustomerID {
		t.Fatalf("B identified as %q, want A's customer %q", gotB.CustomerID, gotA.CustomerID)
	}
	// B keeps its conversation and its messages carry the new customer
	// (the fake engine refuses a message whose customer does not own the
	// conversation).
	send(t, wsB, map[string]string{"type": "message", "id": "b1", "text": "from B"})
	if r, _ := readUntil(t, wsB, "receipt"); r.ID != "b1" {
		t.Fatalf("receipt = %+v", r)
	}
	send(t, wsB, map[string]string{"type": "event", "id": "e1", "name": "page_view"})
	roundTrip(t, wsB)
	evs := e.engine.observed()
	if len(evs) == 0 || evs[len(evs)-1].CustomerID != gotA.CustomerID {
		t.Fatalf("event after identify = %+v, want customer %s", evs, gotA.CustomerID)
	}
	calls := e.engine.identifyCalls()
	want := []string{helloA.ConversationID, helloB.ConversationID}
	if len(calls) != 2 {
		t.Fatalf("Identify calls = %+v, want 2", calls)
	}
	for i, c := range calls {
		if c.conversation != want[i] || c.id != (channels.Identity{Kind: "site_user", Value: "42"}) {
			t.Errorf("call %d = %+v, want conversation %s, site_user 42", i, c, want[i])
		}
	}
}

func TestIdentifyRepeatIsHarmless(t *testing.T) {
	e, _ := newIdentifyEnv(t)
	now := e.clock.Now().Unix()
	frame := identify("alice@example.com", now, sign(siteSecret, "alice@example.com", now))
	ws, hello := e.dial(t, nil)
	var first string
	for i := range 3 {
		send(t, ws, frame)
		f, _ := readUntil(t, ws, "identified")
		if i == 0 {
			first = f.CustomerID
		} else if f.CustomerID != first {
			t.Fatalf("repeat %d identified as %q, want %q", i, f.CustomerID, first)
		}
	}
	if n := len(e.engine.identifyCalls()); n != 1 {
		t.Errorf("repeats on one connection reached the engine %d times, want once", n)
	}
	// After a reconnect the widget sends it again; the engine sees it and
	// the answer is the same.
	ws.Close()
	ws2, _ := e.dial(t, q("visitor", hello.Visitor))
	send(t, ws2, frame)
	if f, _ := readUntil(t, ws2, "identified"); f.CustomerID != first {
		t.Fatalf("after reconnect identified as %q, want %q", f.CustomerID, first)
	}
}

func TestIdentifyEngineErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"engine failure", errors.New("store down"), "internal"},
		{"engine refuses the identity", fmt.Errorf("bot: identify: %w", channels.ErrInvalid), "identify_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newIdentifyEnv(t)
			e.engine.setIdentifyErr(tt.err)
			now := e.clock.Now().Unix()
			ws, _ := e.dial(t, nil)
			send(t, ws, identify("42", now, sign(siteSecret, "42", now)))
			if f, _ := readUntil(t, ws, "error"); f.Code != tt.code {
				t.Fatalf("code = %q, want %q", f.Code, tt.code)
			}
			// The failure is not remembered as success: a retry reaches
			// the engine again.
			e.engine.setIdentifyErr(nil)
			send(t, ws, identify("42", now, sign(siteSecret, "42", now)))
			readUntil(t, ws, "identified")
		})
	}
}

func TestIdentifyRateLimited(t *testing.T) {
	e, _ := newIdentifyEnv(t)
	now := e.clock.Now().Unix()
	ws, _ := e.dial(t, nil)
	bad := identify("42", now, strings.Repeat("00", 32))
	codes := map[string]int{}
	for range 8 {
		send(t, ws, bad)
		f, _ := readUntil(t, ws, "error")
		codes[f.Code]++
	}
	if codes["identify_invalid"] != 5 || codes["rate_limited"] != 3 {
		t.Fatalf("codes = %v, want 5 identify_invalid then 3 rate_limited", codes)
	}
	// The bucket refills with time (the test clock): 10 s buys one more.
	e.clock.Advance(10 * time.Second)
	now = e.clock.Now().Unix()
	send(t, ws, identify("42", now, sign(siteSecret, "42", now)))
	readUntil(t, ws, "identified")
}
