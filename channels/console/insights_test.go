package console_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/channels/console"
)

func noRedirect(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// TestInsightsAccess: the dashboard and its figures are for admins; an
// agent gets 403, a visitor without a session is sent to the login.
func TestInsightsAccess(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("root", console.RoleAdmin)
	e.addAgent("alice", console.RoleAgent, "refunds")

	jar, _ := cookiejar.New(nil)
	anon := &agentClient{e: e, http: noRedirect(&http.Client{Jar: jar})}
	resp, _ := anon.do(http.MethodGet, "/console/insights", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/#insights" {
		t.Fatalf("anonymous page: %d → %q, want 303 to the login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := anon.do(http.MethodGet, "/console/api/insights", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous figures: %d, want 401", resp.StatusCode)
	}

	agent := e.login("alice")
	resp, body := agent.do(http.MethodGet, "/console/insights", nil, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "仅限管理员") || !strings.Contains(string(body), "admins only") {
		t.Fatalf("agent page: %d %s, want a bilingual 403", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "<script") {
		t.Fatal("the 403 page carries a script")
	}
	if resp, _ := agent.do(http.MethodGet, "/console/api/insights", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("agent figures: %d, want 403", resp.StatusCode)
	}
	var me map[string]any
	_, body = agent.do(http.MethodGet, "/console/api/me", nil, nil)
	_ = json.Unmarshal(body, &me)
	if me["insights"] != false {
		t.Fatalf("api/me for an agent offers insights: %s", body)
	}
	e.mu.Lock()
	n := len(e.outcomeQueries)
	e.mu.Unlock()
	if n != 0 {
		t.Fatalf("the outcomes API was called %d times for requests that were refused", n)
	}

	admin := e.login("root")
	resp, body = admin.do(http.MethodGet, "/console/insights", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `src="assets/vendor/chart.umd.min.js"`) {
		t.Fatalf("admin page: %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Fatalf("dashboard CSP %q: want own scripts only, no CDN", csp)
	}
	_, body = admin.do(http.MethodGet, "/console/api/me", nil, nil)
	_ = json.Unmarshal(body, &me)
	if me["insights"] != true {
		t.Fatalf("api/me for an admin: %s", body)
	}

	// The vendored library and its licence are served from the embedded
	// assets.
	resp, body = anon.do(http.MethodGet, "/console/assets/vendor/chart.umd.min.js", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(body[:200]), "Chart.js") {
		t.Fatalf("vendored Chart.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = anon.do(http.MethodGet, "/console/assets/vendor/chart.js.LICENSE.md", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "MIT License") {
		t.Fatalf("Chart.js licence: %d", resp.StatusCode)
	}
	if resp, _ := anon.do(http.MethodGet, "/console/assets/vendor/..%2finsights.html", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("path escape under vendor/: %d", resp.StatusCode)
	}
}

// TestInsightsFigures: the console passes the period on to the outcomes
// API and its answer back; bad parameters are refused before the gateway
// is asked, and the gateway's own refusal keeps its message.
func TestInsightsFigures(t *testing.T) {
	e := newEnv(t, nil)
	e.addAgent("root", console.RoleAdmin)
	admin := e.login("root")

	resp, body := admin.do(http.MethodGet, "/console/api/insights?from=2026-11-14&to=2026-11-20&by=trigger&interval=day&evil=1", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("figures: %d %s", resp.StatusCode, body)
	}
	fixture, err := os.ReadFile("testdata/outcomes.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(fixture) {
		t.Fatal("the figures were not passed through unchanged")
	}
	e.mu.Lock()
	got := append([]string(nil), e.outcomeQueries...)
	e.mu.Unlock()
	want := url.Values{"from": {"2026-11-14"}, "to": {"2026-11-20"}, "by": {"trigger"}, "interval": {"day"}}.Encode()
	if len(got) != 1 || got[0] != want {
		t.Fatalf("outcomes API saw %q, want %q", got, want)
	}

	for _, q := range []string{"from=yesterday", "to=2026-13-01", "by=customer", "interval=hour", "by=trigger%27--"} {
		resp, body := admin.do(http.MethodGet, "/console/api/insights?"+q, nil, nil)
		var out struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &out)
		if resp.StatusCode != http.StatusBadRequest || out.Error.Code != "invalid" || out.Error.Message == "" {
			t.Errorf("%s: %d %s, want 400 invalid with a message", q, resp.StatusCode, body)
		}
	}
	e.mu.Lock()
	n := len(e.outcomeQueries)
	e.mu.Unlock()
	if n != 1 {
		t.Fatalf("bad parameters reached the outcomes API (%d calls)", n)
	}

	// The gateway refuses a period (e.g. over 400 days): its message.
	e.mu.Lock()
	e.outcomes = func(url.Values) (int, []byte) {
		return http.StatusBadRequest, []byte(`{"error":"period of 500 days exceeds 400: invalid report parameters"}`)
	}
	e.mu.Unlock()
	resp, body = admin.do(http.MethodGet, "/console/api/insights?from=2025-01-01&to=2026-05-16", nil, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "exceeds 400") {
		t.Fatalf("gateway refusal: %d %s", resp.StatusCode, body)
	}
	// A gateway failing or answering garbage is a 502, not a broken page.
	for _, answer := range []struct {
		status int
		body   string
	}{{http.StatusBadGateway, `{"error":"store down"}`}, {http.StatusOK, `<html>oops`}} {
		e.mu.Lock()
		e.outcomes = func(url.Values) (int, []byte) { return answer.status, []byte(answer.body) }
		e.mu.Unlock()
		if resp, body := admin.do(http.MethodGet, "/console/api/insights", nil, nil); resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("gateway %d %s: console answered %d %s, want 502", answer.status, answer.body, resp.StatusCode, body)
		}
	}
}

// TestInsightsWithoutAPI: a console without the admin API says so.
func TestInsightsWithoutAPI(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.APIBase = "" })
	e.addAgent("root", console.RoleAdmin)
	admin := e.login("root")
	resp, body := admin.do(http.MethodGet, "/console/api/insights", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "no_api") {
		t.Fatalf("%d %s, want 503 no_api", resp.StatusCode, body)
	}
	var me map[string]any
	_, body = admin.do(http.MethodGet, "/console/api/me", nil, nil)
	_ = json.Unmarshal(body, &me)
	if me["insights"] != false {
		t.Fatalf("api/me offers insights without an API: %s", body)
	}
}
