package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// surveys returns the survey events the engine observed.
func (e *env) surveys() []channels.Event {
	var out []channels.Event
	for _, ev := range e.engine.observed() {
		if ev.Name == "survey" {
			out = append(out, ev)
		}
	}
	return out
}

// TestWidgetSurveyOnClose: a Chinese-speaking visitor chats, closes the
// chat, and finds the 1–7 effort survey when reopening it; the answer is
// one standard survey event {ces, conversation_id}, and the survey does not
// come back — neither on the next close nor after a reload.
func TestWidgetSurveyOnClose(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	const shadow = `document.getElementById("kairos-widget").shadowRoot`
	run := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](shadow+`.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	browsertest.SetLanguage(ctx, t, "zh-CN")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/demo/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "widget online", `!!window.kairos && window.kairos.status() === "online"`)

	// Closing before any exchange offers nothing.
	run("open", shadow+`.getElementById("kairos-bubble").click()`)
	run("close", shadow+`.getElementById("kairos-close").click()`)
	if n := count("#kairos-survey"); n != 0 {
		t.Fatalf("survey offered before any exchange (%d cards)", n)
	}

	run("open again", shadow+`.getElementById("kairos-bubble").click()`)
	run("send", `window.kairos.send("滤芯多久换一次？")`)
	browsertest.WaitFor(ctx, t, "bot reply", shadow+`.querySelector(".kairos-msg[data-role=bot]") !== null`)
	run("close after the exchange", shadow+`.getElementById("kairos-close").click()`)
	browsertest.WaitFor(ctx, t, "survey card", shadow+`.getElementById("kairos-survey") !== null`)
	run("reopen", shadow+`.getElementById("kairos-bubble").click()`)
	q, err := chromedp.Run(ctx, chromedp.Evaluate[string](shadow+`.querySelector("#kairos-survey p").textContent`))
	if err != nil || q != "解决这个问题容易吗？" {
		t.Fatalf("survey question %q (%v), want the Chinese one", q, err)
	}
	if n := count("#kairos-survey button[data-ces]"); n != 7 {
		t.Fatalf("%d scale buttons, want 7", n)
	}
	// CES is an effort score: 1 is the easy end (docs/metrics.md).
	if ends, err := chromedp.Run(ctx, chromedp.Evaluate[string](shadow+`.querySelector("#kairos-survey .kairos-ends").textContent`)); err != nil || ends != "非常容易非常困难" {
		t.Fatalf("scale ends %q (%v), want 1 = very easy … 7 = very hard", ends, err)
	}
	if len(e.surveys()) != 0 {
		t.Fatal("a survey event was sent before the visitor answered")
	}

	// Answer 6 (clicked twice: still one event).
	run("answer", shadow+`.querySelector('#kairos-survey button[data-ces="6"]').click()`)
	run("click again", `(() => { const b = `+shadow+`.querySelector('#kairos-survey button[data-ces="6"]'); if (b) b.click(); })()`)
	eventually(t, "survey event", func() bool { return len(e.surveys()) > 0 })
	if n := count("#kairos-survey"); n != 0 {
		t.Fatal("the survey card stayed after the answer")
	}
	e.engine.mu.Lock()
	conv := e.engine.inbounds[0].ConversationID
	e.engine.mu.Unlock()
	ev := e.surveys()[0]
	var props map[string]any
	if err := json.Unmarshal(ev.Props, &props); err != nil {
		t.Fatalf("survey props %s: %v", ev.Props, err)
	}
	if props["ces"] != float64(6) || props["conversation_id"] != conv {
		t.Fatalf("survey props %v, want ces 6 and conversation_id %s", props, conv)
	}

	// Another close, a reload, another close: no second survey.
	run("close", shadow+`.getElementById("kairos-close").click()`)
	if _, err := chromedp.Run(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "online after reload", `!!window.kairos && window.kairos.status() === "online"`)
	run("open after reload", shadow+`.getElementById("kairos-bubble").click()`)
	run("close after reload", shadow+`.getElementById("kairos-close").click()`)
	st, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.kairos.surveyState()`))
	if err != nil || st != "answered" {
		t.Fatalf("survey state %q (%v), want answered", st, err)
	}
	if n := count("#kairos-survey"); n != 0 {
		t.Fatal("the survey came back after it was answered")
	}
	if n := len(e.surveys()); n != 1 {
		t.Fatalf("%d survey events, want 1", n)
	}
}

// TestWidgetSurveyWhenQuiet: on a page that sets data-survey-idle, an
// English-speaking visitor who stops writing after the bot's answer is
// offered the survey in the open chat; "No thanks" removes it for good and
// sends nothing.
func TestWidgetSurveyWhenQuiet(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	mux := http.NewServeMux()
	e.h.Register(mux)
	mux.HandleFunc("/quiet.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><meta charset="utf-8"><title>quiet</title></head>
<body><p>host page</p><script src="/widget.js" data-survey-idle="1" async></script></body></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	const shadow = `document.getElementById("kairos-widget").shadowRoot`
	run := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	browsertest.SetLanguage(ctx, t, "en-US")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/quiet.html")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "widget online", `!!window.kairos && window.kairos.status() === "online"`)
	run("open", shadow+`.getElementById("kairos-bubble").click()`)
	run("send", `window.kairos.send("How often should I change the filter?")`)
	browsertest.WaitFor(ctx, t, "survey offered in the open chat", `!`+shadow+`.getElementById("kairos-panel").hidden && `+
		shadow+`.getElementById("kairos-survey") !== null`)
	q, err := chromedp.Run(ctx, chromedp.Evaluate[string](shadow+`.querySelector("#kairos-survey p").textContent`))
	if err != nil || q != "How easy was it to get your issue resolved?" {
		t.Fatalf("survey question %q (%v)", q, err)
	}
	run("dismiss", shadow+`.getElementById("kairos-survey-dismiss").click()`)
	run("close", shadow+`.getElementById("kairos-close").click()`)
	st, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.kairos.surveyState() + "/" + String(`+shadow+`.getElementById("kairos-survey") === null)`))
	if err != nil || st != "dismissed/true" {
		t.Fatalf("after dismissing: %q (%v), want dismissed and no card", st, err)
	}
	// An event sent by mistake would have reached the engine by the time
	// a later page_leave does.
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/quiet.html")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "page_leave of the first view", func() bool {
		for _, ev := range e.engine.observed() {
			if ev.Name == "page_leave" {
				return true
			}
		}
		return false
	})
	if n := len(e.surveys()); n != 0 {
		t.Fatalf("%d survey events after a dismissal, want 0", n)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
