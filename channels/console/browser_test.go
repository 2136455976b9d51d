package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// TestConsoleInBrowser drives the console in headless Chromium against the
// fake gateway: log in, see the queued handoff, claim, chat both ways with
// typing indicators, insert a suggestion, resolve.
func TestConsoleInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	e.addAgent("alice", console.RoleAgent, "refunds")
	e.desk.request("h1", "c1", "refunds", 6, "Customer wants a refund for a cracked water filter.")
	e.desk.say("c1", "转人工")

	js := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	str := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}
	wait := func(what, expr string) {
		t.Helper()
		browsertest.WaitFor(ctx, t, what, expr)
	}

	browsertest.SetLanguage(ctx, t, "zh-CN")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	wait("login form", `!document.getElementById("login-view").hidden`)
	if got := str(`document.getElementById("login-submit").textContent`); got != "登录" {
		t.Fatalf("login button %q, want the Chinese UI", got)
	}

	// A wrong password first: a clear message, no session.
	js("bad login", `document.getElementById("login-name").value = "alice";
		document.getElementById("login-password").value = "wrong-password";
		document.getElementById("login-submit").click()`)
	wait("login error", `document.getElementById("login-error").textContent === "用户名或密码错误。"`)
	js("login", `document.getElementById("login-password").value = "password-alice";
		document.getElementById("login-submit").click()`)
	wait("app shown", `!document.getElementById("app-view").hidden`)
	if c := str(`document.cookie`); strings.Contains(c, console.CookieName) {
		t.Fatal("the session cookie is readable from JavaScript")
	}

	// The language switch.
	js("switch to English", `document.getElementById("lang-switch").click()`)
	wait("English UI", `document.getElementById("tab-queue").textContent === "Queue"`)

	// The queue shows the handoff with priority, SLA and mood.
	item := `document.querySelector('#queue li[data-handoff="h1"]')`
	wait("queued handoff", item+` !== null`)
	if got := str(item + `.textContent`); !strings.Contains(got, "P6") || !strings.Contains(got, "angry") || !strings.Contains(got, "SLA") {
		t.Fatalf("queue item %q: want priority, mood and SLA state", got)
	}
	js("open", item+`.click()`)
	wait("transcript", `document.querySelector('#messages li[data-seq="1"]') !== null`)
	wait("package", `document.querySelectorAll("#p-mood svg circle").length === 3`)
	if got := str(`document.getElementById("p-memories").innerHTML`); strings.Contains(got, "<b>") {
		t.Fatalf("a memory was rendered as HTML: %s", got)
	}
	js("claim", `document.getElementById("claim").click()`)
	wait("claimed: in my chats", `document.querySelector('#mine li[data-handoff="h1"]') !== null && !document.getElementById("reply").disabled`)

	// Customer message (with markup, shown as text) and typing.
	e.desk.customerTyping("c1", "start")
	wait("customer typing", `!document.getElementById("typing").hidden`)
	evil := `<img src=x onerror="window.pwned=1">还要等多久？`
	e.desk.say("c1", evil)
	wait("customer message", fmt.Sprintf(`(() => { const m = document.querySelector('#messages li[data-seq="2"]'); return !!m && m.textContent === %q && m.dataset.role === "customer"; })()`, evil))
	if n := str(`String(document.querySelectorAll("#messages img").length) + String(window.pwned === undefined)`); n != "0true" {
		t.Fatalf("customer markup became HTML (%s)", n)
	}

	// Click a suggestion into the reply box, type, send.
	js("suggestion", `document.querySelector("#p-suggestions li").click()`)
	if got := str(`document.getElementById("reply").value`); got != "您好，非常抱歉给您带来不便。" {
		t.Fatalf("reply box %q after clicking the suggestion", got)
	}
	eventually(t, "agent typing reached the gateway", func() bool {
		_, _, _, typing := e.desk.snapshot()
		return len(typing) > 0 && typing[0].State == "start" && typing[0].AgentID == "alice"
	})
	js("send", `document.getElementById("reply").value += "退款今天处理。"; document.getElementById("send").click()`)
	wait("reply confirmed", `(() => { const m = document.querySelector('#messages li[data-role="agent"][data-seq="3"]'); return !!m && m.textContent === "您好，非常抱歉给您带来不便。退款今天处理。"; })()`)
	msgs, _, _, _ := e.desk.snapshot()
	if len(msgs) != 1 || msgs[0].Text != "您好，非常抱歉给您带来不便。退款今天处理。" || msgs[0].AgentID != "alice" || msgs[0].ClientID == "" {
		t.Fatalf("gateway received %+v", msgs)
	}

	// The console's connection drops; what the customer says meanwhile
	// arrives after the reconnect, once, in order.
	js("drop the connection", `window.kairosConsole.state.ws.close()`)
	wait("offline", `document.getElementById("conn").dataset.state === "offline"`)
	e.desk.say("c1", "你好？")
	e.desk.say("c1", "还在吗？")
	wait("missed messages after the reconnect", `(() => {
		const ms = Array.from(document.querySelectorAll("#messages li[data-seq]")).map((m) => m.dataset.seq + ":" + m.textContent);
		return ms.length === 5 && ms[3] === "4:你好？" && ms[4] === "5:还在吗？"; })()`)

	// A note and the resolution.
	js("note", `document.getElementById("note").value = "warehouse confirmed"; document.getElementById("add-note").click()`)
	wait("note shown", `document.getElementById("p-notes").textContent.includes("warehouse confirmed")`)
	js("resolve", `document.getElementById("actions").open = true;
		document.getElementById("resolve-summary").value = "Refund of ¥199 approved";
		document.getElementById("resolve-settled").value = "refund ¥199 for order 1042";
		document.getElementById("resolve").click()`)
	eventually(t, "resolution reached the gateway", func() bool {
		_, _, res, _ := e.desk.snapshot()
		return len(res) == 1 && res[0].Summary == "Refund of ¥199 approved" && len(res[0].Settled) == 1
	})
	wait("chat left the console", `document.querySelector('#mine li[data-handoff="h1"]') === null && document.getElementById("reply").disabled`)
}

// TestApprovalsInBrowser: an admin approves a proactive draft after editing
// it; the draft's text (with markup) is shown as text.
func TestApprovalsInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	e.addAgent("root", console.RoleAdmin)
	browsertest.SetLanguage(ctx, t, "en-US")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	run := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	browsertest.WaitFor(ctx, t, "login form", `!document.getElementById("login-view").hidden`)
	run("login", `document.getElementById("login-name").value = "root";
		document.getElementById("login-password").value = "password-root";
		document.getElementById("login-submit").click()`)
	browsertest.WaitFor(ctx, t, "approvals tab", `!document.getElementById("tab-approvals").hidden`)
	run("open approvals", `document.getElementById("tab-approvals").click()`)
	browsertest.WaitFor(ctx, t, "draft listed", `document.querySelector('#approvals li[data-draft="d1"] textarea') !== null`)
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#approvals img").length`))
	if err != nil || imgs != 0 {
		t.Fatalf("draft markup became HTML: %d images, %v", imgs, err)
	}
	run("edit", `document.querySelector('#approvals li[data-draft="d1"] textarea').value = "Need a hand with your refund?";
		document.querySelector('#approvals li[data-draft="d1"] button[data-verb="edit"]').click()`)
	browsertest.WaitFor(ctx, t, "draft done", `document.querySelector('#approvals li[data-draft="d1"]') === null`)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.decisions) != 1 || e.decisions[0] != "/api/v1/proactive/approvals/d1/edit by=root text=Need a hand with your refund?" {
		t.Fatalf("API saw %q", e.decisions)
	}
}
