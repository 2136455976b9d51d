package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTriggersCheck(t *testing.T) {
	out, _, err := run(t, nil, "triggers", "check")
	if err != nil {
		t.Fatalf("check of the sample matrix: %v\n%s", err, out)
	}
	if !strings.Contains(out, "9 triggers compiled, 0 flagged") {
		t.Errorf("check output:\n%s", out)
	}

	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("every.yaml", "id: every\non: [page_view]\ncondition: event.props.url != \"\"\nactions:\n  - type: send_message\n    text:\n      en: hi\n")
	out, _, err = run(t, nil, "triggers", "check", dir)
	if !errors.Is(err, ErrFindings) || !strings.Contains(out, "flag: ") || !strings.Contains(out, "every") {
		t.Errorf("check of a trigger firing on every page view: err %v\n%s", err, out)
	}
	write("broken.yaml", "id: broken\non: [page_view]\ncondition: |\n  count(recent(\"page_view\", \"30m\"), true) >=\nactions:\n  - type: tag\n    tag: x\n")
	out, _, err = run(t, nil, "triggers", "check", dir)
	if err == nil || !strings.Contains(out, "broken.yaml:4:") {
		t.Errorf("check of a broken file: err %v\n%s", err, out)
	}
	if _, _, err := run(t, nil, "triggers", "frobnicate"); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown subcommand: %v, want a usage error", err)
	}
}

func TestTriggersBacktestAndReportOnSeededData(t *testing.T) {
	data := t.TempDir()
	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	if out, stderr, err := run(t, env, "demo", "seed", "--customers", "60", "--days", "60", "--seed", "3", "--end", "2026-03-01", "--data", data); err != nil {
		t.Fatalf("demo seed: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err := run(t, env, "triggers", "backtest", "--from", "2026-02-01", "--to", "2026-02-28", "--data", data)
	if err != nil {
		t.Fatalf("backtest: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "60 customers") || !strings.Contains(out, "CONTACTED") || !strings.Contains(out, "replenish_consumable  2026-02-") {
		t.Errorf("backtest output lacks per-trigger, per-day rows:\n%s", out)
	}
	if _, _, err := run(t, env, "triggers", "backtest", "--from", "2026-02-28", "--to", "2026-02-01", "--data", data); !errors.Is(err, ErrUsage) {
		t.Errorf("backwards period: %v, want a usage error", err)
	}
	out, stderr, err = run(t, env, "triggers", "report", "refund_help", "--data", data)
	if err != nil {
		t.Fatalf("report: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "treatment") || !strings.Contains(out, "holdout") {
		t.Errorf("report output:\n%s", out)
	}
}

// TestSeededDataWakesEverySampleTrigger: the demo seed is what a new user
// backtests the sample matrix on, so each sample trigger must find the
// behaviour it is written for there (a stuck refund-policy reader, an
// abandoned cart, a souring or repeating conversation, ...), not print zero.
func TestSeededDataWakesEverySampleTrigger(t *testing.T) {
	data := t.TempDir()
	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	if out, stderr, err := run(t, env, "demo", "seed", "--customers", "600", "--days", "60", "--seed", "5", "--end", "2026-03-01", "--data", data); err != nil {
		t.Fatalf("demo seed: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err := run(t, env, "triggers", "backtest", "--from", "2026-01-01", "--to", "2026-02-28", "--data", data, "--json")
	if err != nil {
		t.Fatalf("backtest: %v\n%s%s", err, out, stderr)
	}
	var res struct {
		Rows []struct {
			Trigger                        string
			Contacted, Suppressed, Holdout int
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("backtest --json: %v\n%.500s", err, out)
	}
	woken := map[string]int{}
	for _, r := range res.Rows {
		woken[r.Trigger] += r.Contacted + r.Suppressed + r.Holdout
	}
	for _, id := range []string{"bill_instalment", "cart_abandoned", "mood_rescue", "refund_help", "reorder_rhythm",
		"repeated_question", "replenish_consumable", "usage_decline", "vip_out_of_stock"} {
		if woken[id] == 0 {
			t.Errorf("%s never fired on 600 seeded customers over 60 days (%v)", id, woken)
		}
	}
}
