package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// TestWidgetInBrowser loads a demo page in headless Chromium and chats
// through the real widget.
func TestWidgetInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	const shadow = `document.getElementById("kairos-widget").shadowRoot`
	waitJS := func(what, expr string) {
		t.Helper()
		browsertest.WaitFor(ctx, t, what, expr)
	}

	// A Chinese-speaking visitor: the widget picks its UI language from
	// navigator.language.
	browsertest.SetLanguage(ctx, t, "zh-CN")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/demo/refund-policy.html")); err != nil {
		t.Fatal(err)
	}
	waitJS("widget online", `!!window.kairos && window.kairos.status() === "online"`)
	eventually(t, "page_view event", func() bool {
		for _, ev := range e.engine.observed() {
			if ev.Name == "page_view" && strings.Contains(string(ev.Props), "refund-policy") {
				return true
			}
		}
		return false
	})

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](shadow+`.getElementById("kairos-bubble").click()`)); err != nil {
		t.Fatal(err)
	}
	placeholder, err := chromedp.Run(ctx, chromedp.Evaluate[string](shadow+`.getElementById("kairos-input").placeholder`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.kairos.send("退款多久到账？")`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(placeholder, "输入") {
		t.Fatalf("placeholder %q, want the Chinese UI", placeholder)
	}
	waitJS("bot reply", shadow+`.querySelector(".kairos-msg[data-role=bot]") !== null &&
		`+shadow+`.querySelector(".kairos-msg[data-role=bot]").textContent === "echo: 退款多久到账？"`)
	waitJS("receipt confirmed", shadow+`.querySelector(".kairos-msg[data-role=customer][data-seq='1']:not([data-pending])") !== null`)

	// After a reload the transcript comes back from storage, and the
	// page_leave of the first view is delivered.
	if _, err := chromedp.Run(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS("widget online again", `!!window.kairos && window.kairos.status() === "online"`)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](shadow+`.querySelectorAll(".kairos-msg").length`))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d messages after reload, want 2 (no duplicates)", n)
	}
	eventually(t, "page_leave event", func() bool {
		for _, ev := range e.engine.observed() {
			if ev.Name == "page_leave" {
				return true
			}
		}
		return false
	})
}

// TestWidgetIdentify calls kairos.identify as a host page would, before the
// widget is connected: the frame waits for the connection, and the widget
// learns the customer it was linked to.
func TestWidgetIdentify(t *testing.T) {
	ctx := browsertest.New(t)
	e, _ := newIdentifyEnv(t)
	now := e.clock.Now().Unix()
	sig := sign(siteSecret, "42", now)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/demo/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "widget loaded", `!!window.kairos`)
	call := fmt.Sprintf(`window.kairos.identify({userId: "42", ts: %d, sig: %q})`, now, sig)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](call))
	if err != nil || !ok {
		t.Fatalf("identify returned %v, %v", ok, err)
	}
	browsertest.WaitFor(ctx, t, "identified", `window.kairos.customer() !== ""`)
	calls := e.engine.identifyCalls()
	if len(calls) != 1 || calls[0].id.Value != "42" {
		t.Fatalf("engine saw %+v, want one identify of 42", calls)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.kairos.identify({userId: "42", ts: 1, sig: "nothex"})`))
	if err != nil || bad {
		t.Fatalf("identify with a malformed sig returned %v, %v; want false", bad, err)
	}
}

// TestWidgetSignalsAndProactive types like a person (with deletions) and
// checks the composition signals reach the engine; then a message that
// answers nothing (Kairos reaching out) opens the closed chat, and after
// "stop suggestions" the widget reports the opt-out and no longer pops open.
func TestWidgetSignalsAndProactive(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	const shadow = `document.getElementById("kairos-widget").shadowRoot`
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for _, a := range actions {
			if _, err := chromedp.Run(ctx, a); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
	}
	browsertest.SetLanguage(ctx, t, "en-US")
	run("open page", chromedp.Navigate(e.srv.URL+"/demo/"))
	browsertest.WaitFor(ctx, t, "widget online", `!!window.kairos && window.kairos.status() === "online"`)
	run("open chat", chromedp.Evaluate[chromedp.Void](shadow+`.getElementById("kairos-bubble").click()`))
	input := shadow + `.getElementById("kairos-input")`
	run("type", chromedp.Evaluate[chromedp.Void](input+`.focus()`),
		chromedp.KeyEvent("where is my parcell"), chromedp.Sleep(300*time.Millisecond),
		chromedp.KeyEvent("\b\b"), chromedp.KeyEvent("l?"), chromedp.KeyEvent("\r"))
	eventually(t, "message received", func() bool {
		e.engine.mu.Lock()
		defer e.engine.mu.Unlock()
		return len(e.engine.inbounds) == 1
	})
	e.engine.mu.Lock()
	in := e.engine.inbounds[0]
	e.engine.mu.Unlock()
	if in.Text != "where is my parcel?" {
		t.Fatalf("text %q", in.Text)
	}
	if in.ComposeMS < 300 || in.Deletions != 2 {
		t.Errorf("compose_ms=%d deletions=%d, want ≥300 ms and 2 deletions", in.ComposeMS, in.Deletions)
	}

	// Close the chat; a proactive message opens it.
	run("close chat", chromedp.Evaluate[chromedp.Void](shadow+`.getElementById("kairos-close").click()`))
	conv := func() string {
		e.engine.mu.Lock()
		defer e.engine.mu.Unlock()
		return in.ConversationID
	}()
	if _, err := e.engine.say(context.Background(), conv, "Still waiting for your parcel? It left our warehouse today.", 0); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "panel opened by the proactive message", `!`+shadow+`.getElementById("kairos-panel").hidden`)

	// Stop suggestions: the opt-out is reported, and the next proactive
	// message only marks the bubble unread.
	run("opt out", chromedp.Evaluate[chromedp.Void](shadow+`.getElementById("kairos-optout").click()`),
		chromedp.Evaluate[chromedp.Void](shadow+`.getElementById("kairos-close").click()`))
	eventually(t, "opt-out event", func() bool {
		for _, ev := range e.engine.observed() {
			if ev.Name == "proactive_opt_out" && strings.Contains(string(ev.Props), `"opted_out":true`) {
				return true
			}
		}
		return false
	})
	if _, err := e.engine.say(context.Background(), conv, "A coupon for you!", 0); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "unread marked", shadow+`.getElementById("kairos-bubble").getAttribute("data-unread") === "true"`)
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](shadow+`.getElementById("kairos-panel").hidden`))
	if err != nil {
		t.Fatal(err)
	}
	if !hidden {
		t.Error("the chat opened by itself after the visitor stopped suggestions")
	}
}
