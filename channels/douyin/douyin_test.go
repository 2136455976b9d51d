package douyin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/douyin"
	"github.com/kairoscx/kairos/channels/douyin/douyintest"
)

func TestVerifyWebhook(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	status, body := post(t, e.platform.Verify(12345), n.URL())
	if status != http.StatusOK || body != `{"challenge":12345}` {
		t.Fatalf("verify: %d %s", status, body)
	}
	forged := e.platform.Verify(12345)
	forged.Signature = strings.Repeat("0", 40)
	if status, _ := post(t, forged, n.URL()); status != http.StatusForbidden {
		t.Fatalf("forged verify: %d, want 403", status)
	}
}

func TestMessageAnsweredOnce(t *testing.T) {
	for _, asString := range []bool{false, true} {
		name := map[bool]string{false: "content object", true: "content string"}[asString]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			n := e.addNode()
			w := e.platform.Message(userOpenID, douyin.TypeText, "你好，在吗？", asString)
			if status, body := post(t, w, n.URL()); status != http.StatusOK {
				t.Fatalf("webhook: %d %s", status, body)
			}
			eventually(t, "the answer", func() bool { return len(e.platform.Sent()) == 1 })
			e.settle()
			sent := e.platform.Sent()
			if len(sent) != 1 {
				t.Fatalf("sent %d messages, want 1: %+v", len(sent), sent)
			}
			s := sent[0]
			if s.Text != "echo: 你好，在吗？" || s.ToUserID != userOpenID || s.MsgID != w.ServerMessageID || s.Scene != "im_replay_msg" {
				t.Fatalf("sent %+v", s)
			}
			rec := e.engine.Received()
			if len(rec) != 1 || rec[0].Channel != douyin.ChannelName {
				t.Fatalf("engine received %+v", rec)
			}
			if e.engine.Customer(channels.Identity{Kind: douyin.IdentityOpenID, Value: userOpenID}) == "" {
				t.Fatal("the user is not a customer identified by douyin_open_id")
			}
		})
	}
}

func TestRetriesToTwoNodesAnswerOnce(t *testing.T) {
	e := newEnv(t)
	e.engine.Delay = 50 * time.Millisecond
	a, b := e.addNode(), e.addNode()
	w := e.platform.Message(userOpenID, douyin.TypeText, "order status?", false)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := a.URL()
			if i%2 == 1 {
				url = b.URL()
			}
			if status, body := post(t, w, url); status != http.StatusOK {
				t.Errorf("retry %d: %d %s", i, status, body)
			}
		}()
	}
	wg.Wait()
	eventually(t, "the answer", func() bool { return len(e.platform.Sent()) >= 1 })
	e.settle()
	if got := e.sentTexts(); len(got) != 1 {
		t.Fatalf("sent %q, want one answer", got)
	}
	if got := len(e.engine.Received()); got != 1 {
		t.Fatalf("engine received %d messages, want 1", got)
	}
}

func TestRefusedBeforeAnythingHappens(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	good := e.platform.Message(userOpenID, douyin.TypeText, "hi", false)
	sign := func(body []byte) douyintest.Webhook {
		return douyintest.Webhook{Body: body, Signature: douyintest.Sign(clientSecret, body), MsgID: "m-x"}
	}
	tampered := good
	tampered.Body = bytes.Replace(good.Body, []byte(`"hi"`), []byte(`"HI"`), 1)
	otherSecret := good
	otherSecret.Signature = douyintest.Sign("another-secret", good.Body)
	noSig := good
	noSig.Signature = ""
	upper := good
	upper.Signature = strings.ToUpper(good.Signature)
	big := sign(append([]byte(`{"event":"im_receive_msg","pad":"`), append(bytes.Repeat([]byte("x"), 70<<10), '"', '}')...))
	tests := []struct {
		name   string
		w      douyintest.Webhook
		status int
	}{
		{"tampered body", tampered, http.StatusForbidden},
		{"other secret", otherSecret, http.StatusForbidden},
		{"no signature", noSig, http.StatusForbidden},
		{"not JSON", sign([]byte(`{"event":`)), http.StatusBadRequest},
		{"trailing data", sign([]byte(`{"event":"im_receive_msg"} {}`)), http.StatusBadRequest},
		{"no event", sign([]byte(`{"content":{}}`)), http.StatusBadRequest},
		{"content a number", sign([]byte(`{"event":"im_receive_msg","from_user_id":"u","content":42}`)), http.StatusBadRequest},
		{"content string not JSON", sign([]byte(`{"event":"im_receive_msg","from_user_id":"u","content":"{oops"}`)), http.StatusBadRequest},
		{"missing ids", sign([]byte(`{"event":"im_receive_msg","from_user_id":"u","content":{"message_type":"text","text":"x"}}`)), http.StatusBadRequest},
		{"other app", sign([]byte(`{"event":"im_receive_msg","client_key":"someone-else","from_user_id":"u","content":{}}`)), http.StatusBadRequest},
		{"verify without challenge", sign([]byte(`{"event":"verify_webhook","content":{}}`)), http.StatusBadRequest},
		{"oversize", big, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := post(t, tt.w, n.URL()); status != tt.status {
				t.Fatalf("status %d (%s), want %d", status, body, tt.status)
			}
		})
	}
	// The signature's hex case does not matter.
	if status, _ := post(t, upper, n.URL()); status != http.StatusOK {
		t.Fatalf("upper-case signature: %d", status)
	}
	eventually(t, "the valid message's answer", func() bool { return len(e.platform.Sent()) == 1 })
	e.settle()
	if got := e.engine.Connects(); got != 1 {
		t.Fatalf("engine saw %d connects, want only the valid message's", got)
	}
	if got := len(e.platform.Sent()); got != 1 {
		t.Fatalf("sent %d, want 1 (the valid message's answer)", got)
	}
}

