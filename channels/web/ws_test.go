package web_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/web"
)

func TestHelloTokenRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	ws, hello := e.dial(t, nil)
	if !strings.HasPrefix(hello.Visitor, "v1.") || hello.ConversationID == "" || hello.LastSeq != 0 {
		t.Fatalf("hello = %+v", hello)
	}
	ws.Close()

	_, again := e.dial(t, q("visitor", hello.Visitor))
	if again.ConversationID != hello.ConversationID {
		t.Fatalf("reconnect with token: conversation %s, want %s", again.ConversationID, hello.ConversationID)
	}
	if e.engine.customerCount() != 1 {
		t.Fatalf("engine saw %d visitors, want 1", e.engine.customerCount())
	}
	// The reissued token keeps the same visitor.
	_, third := e.dial(t, q("visitor", again.Visitor))
	if third.ConversationID != hello.ConversationID {
		t.Fatal("reissued token lost the visitor")
	}
}

func TestBadTokensGetNewIdentity(t *testing.T) {
	e := newEnv(t, nil)
	_, first := e.dial(t, nil)
	parts := strings.Split(first.Visitor, ".")
	otherPayload := base64.RawURLEncoding.EncodeToString([]byte("vis_00000000000000000000000000000000|" +
		"1740819600"))
	tests := []struct {
		name  string
		token string
		setup func()
	}{
		{"forged payload", parts[0] + "." + otherPayload + "." + parts[2], nil},
		{"forged mac", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32)), nil},
		{"malformed", "v1.@@@.###", nil},
		{"wrong version", "v2." + parts[1] + "." + parts[2], nil},
		{"garbage", strings.Repeat("x", 5000), nil},
		{"expired", first.Visitor, func() { e.clock.Advance(181 * 24 * time.Hour) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			before := e.engine.customerCount()
			_, hello := e.dial(t, q("visitor", tc.token))
			if hello.ConversationID == first.ConversationID {
				t.Fatal("bad token reached the original visitor's conversation")
			}
			if e.engine.customerCount() != before+1 {
				t.Fatal("bad token did not create a new visitor")
			}
			if hello.Visitor == tc.token {
				t.Fatal("bad token was handed back")
			}
		})
	}
}

// chat sends a message and reads until the bot's reply message arrives.
func chat(t *testing.T, ws *websocket.Conn, id, text string) (receipt frame, reply frame) {
	t.Helper()
	send(t, ws, map[string]string{"type": "message", "id": id, "text": text})
	for receipt.Type == "" || reply.Type == "" {
		f := read(t, ws)
		switch {
		case f.Type == "receipt":
			receipt = f
		case f.Type == "message" && f.Role == "bot":
			reply = f
		case f.Type == "error":
			t.Fatalf("error frame %+v", f)
		}
	}
	return receipt, reply
}

