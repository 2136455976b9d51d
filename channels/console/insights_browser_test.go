package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/web/browsertest"
)

// TestInsightsDashboardInBrowser logs an admin in, follows the console to
// the dashboard and checks, on the fixture report, that every chart was
// drawn (a canvas with a size and pixels on it), that an empty figure says
// "no data" instead of drawing zero, that the too-small trigger is flagged
// inconclusive, and that switching language and period works. The page is
// screenshotted into $KAIROS_TEST_ARTIFACTS when set.
func TestInsightsDashboardInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	e := newEnv(t, nil)
	e.addAgent("root", console.RoleAdmin)
	str := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}
	run := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	browsertest.SetLanguage(ctx, t, "zh-CN")

	// Without a session the dashboard sends us to the login, which brings
	// us back after it.
	if _, err := chromedp.Run(ctx, chromedp.Navigate(e.srv.URL+"/console/insights")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, "login form", `!document.getElementById("login-view").hidden`)
	run("login", `document.getElementById("login-name").value = "root";
		document.getElementById("login-password").value = "password-root";
		document.getElementById("login-submit").click()`)
	browsertest.WaitFor(ctx, t, "dashboard loaded", `location.pathname === "/console/insights" && !!window.kairosInsights && window.kairosInsights.loaded > 0`)

	if got := str(`document.querySelector("#card-uplift h2").textContent`); !strings.Contains(got, "提升") {
		t.Fatalf("uplift title %q, want the Chinese UI", got)
	}

	// Every chart with data is a canvas with a size and something drawn.
	type canvasInfo struct {
		ID     string `json:"id"`
		W      int    `json:"w"`
		H      int    `json:"h"`
		Inked  int    `json:"inked"`
		Empty  string `json:"empty"`
		Hidden bool   `json:"hidden"`
	}
	canvases := func() map[string]canvasInfo {
		t.Helper()
		raw := str(`JSON.stringify(Array.from(document.querySelectorAll("#board canvas")).map((c) => {
			let inked = 0;
			if (c.width && c.height) {
				const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
				for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) inked++;
			}
			const r = c.getBoundingClientRect();
			return {id: c.id, w: Math.round(r.width), h: Math.round(r.height), inked, empty: c.dataset.empty || "", hidden: c.hidden};
		}))`)
		var list []canvasInfo
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]canvasInfo{}
		for _, c := range list {
			out[c.ID] = c
		}
		return out
	}
	got := canvases()
	for _, id := range []string{"chart-uplift", "chart-recovery", "chart-recovery-trend", "chart-rates", "chart-ces", "chart-nba", "chart-churn"} {
		c, ok := got[id]
		if !ok || c.Hidden || c.Empty != "false" || c.W < 100 || c.H < 80 || c.Inked < 50 {
			t.Errorf("%s: %+v, want a visible canvas with a size and a drawn chart", id, c)
		}
	}
	// CSAT has no answers in the fixture: "no data", not a line at zero.
	if c := got["chart-csat"]; !c.Hidden || c.Empty != "true" {
		t.Errorf("chart-csat: %+v, want the canvas hidden for an empty series", c)
	}
	if s := str(`(() => { const n = document.querySelector("#card-csat .nodata"); return n.hidden ? "hidden" : n.textContent; })()`); s != "暂无数据" {
		t.Errorf("CSAT chart says %q, want 暂无数据", s)
	}
	if s := str(`Array.from(document.querySelectorAll(".tile")).find((x) => x.querySelector(".label").textContent === "CSAT").querySelector(".value").textContent`); s != "暂无数据" {
		t.Errorf("CSAT tile %q, want 暂无数据", s)
	}

	// Verdicts: the big trigger helps, the tiny one is inconclusive, the
	// unexposed one has no data — none of them reads as a zero.
	verdict := func(trigger, col string) string {
		return str(`(() => { const b = document.querySelector('#verdicts tr[data-trigger="` + trigger + `"] td.` + col + ` .verdict'); return b ? b.dataset.verdict + "|" + b.textContent : ""; })()`)
	}
	if v := verdict("bill_instalment", "conversion"); v != "helps|有效" {
		t.Errorf("bill_instalment conversion verdict %q", v)
	}
	if v := verdict("cart_abandoned", "conversion"); v != "inconclusive|样本不足" {
		t.Errorf("cart_abandoned conversion verdict %q, want flagged inconclusive", v)
	}
	if v := verdict("vip_out_of_stock", "conversion"); v != "no data|暂无数据" {
		t.Errorf("vip_out_of_stock verdict %q, want no data", v)
	}
	if s := str(`document.querySelector('#verdicts tr[data-trigger="vip_out_of_stock"] td.conversion').textContent`); strings.Contains(s, "0.0") {
		t.Errorf("an unexposed trigger shows a number: %q", s)
	}
	if s := str(`document.querySelector('#verdicts tr[data-trigger="bill_instalment"] td.conversion').textContent`); !strings.Contains(s, "+20.0") || !strings.Contains(s, "9.4") || !strings.Contains(s, "29.4") {
		t.Errorf("bill_instalment conversion cell %q, want +20.0 pp with its interval [9.4 – 29.4]", s)
	}
	// The uplift chart's bars and whiskers are the fixture's figures.
	uplift := str(`JSON.stringify((() => { const ds = window.Chart.getChart("chart-uplift").data.datasets[0]; return {d: ds.data, e: ds.errors}; })())`)
	if uplift != `{"d":[20,8.3,null],"e":[{"low":9.4,"high":29.4},{"low":-35,"high":40},{"low":null,"high":null}]}` {
		t.Errorf("uplift chart data %s", uplift)
	}
	// Every interval fits on the chart, the widest (cart_abandoned's) too.
	if s := str(`(() => { const y = window.Chart.getChart("chart-uplift").scales.y; return String(y.min <= -35 && y.max >= 40); })()`); s != "true" {
		t.Error("the uplift chart's axis cuts off an interval")
	}
	// Notes are text, not markup.
	if n := str(`String(document.querySelectorAll("#notes b").length) + "|" + document.getElementById("notes").textContent`); !strings.HasPrefix(n, "0|") || !strings.Contains(n, "<b>not markup</b>") {
		t.Errorf("notes %q", n)
	}
	// The breakdown by trigger.
	if s := str(`document.querySelectorAll("#groups tr[data-group]").length + "|" + document.getElementById("card-groups").hidden`); s != "2|false" {
		t.Errorf("groups table %q", s)
	}

	screenshot(t, ctx, "insights-zh.png")

	// English, and the 7-day preset asks for a new period.
	run("English", `document.getElementById("lang-switch").click()`)
	if s := str(`document.querySelector("#card-csat .nodata").textContent + "|" + document.querySelector('#verdicts tr[data-trigger="cart_abandoned"] td.conversion .verdict').textContent`); s != "no data|inconclusive" {
		t.Errorf("English labels %q", s)
	}
	run("7 days", `document.querySelector('#period [data-days="7"]').click()`)
	browsertest.WaitFor(ctx, t, "reloaded", `window.kairosInsights.loaded > 1`)
	e.mu.Lock()
	queries := append([]string(nil), e.outcomeQueries...)
	e.mu.Unlock()
	if len(queries) < 2 || !strings.Contains(queries[len(queries)-1], "from=") || !strings.Contains(queries[len(queries)-1], "to=") {
		t.Errorf("period picker queries %q", queries)
	}
	if c := canvases()["chart-uplift"]; c.Inked < 50 {
		t.Errorf("uplift chart after the reload: %+v", c)
	}
	screenshot(t, ctx, "insights-en.png")
}

// screenshot takes a full-page PNG, checks it is one, and writes it into
// $KAIROS_TEST_ARTIFACTS when that is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	data, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 900 {
		t.Fatalf("screenshot %v: want the whole dashboard", b)
	}
	if dir := os.Getenv("KAIROS_TEST_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
