package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/wechat"
	"github.com/kairoscx/kairos/channels/wechat/wechattest"
	"github.com/kairoscx/kairos/channels/wxcrypt"
)

func TestURLVerification(t *testing.T) {
	e := newEnv(t, wechat.Options{})
	n := e.addNode()
	now := strconv.FormatInt(e.clock.Now().Unix(), 10)
	old := strconv.FormatInt(e.clock.Now().Add(-time.Hour).Unix(), 10)
	tests := []struct {
		name, ts, sig string
		status        int
	}{
		{"good", now, wxcrypt.Signature(token, now, "n1"), http.StatusOK},
		{"wrong signature", now, wxcrypt.Signature("other", now, "n1"), http.StatusForbidden},
		{"stale timestamp", old, wxcrypt.Signature(token, old, "n1"), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"signature": {tt.sig}, "timestamp": {tt.ts}, "nonce": {"n1"}, "echostr": {"echo-1234"}}
			resp, err := http.Get(n.URL() + "?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == http.StatusOK && b.String() != "echo-1234" {
				t.Fatalf("body %q", b.String())
			}
		})
	}
	resp, err := http.Get(n.srv.URL + "/channels/wechat/nosuch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown account: status %d", resp.StatusCode)
	}
}

// The engine is slower than the reply budget, and WeChat repeats the
// callback three times, to two nodes: one answer through the
// customer-service API, one message in the engine.
func TestAnswerOnceDespiteRetriesOnTwoNodes(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 50 * time.Millisecond})
	e.engine.Delay = 400 * time.Millisecond
	n1, n2 := e.addNode(), e.addNode()
	ps := e.pusher(wechattest.Safe)
	m := textMessage("oUser1", 6054768590064713728, "退货怎么办？", e.clock.Now())
	for i, n := range []*node{n1, n2, n1} {
		r, err := ps.Push(context.Background(), n.URL(), m)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusOK || string(r.Body) != "success" {
			t.Fatalf("attempt %d: status %d body %q", i+1, r.Status, r.Body)
		}
	}
	eventually(t, "the answer", func() bool { return len(e.platform.Sent()) > 0 })
	e.settle()
	sent := e.platform.Sent()
	if len(sent) != 1 || sent[0].Text != "echo: 退货怎么办？" || sent[0].ToUser != "oUser1" {
		t.Fatalf("sent %+v, want one answer", sent)
	}
	if got := len(e.engine.Received()); got != 1 {
		t.Fatalf("engine received the message %d times", got)
	}
	if len(e.platform.Typing()) == 0 {
		t.Error("no typing indicator while the engine worked")
	}
	if got := e.platform.TokenFetches(); got != 1 {
		t.Errorf("%d tokens fetched for two nodes, want 1 shared", got)
	}
}

// The same, with the three callbacks arriving at once.
func TestConcurrentRetries(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 50 * time.Millisecond})
	e.engine.Delay = 200 * time.Millisecond
	nodes := []*node{e.addNode(), e.addNode()}
	ps := e.pusher(wechattest.Compatible)
	m := textMessage("oUser2", 42, "hello", e.clock.Now())
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, err := ps.Push(context.Background(), nodes[i%2].URL(), m)
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the answer", func() bool { return len(e.platform.Answers("oUser2")) > 0 })
	e.settle()
	if got := e.platform.Answers("oUser2"); len(got) != 1 {
		t.Fatalf("answers %q, want one", got)
	}
}