func TestRefusedWebhookSpendsNoToken(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	w := e.platform.Message(userOpenID, douyin.TypeText, "hi", false)
	w.Signature = douyintest.Sign("wrong", w.Body)
	if status, _ := post(t, w, n.URL()); status != http.StatusForbidden {
		t.Fatalf("status %d", status)
	}
	e.settle()
	if e.engine.Connects() != 0 || e.platform.Calls("/oauth/refresh_token/") != 0 || e.platform.Calls("/im/send/msg/") != 0 {
		t.Fatalf("a forged webhook reached the engine or the platform: connects %d, token %d, send %d",
			e.engine.Connects(), e.platform.Calls("/oauth/refresh_token/"), e.platform.Calls("/im/send/msg/"))
	}
}

func TestEchoOfOwnSendIgnored(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	if status, _ := post(t, e.platform.Echo(userOpenID, "echo: hi"), n.URL()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	// A message the business account itself sent, delivered as
	// im_receive_msg to its own open_id, is not a customer message either.
	self := e.platform.Message(bizOpenID, douyin.TypeText, "from the shop", false)
	if status, _ := post(t, self, n.URL()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	e.settle()
	if e.engine.Connects() != 0 || len(e.engine.Received()) != 0 || len(e.platform.Sent()) != 0 {
		t.Fatalf("echo reached the engine: connects %d received %d sent %d", e.engine.Connects(), len(e.engine.Received()), len(e.platform.Sent()))
	}
}

func TestSendRetriedOn5xx(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	e.platform.Fail5xx(2)
	e.platform.FailBusy(1)
	w := e.platform.Message(userOpenID, douyin.TypeText, "retry me", false)
	if status, _ := post(t, w, n.URL()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	eventually(t, "the answer", func() bool { return len(e.platform.Sent()) == 1 })
	e.settle()
	if got := e.platform.Calls("/im/send/msg/"); got != 4 {
		t.Fatalf("send called %d times, want 4 (two 502s, one busy, one success)", got)
	}
	if got := e.sleeps.count(); got != 3 {
		t.Fatalf("backed off %d times, want 3", got)
	}
	if got := e.sentTexts(); !slices.Equal(got, []string{"echo: retry me"}) {
		t.Fatalf("sent %q", got)
	}
}

func TestExpiredTokenRefreshedOnce(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	post(t, e.platform.Message(userOpenID, douyin.TypeText, "one", false), n.URL())
	eventually(t, "first answer", func() bool { return len(e.platform.Sent()) == 1 })
	e.platform.ExpireAccessTokens()
	post(t, e.platform.Message(userOpenID, douyin.TypeText, "two", false), n.URL())
	eventually(t, "second answer", func() bool { return len(e.platform.Sent()) == 2 })
	e.settle()
	if got := e.platform.Calls("/oauth/refresh_token/"); got != 2 {
		t.Fatalf("refresh called %d times, want 2 (start, after expiry)", got)
	}
}

func TestOptOut(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	post(t, e.platform.Message(userOpenID, douyin.TypeText, "hello", false), n.URL())
	eventually(t, "answer", func() bool { return len(e.platform.Sent()) == 1 })
	if status, _ := post(t, e.platform.Message(userOpenID, douyin.TypeText, "Ｔ Ｄ", true), n.URL()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	eventually(t, "opt-out confirmation", func() bool { return len(e.platform.Sent()) == 2 })
	if got := len(e.engine.Received()); got != 1 {
		t.Fatalf("the opt-out keyword reached the engine as a message (%d received)", got)
	}
	var ev *channels.Event
	for _, x := range e.engine.Events() {
		if x.Name == douyin.OptOutEvent {
			ev = &x
		}
	}
	if ev == nil || ev.Channel != douyin.ChannelName || ev.CustomerID == "" {
		t.Fatalf("no opt_out event: %+v", e.engine.Events())
	}
	conv := e.engine.Received()[0].ConversationID
	ok, reason, err := n.ch.CanInitiate(context.Background(), conv)
	if err != nil || ok || reason != "opted_out" {
		t.Fatalf("CanInitiate = %v %q %v", ok, reason, err)
	}
	// A proactive bot message is not delivered; an agent's still is.
	e.engine.Say(conv, "bot", "限时优惠！", 0)
	e.engine.Say(conv, "agent", "您的退款已处理。", 0)
	eventually(t, "agent message", func() bool { return len(e.platform.Sent()) == 3 })
	e.settle()
	if got := e.sentTexts(); slices.Contains(got, "限时优惠！") || got[2] != "您的退款已处理。" {
		t.Fatalf("sent %q", got)
	}
}

func TestEnterGreetingAndWindow(t *testing.T) {
	e := newEnv(t)
	a, _ := e.addNode(), e.addNode()
	if status, _ := post(t, e.platform.Enter(userOpenID), a.URL()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var enter *channels.Event
	for _, x := range e.engine.Events() {
		if x.Name == douyin.EnterEvent {
			enter = &x
		}
	}
	if enter == nil {
		t.Fatal("no enter event")
	}
	sess, _ := e.engine.Connect(context.Background(), douyin.ChannelName, channels.Identity{Kind: douyin.IdentityOpenID, Value: userOpenID})
	conv := sess.ConversationID
	// The engine decides to greet: one node of the queue group sends it.
	e.engine.Say(conv, "bot", "欢迎！有什么可以帮您？", 0)
	eventually(t, "greeting", func() bool { return len(e.platform.Sent()) == 1 })
	if s := e.platform.Sent()[0]; s.Scene != "im_enter_direct_msg" {
		t.Fatalf("greeting sent with scene %q", s.Scene)
	}
	// A day later the window is closed: a proactive message waits.
	reports := make(chan channels.DeliveryReport, 8)
	sub, err := a.nc.Subscribe(channels.DeliverySubject(douyin.ChannelName), func(m *nats.Msg) {
		var r channels.DeliveryReport
		if json.Unmarshal(m.Data, &r) == nil {
			reports <- r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(25 * time.Hour)
	kept := e.engine.Say(conv, "bot", "您的订单已发货", 0)
	ok, reason, _ := a.ch.CanInitiate(context.Background(), conv)
	if ok || reason != "outside_window" {
		t.Fatalf("CanInitiate = %v %q", ok, reason)
	}
	// The delivery queue looks at it and keeps it (a report says so);
	// only then does the user write, or the message would simply be sent
	// late, after the answer, which is not what this test is about.
	for deadline := time.After(20 * time.Second); ; {
		select {
		case r := <-reports:
			if r.ConversationID != conv || r.Seq != kept.Seq {
				continue
			}
			if r.Status != channels.DeliveryPending || r.Reason != "outside_window" {
				t.Fatalf("report %+v, want pending outside_window", r)
			}
		case <-deadline:
			t.Fatal("no delivery report for the kept message")
		}
		break
	}
	if got := len(e.platform.Sent()); got != 1 {
		t.Fatalf("sent %d outside the window", got)
	}
	// The user writes again: the kept message goes first, then the answer.
	post(t, e.platform.Message(userOpenID, douyin.TypeText, "在吗", false), a.URL())
	eventually(t, "kept message and answer", func() bool { return len(e.platform.Sent()) == 3 })
	e.settle()
	if got := e.sentTexts(); !slices.Equal(got, []string{"欢迎！有什么可以帮您？", "您的订单已发货", "echo: 在吗"}) {
		t.Fatalf("sent %q", got)
	}
}

func TestNonTextMessages(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	post(t, e.platform.Message(userOpenID, douyin.TypeImage, "", false), n.URL())
	post(t, e.platform.Message(userOpenID, douyin.TypeEmoji, "", true), n.URL())
	eventually(t, "answer to the image", func() bool { return len(e.platform.Sent()) == 1 })
	e.settle()
	rec := e.engine.Received()
	if len(rec) != 1 || !strings.Contains(rec[0].Text, "图片") {
		t.Fatalf("received %+v", rec)
	}
	found := false
	for _, ev := range e.engine.Events() {
		found = found || ev.Name == "douyin.sticker"
	}
	if !found {
		t.Fatal("sticker not observed")
	}
}

func TestLongAnswerSplit(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("这是一句很长的回答。", 150) // 1500 characters
	e.engine.Answer = func(string) string { return long }
	n := e.addNode()
	post(t, e.platform.Message(userOpenID, douyin.TypeText, "详细说说", false), n.URL())
	eventually(t, "answer pieces", func() bool { return len(e.platform.Sent()) == 2 })
	e.settle()
	got := e.sentTexts()
	if len(got) != 2 || strings.Join(got, "") != long {
		t.Fatalf("pieces %d, joined equal %v", len(got), strings.Join(got, "") == long)
	}
	for _, p := range got {
		if n := len([]rune(p)); n > douyin.DefaultMaxText {
			t.Fatalf("piece of %d characters", n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := douyin.Account{Name: "main", ClientKey: "k", ClientSecret: "s", OpenID: "o", RefreshToken: "r"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*douyin.Account){
		"bad name":      func(a *douyin.Account) { a.Name = "Main Shop" },
		"no secret":     func(a *douyin.Account) { a.ClientSecret = "" },
		"no open_id":    func(a *douyin.Account) { a.OpenID = "" },
		"bad api_base":  func(a *douyin.Account) { a.APIBase = "ftp://x" },
		"negative text": func(a *douyin.Account) { a.MaxText = -1 },
	} {
		a := ok
		mut(&a)
		if a.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
