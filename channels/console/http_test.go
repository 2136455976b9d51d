package console_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/channels/console"
)

func TestLoginSessionAndCSRF(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.Secure = true })
	e.addAgent("alice", console.RoleAgent, "refunds")
	jar, _ := cookiejar.New(nil)
	anon := &agentClient{e: e, http: &http.Client{Jar: jar}}

	resp, wrong := anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "alice", "password": "nope-nope"}, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	_, unknown := anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "mallory", "password": "nope-nope"}, nil)
	if string(wrong) != string(unknown) {
		t.Fatalf("unknown user and wrong password answer differently: %s vs %s", wrong, unknown)
	}
	resp, _ = anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "alice", "password": "password-alice"}, map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login: %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/api/login", strings.NewReader("name=alice&password=password-alice"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := anon.http.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form login: %v %v, want 415", resp, err)
	}

	resp, body := anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "alice", "password": "password-alice"}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "password") || strings.Contains(string(body), "$2a$") {
		t.Fatalf("login answer leaks the hash: %s", body)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || len(ck.Value) != 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/console/, 256-bit value", ck)
	}
	var login struct{ CSRF string }
	_ = json.Unmarshal(body, &login)

	// The cookie is Secure, so the jar (plain http) won't send it: send it by hand.
	cookie := map[string]string{"Cookie": console.CookieName + "=" + ck.Value}
	if resp, _ := anon.do(http.MethodGet, "/console/api/me", nil, cookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("me: %d", resp.StatusCode)
	}
	if resp, _ := anon.do(http.MethodGet, "/console/api/me", nil, map[string]string{"Cookie": console.CookieName + "=" + strings.Repeat("A", 43)}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me with a forged cookie: %d", resp.StatusCode)
	}
	if resp, _ := anon.do(http.MethodPost, "/console/api/logout", map[string]string{}, cookie); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d, want 403", resp.StatusCode)
	}
	withBad := map[string]string{"Cookie": cookie["Cookie"], "X-CSRF-Token": "forged"}
	if resp, _ := anon.do(http.MethodPost, "/console/api/logout", map[string]string{}, withBad); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with a wrong CSRF token: %d, want 403", resp.StatusCode)
	}
	withCSRF := map[string]string{"Cookie": cookie["Cookie"], "X-CSRF-Token": login.CSRF}
	if resp, _ := anon.do(http.MethodPost, "/console/api/logout", map[string]string{}, withCSRF); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := anon.do(http.MethodGet, "/console/api/me", nil, cookie); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me after logout: %d, want 401", resp.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent)
	jar, _ := cookiejar.New(nil)
	anon := &agentClient{e: e, http: &http.Client{Jar: jar}}
	for i := range console.DefaultAccountFailures {
		resp, _ := anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "alice", "password": "guess-" + string(rune('a'+i))}, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := anon.do(http.MethodPost, "/console/api/login", map[string]string{"name": "alice", "password": "password-alice"}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after %d failures: %d, want 429 with Retry-After", console.DefaultAccountFailures, resp.StatusCode)
	}
}

func TestWebSocketGuards(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent)
	c := e.login("alice")
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/console/ws"
	cookie := ""
	for _, ck := range c.http.Jar.Cookies(mustURL(e.srv.URL + "/console/")) {
		cookie = ck.Name + "=" + ck.Value
	}
	tests := []struct {
		name   string
		query  string
		hdr    http.Header
		status int
	}{
		{"no session", "?csrf=" + c.csrf, http.Header{"Origin": {e.srv.URL}}, http.StatusUnauthorized},
		{"other site", "?csrf=" + c.csrf, http.Header{"Origin": {"https://evil.example"}, "Cookie": {cookie}}, http.StatusForbidden},
		{"no csrf", "", http.Header{"Origin": {e.srv.URL}, "Cookie": {cookie}}, http.StatusForbidden},
		{"wrong csrf", "?csrf=x" + c.csrf, http.Header{"Origin": {e.srv.URL}, "Cookie": {cookie}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, resp, err := websocket.DefaultDialer.Dial(u+tt.query, tt.hdr)
			if err == nil {
				ws.Close()
				t.Fatal("upgrade allowed")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("got %v, want %d", resp, tt.status)
			}
		})
	}
	c.dial().await("hello", typeIs("hello")) // and the right way in works
}