func TestReplayAfterReconnect(t *testing.T) {
	e := newEnv(t, nil)
	ws, hello := e.dial(t, nil)
	rec, reply := chat(t, ws, "c1", "  你好  ")
	if rec.ID != "c1" || rec.Seq != 1 || rec.Duplicate {
		t.Fatalf("receipt = %+v", rec)
	}
	if reply.Seq != 2 || reply.Text != "echo: 你好" || reply.ReplyTo != 1 || reply.At == "" {
		t.Fatalf("reply = %+v", reply)
	}
	send(t, ws, map[string]any{"type": "ack", "seq": 2})
	ws.Close()
	eventually(t, "ack stored", func() bool { s, _ := e.engine.acked(hello.ConversationID); return s == 2 })
	eventually(t, "connection gone", func() bool { return e.h.Connections() == 0 })

	// Messages produced while the visitor was away (seq 3, 4).
	ctx := context.Background()
	for _, text := range []string{"away 1", "away 2"} {
		if _, err := e.engine.say(ctx, hello.ConversationID, text, 0); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		query map[string]string
		want  []int64
	}{
		{"from acked seq", nil, []int64{3, 4}},
		{"from client cursor", map[string]string{"since": "3"}, []int64{4}},
		{"whole transcript", map[string]string{"since": "0"}, []int64{1, 2, 3, 4}},
		{"bad cursor falls back to acked", map[string]string{"since": "-5"}, []int64{3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := q("visitor", hello.Visitor)
			for k, val := range tc.query {
				v.Set(k, val)
			}
			ws, h2 := e.dial(t, v)
			if h2.ConversationID != hello.ConversationID || h2.LastSeq != 4 {
				t.Fatalf("hello = %+v", h2)
			}
			// A live message after the replay proves the replay is over
			// and nothing was sent twice.
			if _, err := e.engine.say(ctx, hello.ConversationID, "marker", 0); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for {
				f := read(t, ws)
				if f.Type != "message" {
					t.Fatalf("unexpected frame %+v", f)
				}
				if f.Text == "marker" {
					break
				}
				got = append(got, f.Seq)
			}
			if !equal(got, tc.want) {
				t.Fatalf("replayed seqs %v, want %v", got, tc.want)
			}
			ws.Close()
			eventually(t, "connection gone", func() bool { return e.h.Connections() == 0 })
			// Drop the marker from later cases' expectations by acking
			// nothing: markers are only ever sent live.
			e.engine.mu.Lock()
			c := e.engine.convs[hello.ConversationID]
			c.msgs = c.msgs[:len(c.msgs)-1]
			c.last--
			e.engine.mu.Unlock()
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIdempotentResend(t *testing.T) {
	e := newEnv(t, nil)
	ws, _ := e.dial(t, nil)
	first, _ := chat(t, ws, "same-id", "where is my order?")
	send(t, ws, map[string]string{"type": "message", "id": "same-id", "text": "where is my order?"})
	again, _ := readUntil(t, ws, "receipt")
	if again.Seq != first.Seq || !again.Duplicate || first.Duplicate {
		t.Fatalf("first %+v, resend %+v", first, again)
	}
	// No second reply: the next frame after a ping is the pong.
	send(t, ws, `{"type":"ping"}`)
	if f := read(t, ws); f.Type != "pong" {
		t.Fatalf("got %+v, want pong (no reply to a resend)", f)
	}
}

func TestBadFramesKeepConnection(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.MaxFrameBytes = 1024 })
	ws, _ := e.dial(t, nil)
	tests := []struct {
		name, frame, code string
	}{
		{"oversize", `{"type":"message","id":"x","text":"` + strings.Repeat("长", 2000) + `"}`, "frame_too_large"},
		{"invalid json", `{"type":"message",`, "invalid_json"},
		{"json array", `[1,2]`, "invalid_json"},
		{"wrong field type", `{"type":"ack","seq":"seven"}`, "invalid_json"},
		{"unknown type", `{"type":"teleport"}`, "unknown_type"},
		{"no type", `{}`, "unknown_type"},
		{"empty text", `{"type":"message","id":"a","text":"  \n "}`, "invalid_message"},
		{"missing id", `{"type":"message","text":"hi"}`, "invalid_message"},
		{"long id", `{"type":"message","id":"` + strings.Repeat("i", 65) + `","text":"hi"}`, "invalid_message"},
		{"bad event name", `{"type":"event","name":"Page View"}`, "invalid_event"},
		{"event props not object", `{"type":"event","name":"page_view","props":[1]}`, "invalid_event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			send(t, ws, tc.frame)
			f := read(t, ws)
			if f.Type != "error" || f.Code != tc.code || f.Message == "" {
				t.Fatalf("got %+v, want error %s", f, tc.code)
			}
			roundTrip(t, ws)
		})
	}
}

func TestTooLongText(t *testing.T) {
	e := newEnv(t, nil) // default 16 KiB frames fit 4001 ASCII characters
	ws, _ := e.dial(t, nil)
	send(t, ws, map[string]string{"type": "message", "id": "long", "text": strings.Repeat("a", 4001)})
	if f := read(t, ws); f.Code != "invalid_message" {
		t.Fatalf("got %+v, want invalid_message", f)
	}
	rec, _ := chat(t, ws, "ok", strings.Repeat("好", 4000))
	if rec.Seq == 0 {
		t.Fatal("4000 characters should be accepted")
	}
}

func TestAbusiveFramesClose(t *testing.T) {
	tests := []struct {
		name string
		typ  int
		data []byte
		code int
	}{
		{"over hard cap", websocket.TextMessage, make([]byte, 2<<20), websocket.CloseMessageTooBig},
		{"binary", websocket.BinaryMessage, []byte{1, 2, 3}, websocket.CloseUnsupportedData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ws, _ := e.dial(t, nil)
			if err := ws.WriteMessage(tc.typ, tc.data); err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				_, _, err := ws.ReadMessage()
				if err == nil {
					continue
				}
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != tc.code {
					t.Fatalf("err = %v, want close %d", err, tc.code)
				}
				break
			}
			eventually(t, "connection gone", func() bool { return e.h.Connections() == 0 })
		})
	}
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, nil) // the test clock stands still: no refill
	e.engine.setQuiet()
	ws, _ := e.dial(t, nil)
	for i := range 10 {
		send(t, ws, map[string]any{"type": "message", "id": "m" + string(rune('a'+i)), "text": "spam"})
		if f, _ := readUntil(t, ws, "receipt"); f.ID != "m"+string(rune('a'+i)) {
			t.Fatalf("message %d: got %+v", i, f)
		}
	}
	send(t, ws, map[string]any{"type": "message", "id": "over", "text": "spam"})
	if f, _ := readUntil(t, ws, "error"); f.Code != "rate_limited" {
		t.Fatalf("got %+v, want rate_limited", f)
	}
	// Events have their own bucket.
	send(t, ws, `{"type":"event","name":"page_view","props":{"url":"/demo/"}}`)
	roundTrip(t, ws)
	if len(e.engine.observed()) != 1 {
		t.Fatal("event was not observed while messages were limited")
	}
	e.clock.Advance(time.Second)
	chatQuiet(t, ws, "later")
}

