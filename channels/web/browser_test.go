package web_test

import (
	"fmt"
	"strings"
	"testing"

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