func handoffIDs(f map[string]any) []string {
	var ids []string
	for _, h := range f["handoffs"].([]any) {
		ids = append(ids, h.(map[string]any)["handoff_id"].(string))
	}
	return ids
}

func TestQueueVisibilityAndClaimRace(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent, "refunds")
	e.addAgent("bob", console.RoleAgent, "refunds", "billing")
	e.addAgent("root", console.RoleAdmin)
	e.desk.request("h1", "c1", "refunds", 3, "refund of order 1042")
	e.desk.request("h2", "c2", "billing", 8, "invoice question")
	eventually(t, "console sees both handoffs", func() bool {
		w := e.login("root").dial()
		return len(handoffIDs(w.await("hello", typeIs("hello")))) == 2
	})

	alice, bob := e.login("alice").dial(), e.login("bob").dial()
	if ids := handoffIDs(alice.await("hello", typeIs("hello"))); len(ids) != 1 || ids[0] != "h1" {
		t.Fatalf("alice (refunds) sees %v, want [h1]", ids)
	}
	if ids := handoffIDs(bob.await("hello", typeIs("hello"))); len(ids) != 2 || ids[0] != "h2" {
		t.Fatalf("bob sees %v, want [h2 h1] (priority first)", ids)
	}
	eventually(t, "presence of both agents", func() bool {
		e.desk.mu.Lock()
		defer e.desk.mu.Unlock()
		return e.desk.presence["alice"].Status == "online" && e.desk.presence["bob"].MaxChats == console.DefaultMaxChats
	})

	// alice may not touch a handoff outside her queues.
	alice.send(map[string]any{"type": "claim", "handoff_id": "h2"})
	if f := alice.await("error", typeIs("error")); f["code"] != "not_found" {
		t.Fatalf("claim outside her queues: %v", f)
	}

	// Both claim h1 at once: exactly one wins; the loser sees it gone.
	alice.send(map[string]any{"type": "claim", "handoff_id": "h1"})
	bob.send(map[string]any{"type": "claim", "handoff_id": "h1"})
	// The loser's "gone" may come before or after its claim answer.
	claimAndGone := func(w *wsConn) (claim, gone map[string]any) {
		w.await("claim result", func(f map[string]any) bool {
			switch {
			case f["type"] == "claim":
				claim = f
			case f["type"] == "gone" && f["handoff_id"] == "h1":
				gone = f
			}
			return claim != nil && (claim["ok"] == true || gone != nil)
		})
		return claim, gone
	}
	ra, ga := claimAndGone(alice)
	rb, gb := claimAndGone(bob)
	if ra["ok"] == rb["ok"] {
		t.Fatalf("claims: alice %v, bob %v; want exactly one winner", ra, rb)
	}
	winner, lost, gone := "alice", rb, gb
	if rb["ok"] == true {
		winner, lost, gone = "bob", ra, ga
	}
	if got := e.desk.handoff("h1"); got.AgentID != winner {
		t.Fatalf("gateway owner %q, console winner %q", got.AgentID, winner)
	}
	if lost["error"] != "already_claimed" || gone["agent_id"] != winner {
		t.Fatalf("the loser was told %v and %v", lost, gone)
	}
}

func TestChatResumeAndExactlyOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent, "refunds")
	e.desk.request("h1", "c1", "refunds", 3, "refund of order 1042")
	e.desk.say("c1", "还要等多久？") // sent while waiting: seq 1
	alice := e.login("alice")
	w := alice.dial()
	eventually(t, "handoff listed", func() bool {
		w2 := alice.dial()
		return len(handoffIDs(w2.await("hello", typeIs("hello")))) == 1
	})
	w.send(map[string]any{"type": "claim", "handoff_id": "h1"})
	if f := w.await("claim", typeIs("claim")); f["ok"] != true {
		t.Fatalf("claim: %v", f)
	}
	w.send(map[string]any{"type": "open", "handoff_id": "h1", "after_seq": 0})
	pkg := w.await("package", typeIs("package"))
	if !strings.Contains(string(mustJSON(pkg["package"])), "compensation") {
		t.Fatalf("package: %v", pkg)
	}
	tr := w.await("transcript", typeIs("transcript"))
	if msgs := tr["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "还要等多久？" {
		t.Fatalf("transcript: %v", tr)
	}

	// Live: customer message, customer typing.
	e.desk.customerTyping("c1", "start")
	if f := w.await("typing", typeIs("typing")); f["state"] != "start" {
		t.Fatalf("typing: %v", f)
	}
	e.desk.say("c1", "<script>alert(1)</script> hello?")
	if f := w.await("customer message", typeIs("message")); f["seq"] != float64(2) || f["text"] != "<script>alert(1)</script> hello?" {
		t.Fatalf("message: %v", f)
	}

	// The agent types and replies; the reply is stored once even when the
	// browser resends it (same client id) after a reconnect.
	w.send(map[string]any{"type": "typing", "conversation_id": "c1", "state": "start"})
	w.send(map[string]any{"type": "reply", "conversation_id": "c1", "client_id": "alice-m-1", "text": "  您好，马上为您处理。 "})
	if f := w.awaitAll("sent", "result")["result"]; f["ok"] != true || f["seq"] != float64(3) {
		t.Fatalf("result: %v", f)
	}
	w.ws.Close()
	w = alice.dial()
	w.await("hello", typeIs("hello"))
	w.send(map[string]any{"type": "open", "handoff_id": "h1", "after_seq": 2})
	w.send(map[string]any{"type": "reply", "conversation_id": "c1", "client_id": "alice-m-1", "text": "您好，马上为您处理。"})
	got := w.awaitAll("transcript", "sent")
	if msgs := got["transcript"]["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["seq"] != float64(3) ||
		msgs[0].(map[string]any)["client_id"] != "alice-m-1" {
		t.Fatalf("resume transcript: %v", got["transcript"])
	}
	if got["sent"]["duplicate"] != true {
		t.Fatalf("resend: %v, want a duplicate", got["sent"])
	}
	msgs, _, _, typing := e.desk.snapshot()
	if len(msgs) != 1 || msgs[0].Text != "您好，马上为您处理。" || msgs[0].AgentID != "alice" {
		t.Fatalf("gateway stored %+v, want one trimmed reply from alice", msgs)
	}
	if len(typing) == 0 || typing[0].AgentID != "alice" || typing[0].State != "start" {
		t.Fatalf("agent typing: %+v", typing)
	}

	// Bad frames are refused without closing the connection.
	bad := []map[string]any{
		{"type": "reply", "conversation_id": "c1", "client_id": "alice-m-2", "text": "   "},
		{"type": "reply", "conversation_id": "c1", "client_id": "alice-m-3", "text": strings.Repeat("字", console.MaxText+1)},
		{"type": "reply", "conversation_id": "c1", "text": "no client id"},
		{"type": "reply", "conversation_id": "c9", "client_id": "alice-m-4", "text": "not mine"},
		{"type": "transfer", "handoff_id": "h1", "to_queue": "billing", "to_agent": "bob"},
		{"type": "resolve", "conversation_id": "c1", "client_id": "alice-r-0", "summary": ""},
		{"type": "launch"},
	}
	for _, f := range bad {
		w.send(f)
		if got := w.await("error", typeIs("error")); got["code"] != "invalid" && got["code"] != "not_found" {
			t.Fatalf("%v: %v", f, got)
		}
	}
	if err := w.ws.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	w.await("error for bad JSON", typeIs("error"))

	// A note, then resolve: the gateway gets both and the chat leaves the console.
	w.send(map[string]any{"type": "note", "conversation_id": "c1", "client_id": "alice-n-1", "text": "warehouse confirmed"})
	w.await("noted", typeIs("noted"))
	w.send(map[string]any{"type": "resolve", "conversation_id": "c1", "handoff_id": "h1", "client_id": "alice-r-1",
		"summary": "Refund of ¥199 approved", "settled": []string{"refund ¥199 for order 1042", " "}})
	if g := w.awaitAll("resolving", "gone")["gone"]; g["status"] != console.StatusResolved {
		t.Fatalf("after resolve: %v", g)
	}
	_, notes, resolved, _ := e.desk.snapshot()
	if len(notes) != 1 || notes[0].Text != "warehouse confirmed" {
		t.Fatalf("notes: %+v", notes)
	}
	if len(resolved) != 1 || resolved[0].Summary != "Refund of ¥199 approved" || len(resolved[0].Settled) != 1 || resolved[0].HandoffID != "h1" {
		t.Fatalf("resolution: %+v", resolved)
	}
	w.send(map[string]any{"type": "reply", "conversation_id": "c1", "client_id": "alice-m-9", "text": "after resolve"})
	if f := w.await("error", typeIs("error")); f["code"] != "not_found" {
		t.Fatalf("reply after resolve: %v", f)
	}
}

