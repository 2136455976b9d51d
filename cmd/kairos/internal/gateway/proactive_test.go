package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pageView sends the widget's page_view event frame.
func (c *chat) pageView(id, url string) {
	c.t.Helper()
	c.send(map[string]any{"type": "event", "id": id, "name": "page_view",
		"props": map[string]any{"url": url, "title": "Refund policy", "dwell_ms": 0}})
}

type triggerReport struct {
	Firings    int            `json:"firings"`
	Sends      int            `json:"sends"`
	Suppressed map[string]int `json:"suppressed"`
}

func getReport(t *testing.T, base, trigger string) triggerReport {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/triggers/" + trigger + "/report")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %s", resp.Status)
	}
	var r triggerReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRefundPolicyOpensAProactiveChat is the trigger matrix's flagship
// scenario through a whole node: a visitor reads the refund policy three
// times within half an hour and, without asking, gets a chat with refund
// guidance and a human option on their open widget; a fourth view does not
// repeat it; a visitor who stopped suggestions gets nothing.
func TestRefundPolicyOpensAProactiveChat(t *testing.T) {
	for name, mk := range storeConfigs(t) {
		t.Run(name, func(t *testing.T) {
			cfg := mk(t)
			n := startNode(t, cfg)
			c, _ := dial(t, n.base, "lang=zh-CN")
			for i := 1; i <= 3; i++ {
				c.pageView(fmt.Sprintf("v%d", i), n.base+"/demo/refund-policy.html")
			}
			msg := c.readWithin(90*time.Second, func(f frame) bool { return f.Type == "message" && f.Role == "bot" })
			if msg.ReplyTo != 0 || !strings.Contains(msg.Text, "退") || !strings.Contains(msg.Text, "人工") {
				t.Fatalf("proactive message %+v, want refund guidance with a human option, answering nothing", msg)
			}
			c.send(map[string]any{"type": "ack", "seq": msg.Seq})

			// A fourth view: the trigger fires again but its cooldown holds it.
			c.pageView("v4", n.base+"/demo/refund-policy.html")
			var r triggerReport
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if r = getReport(t, n.base, "refund_help"); r.Suppressed["cooldown"] >= 1 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if r.Sends != 1 || r.Suppressed["cooldown"] < 1 {
				t.Fatalf("report %+v: want one send and the fourth view suppressed by the cooldown", r)
			}

			// Another visitor stops suggestions first: three views, nothing.
			o, _ := dial(t, n.base, "lang=en")
			o.send(map[string]any{"type": "event", "id": "opt", "name": "proactive_opt_out", "props": map[string]any{"opted_out": true}})
			for i := 1; i <= 3; i++ {
				o.pageView(fmt.Sprintf("o%d", i), n.base+"/demo/refund-policy.html")
			}
			deadline = time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if r = getReport(t, n.base, "refund_help"); r.Suppressed["opt_out"] >= 1 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if r.Sends != 1 || r.Suppressed["opt_out"] < 1 {
				t.Fatalf("report %+v: want the opted-out visitor's firing suppressed, still one send", r)
			}
			// The operator sees it on /metrics too, beside the health of
			// NATS, the store and the handoff queues.
			resp, err := http.Get(n.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`kairos_proactive_suppressions_total{guardrail="cooldown",trigger="refund_help"}`,
				"kairos_nats_connected 1", `kairos_dependency_up{component="store"} 1`, "kairos_handoff_agents_online"} {
				if !strings.Contains(string(metrics), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			// The outcome figures the dashboard reads list the trigger.
			day := time.Now().UTC().Format("2006-01-02")
			resp, err = http.Get(n.base + "/api/v1/outcomes?from=" + day + "&to=" + day + "&by=trigger")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "refund_help") {
				t.Errorf("GET /api/v1/outcomes: %s %.300s", resp.Status, body)
			}
			// The opted-out visitor still chats normally.
			if reply := o.ask("How long does shipping take?"); reply.Text == "" {
				t.Fatal("no answer after opting out of suggestions")
			}
		})
	}
}