func TestPassiveReply(t *testing.T) {
	for _, mode := range []wechattest.Mode{wechattest.Plain, wechattest.Compatible, wechattest.Safe} {
		t.Run(strconv.Itoa(int(mode)), func(t *testing.T) {
			e := newEnv(t, wechat.Options{ReplyBudget: 3 * time.Second})
			n := e.addNode()
			ps := e.pusher(mode)
			m := textMessage("oUser3", 7, "What are your opening hours?", e.clock.Now())
			r, err := ps.Push(context.Background(), n.URL(), m)
			if err != nil {
				t.Fatal(err)
			}
			if r.Passive == nil {
				t.Fatalf("no passive reply: %d %q", r.Status, r.Body)
			}
			if r.Passive.Content != "echo: What are your opening hours?" || r.Passive.ToUserName != "oUser3" ||
				r.Passive.FromUserName != ghID || r.Passive.MsgType != "text" {
				t.Fatalf("passive reply %+v", r.Passive)
			}
			if encrypted := bytes.Contains(r.Body, []byte("<Encrypt>")); encrypted != (mode != wechattest.Plain) {
				t.Fatalf("mode %d: encrypted reply = %v:\n%s", mode, encrypted, r.Body)
			}
			// A repeat (the response was lost on the way) gets the same
			// reply, and the engine sees the message once.
			r2, err := ps.Push(context.Background(), n.URL(), m)
			if err != nil {
				t.Fatal(err)
			}
			if r2.Passive == nil || r2.Passive.Content != r.Passive.Content {
				t.Fatalf("repeat got %q", r2.Body)
			}
			e.settle()
			if got := len(e.engine.Received()); got != 1 {
				t.Fatalf("engine received %d", got)
			}
			if sent := e.platform.Sent(); len(sent) != 0 {
				t.Fatalf("also sent through the API: %+v", sent)
			}
		})
	}
}

func TestRefusedBeforeAnythingIsStored(t *testing.T) {
	e := newEnv(t, wechat.Options{MaxBody: 4096})
	n := e.addNode()
	safe := e.pusher(wechattest.Safe)
	plain := e.pusher(wechattest.Plain)
	now := e.clock.Now()
	m := textMessage("oUser4", 99, "hi", now)

	other := wechattest.New("wx-other-app", "s")
	defer other.Close()
	foreign, err := other.Pusher(token, aesKey, wechattest.Safe)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	stale := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	build := map[string]func() (*http.Request, error){
		"wrong signature": func() (*http.Request, error) {
			r, err := safe.Request(n.URL(), m)
			if err == nil {
				q := r.URL.Query()
				q.Set("signature", strings.Repeat("a", 40))
				r.URL.RawQuery = q.Encode()
			}
			return r, err
		},
		"wrong msg_signature": func() (*http.Request, error) {
			r, err := safe.Request(n.URL(), m)
			if err == nil {
				q := r.URL.Query()
				q.Set("msg_signature", strings.Repeat("b", 40))
				r.URL.RawQuery = q.Encode()
			}
			return r, err
		},
		"wrong appid inside": func() (*http.Request, error) { return foreign.RequestAt(n.URL(), m, ts, "nonce") },
		"stale timestamp":    func() (*http.Request, error) { return safe.RequestAt(n.URL(), m, stale, "nonce") },
		"malformed xml": func() (*http.Request, error) {
			r, err := plain.Request(n.URL(), m)
			if err == nil {
				r.Body = http.NoBody
				r.ContentLength = 0
				r.Body = ioNop("<xml><FromUserName>oUser4</FromUserName><MsgType>te")
			}
			return r, err
		},
		"oversize body": func() (*http.Request, error) {
			big := m
			big.Content = strings.Repeat("x", 8192)
			return plain.Request(n.URL(), big)
		},
	}
	want := map[string]int{
		"wrong signature": 403, "wrong msg_signature": 403, "wrong appid inside": 403,
		"stale timestamp": 403, "malformed xml": 400, "oversize body": 413,
	}
	for name, f := range build {
		t.Run(name, func(t *testing.T) {
			req, err := f()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want[name] {
				t.Fatalf("status %d, want %d", resp.StatusCode, want[name])
			}
		})
	}
	e.settle()
	if got := e.engine.Connects() + len(e.engine.Received()) + len(e.engine.Events()); got != 0 {
		t.Fatalf("the engine was reached %d times", got)
	}
	if got := e.platform.TokenFetches(); got != 0 {
		t.Fatalf("%d tokens fetched", got)
	}
}