func chatQuiet(t *testing.T, ws *websocket.Conn, id string) {
	t.Helper()
	send(t, ws, map[string]any{"type": "message", "id": id, "text": "hi"})
	if f := read(t, ws); f.Type != "receipt" {
		t.Fatalf("got %+v, want receipt", f)
	}
}

func TestEventsObserved(t *testing.T) {
	e := newEnv(t, nil)
	ws, _ := e.dial(t, nil)
	send(t, ws, `{"type":"event","name":"page_view","id":"view-1","props":{"url":"https://shop.example.com/demo/refund-policy.html","title":"Refunds","dwell_ms":0}}`)
	send(t, ws, `{"type":"event","name":"page_leave"}`)
	roundTrip(t, ws)
	evs := e.engine.observed()
	if len(evs) != 2 {
		t.Fatalf("observed %d events, want 2", len(evs))
	}
	v := evs[0]
	if v.Name != "page_view" || v.Channel != "web" || v.CustomerID == "" || v.V != channels.Version ||
		!strings.HasSuffix(v.ID, ":view-1") || !strings.Contains(string(v.Props), "refund-policy") {
		t.Fatalf("event = %+v", v)
	}
	if evs[1].ID == "" || evs[1].ID == v.ID || evs[1].Props != nil {
		t.Fatalf("second event = %+v", evs[1])
	}
}

func TestRelayedFrames(t *testing.T) {
	e := newEnv(t, nil)
	ws, hello := e.dial(t, nil)
	ctx := context.Background()
	conv := hello.ConversationID
	pub := func(out channels.Outbound) {
		t.Helper()
		out.ConversationID = conv
		if err := e.engine.relay.Publish(ctx, out); err != nil {
			t.Fatal(err)
		}
	}
	pub(channels.Outbound{Kind: channels.OutTyping, Role: "bot"})
	pub(channels.Outbound{Kind: channels.OutDelta, Seq: 1, Text: "Hel"})
	pub(channels.Outbound{Kind: channels.OutDelta, Seq: 1, Text: "lo"})
	pub(channels.Outbound{Kind: channels.OutMessage, Seq: 1, Role: "agent", Text: "Hello",
		At: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)})
	pub(channels.Outbound{Kind: channels.OutDelta, Seq: 1, Text: "late piece"})             // after the final: dropped
	pub(channels.Outbound{Kind: channels.OutMessage, Seq: 1, Role: "agent", Text: "Hello"}) // duplicate: dropped
	want := []frame{
		{Type: "typing", Role: "bot"},
		{Type: "delta", Seq: 1, Text: "Hel"},
		{Type: "delta", Seq: 1, Text: "lo"},
		{Type: "message", Seq: 1, Role: "agent", Text: "Hello", At: "2025-03-01T09:00:00Z"},
	}
	for i, w := range want {
		if got := read(t, ws); got != w {
			t.Fatalf("frame %d = %+v, want %+v", i, got, w)
		}
	}
	roundTrip(t, ws) // would fail on the dropped frames
}

