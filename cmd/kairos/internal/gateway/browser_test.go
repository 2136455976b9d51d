package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// widget evaluates a JavaScript expression with `root` bound to the chat
// widget's shadow root.
func widget(expr string) string {
	return fmt.Sprintf(`(() => { const host = document.getElementById('kairos-widget'); const root = host && host.shadowRoot; if (!root) return null; return (%s); })()`, expr)
}

// TestBrowserDemoChat is what a newcomer does first: open the demo shop in
// a Chinese-language browser, open the chat bubble, ask in Chinese and in
// English, and read answers grounded in the sample knowledge base.
func TestBrowserDemoChat(t *testing.T) {
	ctx := browsertest.New(t)
	browsertest.SetLanguage(ctx, t, "zh-CN")
	n := startNode(t, testConfig(t))

	if _, err := chromedp.Run(ctx, chromedp.Navigate(n.base+"/demo/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "the widget to connect", `!!window.kairos && window.kairos.status() === "online"`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](widget(`root.getElementById('kairos-bubble').click()`))); err != nil {
		t.Fatal(err)
	}

	ask := func(question string) string {
		t.Helper()
		before, err := chromedp.Run(ctx, chromedp.Evaluate[int](widget(`root.querySelectorAll('.kairos-msg[data-role=bot]').length`)))
		if err != nil {
			t.Fatal(err)
		}
		// Type like a person: focus the box, fill it, press send.
		typeAndSend := fmt.Sprintf(`(() => { const i = root.getElementById('kairos-input'); i.focus(); i.value = %q; i.dispatchEvent(new Event('input', {bubbles: true})); root.getElementById('kairos-send').click(); return true; })()`, question)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](widget(typeAndSend))); err != nil {
			t.Fatal(err)
		}
		complete := fmt.Sprintf(`root.querySelectorAll('.kairos-msg[data-role=bot]:not([data-streaming])').length > %d`, before)
		browsertest.WaitFor(ctx, t, "the answer to "+question, widget(complete))
		answer, err := chromedp.Run(ctx, chromedp.Evaluate[string](widget(`(() => { const m = root.querySelectorAll('.kairos-msg[data-role=bot]:not([data-streaming])'); return m[m.length-1].textContent; })()`)))
		if err != nil {
			t.Fatal(err)
		}
		return answer
	}

	if got := ask("退货政策是什么？"); !containsAny(got, []string{"7天", "7 天", "七天"}) {
		t.Errorf("answer to 退货政策是什么？ = %q, want the 7-day return policy", got)
	}
	if got := ask("How long does shipping take?"); !strings.Contains(strings.ToLower(got), "day") {
		t.Errorf("answer to the shipping question = %q, want delivery days", got)
	}

	// The widget speaks the browser's language.
	placeholder, err := chromedp.Run(ctx, chromedp.Evaluate[string](widget(`root.getElementById('kairos-input').getAttribute('placeholder')`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.ContainsFunc(placeholder, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("input placeholder %q is not Chinese for a zh-CN browser", placeholder)
	}

	if dir := os.Getenv("KAIROS_TEST_ARTIFACTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "demo-chat.png"), png, 0o644)
		}
	}
}