func ioNop(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// A token another client replaced is refused with 40001: the channel
// fetches a new one once and the message still goes out.
func TestTokenRefreshOn40001(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 20 * time.Millisecond})
	e.engine.Delay = 100 * time.Millisecond
	n := e.addNode()
	ps := e.pusher(wechattest.Safe)
	if _, err := ps.Push(context.Background(), n.URL(), textMessage("oUser5", 1, "first", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first answer", func() bool { return len(e.platform.Sent()) == 1 })
	e.platform.RevokeTokens()
	if _, err := ps.Push(context.Background(), n.URL(), textMessage("oUser5", 2, "second", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second answer", func() bool { return len(e.platform.Sent()) == 2 })
	e.settle()
	if got := e.platform.TokenFetches(); got != 2 {
		t.Fatalf("token fetches %d, want 2", got)
	}
	if sent := e.platform.Sent(); sent[1].Text != "echo: second" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestLongAnswerIsSplit(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 20 * time.Millisecond})
	e.engine.Delay = 100 * time.Millisecond
	long := strings.Repeat("这是一个很长的回答。", 200) // 6000 bytes
	e.engine.Answer = func(string) string { return long }
	n := e.addNode()
	if _, err := e.pusher(wechattest.Plain).Push(context.Background(), n.URL(), textMessage("oUser6", 5, "tell me everything", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	eventually(t, "all pieces", func() bool { return len(e.platform.Sent()) >= 3 })
	e.settle()
	var joined strings.Builder
	for _, s := range e.platform.Sent() {
		if len(s.Text) > wechat.MaxTextBytes {
			t.Fatalf("piece of %d bytes", len(s.Text))
		}
		joined.WriteString(s.Text)
	}
	if joined.String() != long {
		t.Fatal("pieces do not add up to the answer")
	}
}

func TestEventsAndVoice(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 3 * time.Second})
	n := e.addNode()
	ps := e.pusher(wechattest.Safe)
	now := e.clock.Now()
	r, err := ps.Push(context.Background(), n.URL(), wechattest.Message{ToUserName: ghID, FromUserName: "oUser7", CreateTime: now, MsgType: "event", Event: "subscribe", EventKey: "qrscene_spring"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Passive == nil || r.Passive.Content != wechat.DefaultWelcome {
		t.Fatalf("subscribe: %q", r.Body)
	}
	for _, ev := range []string{"CLICK", "VIEW", "unsubscribe"} {
		now = now.Add(time.Second)
		r, err := ps.Push(context.Background(), n.URL(), wechattest.Message{ToUserName: ghID, FromUserName: "oUser7", CreateTime: now, MsgType: "event", Event: ev, EventKey: "k"})
		if err != nil || string(r.Body) != "success" {
			t.Fatalf("%s: %v %q", ev, err, r.Body)
		}
	}
	voice := wechattest.Message{ToUserName: ghID, FromUserName: "oUser7", CreateTime: now, MsgType: "voice", MediaID: "m1", Format: "amr", Recognition: "我想退货", MsgID: 77}
	r, err = ps.Push(context.Background(), n.URL(), voice)
	if err != nil || r.Passive == nil || r.Passive.Content != "echo: 我想退货" {
		t.Fatalf("voice: %v %q", err, r.Body)
	}
	e.settle()
	var names []string
	for _, ev := range e.engine.Events() {
		names = append(names, ev.Name)
		if ev.Channel != wechat.ChannelName || ev.CustomerID == "" {
			t.Errorf("event %+v", ev)
		}
	}
	if got := strings.Join(names, ","); got != "subscribe,menu_click,menu_view,unsubscribe" {
		t.Fatalf("events %s", got)
	}
}

func TestUnionIDIsLinked(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 3 * time.Second})
	e.platform.SetUnionID("oUser8", "uUnion8")
	n := e.addNode()
	if _, err := e.pusher(wechattest.Safe).Push(context.Background(), n.URL(), textMessage("oUser8", 8, "hi", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	openid := channels.Identity{Kind: wechat.IdentityOpenID, Value: "oUser8"}
	union := channels.Identity{Kind: wechat.IdentityUnionID, Value: "uUnion8"}
	eventually(t, "unionid linked", func() bool { return e.engine.Customer(union) != "" })
	if e.engine.Customer(union) != e.engine.Customer(openid) {
		t.Fatal("unionid linked to another customer")
	}
}

// Proactive messages: delivered by exactly one node inside the window;
// outside it kept, reported pending, and delivered at the next
// interaction. An opt-out stops them.
func TestProactiveWindow(t *testing.T) {
	e := newEnv(t, wechat.Options{ReplyBudget: 3 * time.Second})
	n1 := e.addNode()
	e.addNode()
	reports := make(chan channels.DeliveryReport, 16)
	sub, err := n1.nc.Subscribe(channels.DeliverySubject(wechat.ChannelName), func(m *nats.Msg) {
		var r channels.DeliveryReport
		if json.Unmarshal(m.Data, &r) == nil {
			reports <- r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ps := e.pusher(wechattest.Safe)
	if _, err := ps.Push(context.Background(), n1.URL(), textMessage("oUser9", 9, "hi", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	sess, err := e.engine.Connect(context.Background(), wechat.ChannelName, channels.Identity{Kind: wechat.IdentityOpenID, Value: "oUser9"})
	if err != nil {
		t.Fatal(err)
	}
	expect := func(status string) channels.DeliveryReport {
		t.Helper()
		for {
			select {
			case r := <-reports:
				if r.Status == status && r.Reason != "passive" {
					return r
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no %s report", status)
			}
		}
	}

	e.engine.Say(sess.ConversationID, "bot", "Your filter is due for replacement.", 0)
	expect(channels.DeliverySent)
	if got := e.platform.Answers("oUser9"); len(got) != 2 {
		t.Fatalf("answers %q", got)
	}

	e.clock.Add(49 * time.Hour)
	ok, reason, err := n1.ch.CanInitiate(context.Background(), sess.ConversationID)
	if err != nil || ok || reason != "outside_window" {
		t.Fatalf("CanInitiate = %v %q %v", ok, reason, err)
	}
	kept := e.engine.Say(sess.ConversationID, "bot", "Your bill is due in three days.", 0)
	r := expect(channels.DeliveryPending)
	if r.Seq != kept.Seq || r.Reason != "outside_window" {
		t.Fatalf("report %+v", r)
	}
	if got := len(e.platform.Answers("oUser9")); got != 2 {
		t.Fatalf("sent outside the window: %d answers", got)
	}

	if _, err := ps.Push(context.Background(), n1.URL(), textMessage("oUser9", 10, "I'm back", e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the kept message", func() bool {
		for _, a := range e.platform.Answers("oUser9") {
			if a == kept.Text {
				return true
			}
		}
		return false
	})

	r2, err := ps.Push(context.Background(), n1.URL(), textMessage("oUser9", 11, "退订", e.clock.Now()))
	if err != nil || r2.Passive == nil || !strings.Contains(r2.Passive.Content, "退订") {
		t.Fatalf("opt-out reply: %v %q", err, r2.Body)
	}
	e.engine.Say(sess.ConversationID, "bot", "A special offer!", 0)
	if r := expect(channels.DeliveryRefused); r.Reason != "opted_out" {
		t.Fatalf("report %+v", r)
	}
	e.settle()
	for _, a := range e.platform.Answers("oUser9") {
		if a == "A special offer!" {
			t.Fatal("offer sent after opt-out")
		}
	}
}