func TestAcksCoalesced(t *testing.T) {
	e := newEnv(t, nil)
	ws, hello := e.dial(t, nil)
	for i := range 3 {
		chat(t, ws, "m"+string(rune('0'+i)), "hi") // seqs 1..6
	}
	for seq := 1; seq <= 6; seq++ {
		send(t, ws, map[string]any{"type": "ack", "seq": seq})
	}
	roundTrip(t, ws)
	ws.Close()
	eventually(t, "final ack", func() bool { s, _ := e.engine.acked(hello.ConversationID); return s == 6 })
	if _, calls := e.engine.acked(hello.ConversationID); calls > 3 {
		t.Fatalf("engine got %d ack calls for 6 acks, want coalescing", calls)
	}
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, origin string
		ok           bool
	}{
		{"allow-listed", "https://shop.example.com", true},
		{"allow-listed, other case", "HTTPS://Shop.Example.com", true},
		{"same host", e.srv.URL, true},
		{"no origin", "", true},
		{"other site", "https://evil.example", false},
		{"allow-listed host, other scheme", "http://shop.example.com", false},
		{"null", "null", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.origin != "" {
				hdr.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.DefaultDialer.Dial(e.wsURL(nil), hdr)
			if tc.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				ws.Close()
				return
			}
			if err == nil {
				ws.Close()
				t.Fatal("connection from a foreign origin was accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("resp = %v, want 403", resp)
			}
		})
	}
}

func TestShutdownSendsGoingAway(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.dial(t, nil)
	b, _ := e.dial(t, nil)
	send(t, a, `{"type":"ping"}`) // queued just before shutdown: still delivered
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.h.Shutdown(ctx)
	}()
	for _, ws := range []*websocket.Conn{a, b} {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, _, err := ws.ReadMessage()
			if err == nil {
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("err = %v, want close 1001", err)
			}
			break
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := e.h.Connections(); n != 0 {
		t.Fatalf("%d connections after shutdown", n)
	}
	if _, resp, err := websocket.DefaultDialer.Dial(e.wsURL(nil), nil); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: err %v, resp %v", err, resp)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name string
		cfg  web.Config
	}{
		{"no engine", web.Config{Relay: nil, Secret: testSecret}},
		{"short secret", web.Config{Engine: e.engine, Relay: fakeSubscriber{}, Secret: []byte("short")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := web.New(tc.cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

func TestSlowConsumerDisconnected(t *testing.T) {
	// A write timeout short enough to keep the test quick, long enough
	// that the fast client (reading as fast as a loaded CI machine lets
	// it) is never taken for a slow one.
	e := newEnv(t, func(c *web.Config) { c.WriteTimeout = time.Second })
	fast, hello := e.dial(t, nil)
	// A second tab of the same visitor that stops reading.
	slow, _ := e.dial(t, q("visitor", hello.Visitor))
	ctx := context.Background()
	big := strings.Repeat("x", 64<<10)
	for i := 0; e.h.Connections() > 1; i++ {
		if i > 2000 {
			t.Fatal("slow client was never disconnected")
		}
		out, err := e.engine.say(ctx, hello.ConversationID, big, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f := read(t, fast); f.Seq != out.Seq {
			t.Fatalf("fast client got seq %d, want %d", f.Seq, out.Seq)
		}
	}
	// The fast client keeps receiving.
	out, err := e.engine.say(ctx, hello.ConversationID, "still here", 0)
	if err != nil {
		t.Fatal(err)
	}
	if f := read(t, fast); f.Seq != out.Seq || f.Text != "still here" {
		t.Fatalf("fast client got %+v", f)
	}
	// The slow client finds its connection closed...
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			break
		}
	}
	// ...and gets everything back by replay when it reconnects.
	again, h2 := e.dial(t, q("visitor", hello.Visitor, "since", "0"))
	if h2.LastSeq != out.Seq {
		t.Fatalf("hello last_seq %d, want %d", h2.LastSeq, out.Seq)
	}
	var n int64
	for n < out.Seq {
		f := read(t, again)
		if f.Seq != n+1 {
			t.Fatalf("replay seq %d, want %d", f.Seq, n+1)
		}
		n = f.Seq
	}
}
