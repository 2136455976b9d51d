package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// TestHumanHandoffInBrowsers is the handoff story with two browsers: a
// customer asks the demo widget for a human; an agent logs in to the
// console, finds the chat in the queue with its summary, claims it and
// replies; the customer sees the reply; the agent resolves and the bot
// answers the customer's next question.
func TestHumanHandoffInBrowsers(t *testing.T) {
	cfg := testConfig(t)
	cfg.SiteSecret = siteSecret
	n := startNode(t, cfg)
	if _, err := n.g.console.Accounts().Add(context.Background(), console.NewAgent{Name: "alice", Password: "password-alice",
		Role: console.RoleAgent, Queues: []string{"general", "refunds", "billing", "technical"}}); err != nil {
		t.Fatal(err)
	}

	cust := browsertest.New(t)
	browsertest.SetLanguage(cust, t, "zh-CN")
	run := func(ctx context.Context, what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(ctx context.Context, expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}
	say := func(msg string) {
		t.Helper()
		run(cust, "send "+msg, widget(fmt.Sprintf(`(() => { const i = root.getElementById('kairos-input'); i.value = %q; root.getElementById('kairos-send').click(); return true; })()`, msg)))
	}
	botCount := func() int {
		t.Helper()
		n, err := chromedp.Run(cust, chromedp.Evaluate[int](widget(`root.querySelectorAll('.kairos-msg[data-role=bot]').length`)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if _, err := chromedp.Run(cust, chromedp.Navigate(n.base+"/demo/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(cust, t, "the widget to connect", `!!window.kairos && window.kairos.status() === "online"`)
	// The shop's page signs the customer in, so their profile can be read.
	ts := time.Now().Unix()
	mac := hmac.New(sha256.New, []byte(siteSecret))
	fmt.Fprintf(mac, "%s.%d", "filter-buyer", ts)
	run(cust, "identify", fmt.Sprintf(`window.kairos.identify({userId: "filter-buyer", ts: %d, sig: %q})`, ts, hex.EncodeToString(mac.Sum(nil))))
	browsertest.WaitFor(cust, t, "identified", `window.kairos.customer() !== ""`)
	customerID := text(cust, `window.kairos.customer()`)
	run(cust, "open chat", widget(`root.getElementById('kairos-bubble').click()`))
	say("我的滤芯裂了，转人工")
	browsertest.WaitFor(cust, t, "the handoff notice", widget(`Array.from(root.querySelectorAll('.kairos-msg[data-role=system], .kairos-msg[data-role=bot]')).some((m) => m.textContent.includes('人工客服'))`))

	// The agent, in a browser of their own.
	agent := browsertest.New(t)
	browsertest.SetLanguage(agent, t, "en-US")
	if _, err := chromedp.Run(agent, chromedp.Navigate(n.base+"/console/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(agent, t, "login form", `!document.getElementById("login-view").hidden`)
	run(agent, "login", `document.getElementById("login-name").value = "alice";
		document.getElementById("login-password").value = "password-alice";
		document.getElementById("login-submit").click()`)
	browsertest.WaitFor(agent, t, "the queued chat", `document.querySelector('#queue li[data-handoff]') !== null`)
	run(agent, "open it", `document.querySelector('#queue li[data-handoff]').click()`)
	browsertest.WaitFor(agent, t, "the customer's words in the transcript", `Array.from(document.querySelectorAll('#messages li')).some((m) => m.textContent.includes("滤芯裂了"))`)
	run(agent, "claim", `document.getElementById("claim").click()`)
	browsertest.WaitFor(agent, t, "claimed", `!document.getElementById("reply").disabled`)
	const reply = "您好，我是客服 Alice，已为您登记换新，今天发出。"
	run(agent, "reply", fmt.Sprintf(`document.getElementById("reply").value = %q; document.getElementById("send").click()`, reply))

	// The customer sees the agent's reply, as text.
	browsertest.WaitFor(cust, t, "the agent's reply", widget(fmt.Sprintf(`Array.from(root.querySelectorAll('.kairos-msg[data-role=agent]')).some((m) => m.textContent.includes(%q))`, reply)))
	// While the agent owns the chat the bot stays quiet.
	before := botCount()
	say("好的，谢谢")
	browsertest.WaitFor(agent, t, "the customer's thanks reaches the agent", `Array.from(document.querySelectorAll('#messages li')).some((m) => m.textContent.includes("好的，谢谢"))`)
	if after := botCount(); after != before {
		t.Fatalf("the bot answered %d times while a human owned the chat", after-before)
	}

	// The agent resolves; the bot is back for the next question.
	run(agent, "resolve", `document.getElementById("actions").open = true;
		document.getElementById("resolve-summary").value = "Cracked filter: replacement sent today";
		document.getElementById("resolve-settled").value = "replacement filter ships today";
		document.getElementById("resolve").click()`)
	// The console drops the chat when the gateway reports it resolved.
	browsertest.WaitFor(agent, t, "the chat leaves the console", `document.querySelector('#mine li[data-handoff]') === null && document.getElementById("reply").disabled`)
	before = botCount()
	say("退货政策是什么？")
	browsertest.WaitFor(cust, t, "the bot's answer after the hand-back", widget(fmt.Sprintf(`root.querySelectorAll('.kairos-msg[data-role=bot]:not([data-streaming])').length > %d`, before)))
	// What the agent settled is remembered for later conversations.
	eventually(t, "the settled commitment in long-term memory", func() bool {
		v, _ := getCustomer(t, n.base, customerID)
		for _, m := range v.Memories {
			if strings.Contains(m.Text, "replacement filter ships today") {
				return true
			}
		}
		return false
	})
	got := text(cust, widget(`(() => { const m = root.querySelectorAll('.kairos-msg[data-role=bot]'); return m[m.length-1].textContent; })()`))
	if !containsAny(got, []string{"7天", "7 天", "七天"}) {
		t.Fatalf("after the hand-back the bot answered %q, want the return policy", got)
	}
}