func TestTransfer(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent, "refunds")
	e.addAgent("bob", console.RoleAgent, "billing")
	e.desk.request("h1", "c1", "refunds", 3, "refund")
	alice, bob := e.login("alice").dial(), e.login("bob").dial()
	eventually(t, "handoff listed", func() bool {
		return len(handoffIDs(e.login("alice").dial().await("hello", typeIs("hello")))) == 1
	})
	alice.send(map[string]any{"type": "claim", "handoff_id": "h1"})
	alice.await("claim", typeIs("claim"))
	alice.send(map[string]any{"type": "transfer", "handoff_id": "h1", "to_queue": "billing", "text": "invoice question"})
	got := alice.awaitAll("transfer", "gone")
	if got["transfer"]["ok"] != true || got["gone"]["handoff_id"] != "h1" {
		t.Fatalf("transfer: %v", got)
	}
	f := bob.await("handoff in billing", func(f map[string]any) bool { return f["type"] == "handoff" })
	if h := f["handoff"].(map[string]any); h["queue"] != "billing" || h["status"] != console.StatusWaiting {
		t.Fatalf("bob got %v", h)
	}
}

func TestApprovals(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent)
	e.addAgent("root", console.RoleAdmin)
	alice, root := e.login("alice"), e.login("root")
	if resp, _ := alice.do(http.MethodGet, "/console/api/approvals", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("agent reads approvals: %d", resp.StatusCode)
	}
	resp, body := root.do(http.MethodGet, "/console/api/approvals", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"d1"`) {
		t.Fatalf("admin approvals: %d %s", resp.StatusCode, body)
	}
	if resp, _ := root.do(http.MethodPost, "/console/api/approvals/d1/approve", map[string]string{}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("approve without CSRF: %d", resp.StatusCode)
	}
	csrf := map[string]string{"X-CSRF-Token": root.csrf}
	if resp, _ := root.do(http.MethodPost, "/console/api/approvals/d1/launch", map[string]string{}, csrf); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown verb: %d", resp.StatusCode)
	}
	if resp, _ := root.do(http.MethodPost, "/console/api/approvals/d1/edit", map[string]string{"text": " "}, csrf); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty edit: %d", resp.StatusCode)
	}
	if resp, body := root.do(http.MethodPost, "/console/api/approvals/d1/edit", map[string]string{"text": "Hi, need help?"}, csrf); resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.decisions) != 1 || e.decisions[0] != "/api/v1/proactive/approvals/d1/edit by=root text=Hi, need help?" {
		t.Fatalf("API saw %q", e.decisions)
	}
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}
