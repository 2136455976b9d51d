package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/outcomes"
)

func runReport(t *testing.T, environ []string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := reportCmd(context.Background(), Env{Args: args, Environ: environ, Stdout: &out, Stderr: &errb}, args)
	return out.String(), errb.String(), err
}

// TestReportOutcomes seeds a shop and reads its outcomes as text, JSON and
// the CSV ledger, as a new user would.
func TestReportOutcomes(t *testing.T) {
	data := t.TempDir()
	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	if out, stderr, err := run(t, env, "demo", "seed", "--customers", "300", "--days", "90", "--seed", "3", "--end", "2026-11-01", "--data", data); err != nil {
		t.Fatalf("demo seed: %v\n%s%s", err, out, stderr)
	}
	period := []string{"--from", "2026-08-03", "--to", "2026-10-31", "--data", data, "--no-firing-log"}
	out, stderr, err := runReport(t, env, append([]string{"outcomes"}, period...)...)
	if err != nil {
		t.Fatalf("report: %v\n%s%s", err, out, stderr)
	}
	t.Log("\n" + out)
	for _, want := range []string{"churn model (default", "AUC 0.", "bill_instalment", "replenish_consumable", "CES ", "bot resolution", "ledger:"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NaN") {
		t.Errorf("NaN in the text:\n%s", out)
	}

	out, _, err = runReport(t, env, append([]string{"outcomes", "--format", "json", "--by", "channel"}, period...)...)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		outcomes.Report
		Entries []outcomes.Entry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%.500s", err, out)
	}
	keys := map[string]bool{}
	for _, g := range rep.Groups {
		keys[g.Key] = true
	}
	if !keys["web"] || !keys["wechat"] || len(rep.Entries) == 0 || rep.Overall.Operations.Conversations == 0 {
		t.Errorf("groups %v, %d entries, %d conversations", keys, len(rep.Entries), rep.Overall.Operations.Conversations)
	}

	out, _, err = runReport(t, env, append([]string{"outcomes", "--format", "csv"}, period...)...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != strings.Join(outcomes.LedgerHeader, ",") {
		t.Fatalf("csv: %v, %d rows\n%.300s", err, len(rows), out)
	}
	if len(rows)-1 != len(rep.Entries) {
		t.Errorf("csv has %d entries, json %d", len(rows)-1, len(rep.Entries))
	}

	// An empty period says no data, not zero.
	out, _, err = runReport(t, env, "outcomes", "--from", "2020-01-01", "--to", "2020-01-31", "--data", data, "--no-firing-log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "CES no data") || !strings.Contains(out, "bot resolution no data") || strings.Contains(out, "NaN") {
		t.Errorf("empty period:\n%s", out)
	}

	// In Chinese.
	out, _, err = runReport(t, env, append([]string{"outcomes", "--lang", "zh"}, period...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"效果报告", "流失模型", "触发器", "有效", "无数据", "机器人解决率", "效果台账"} {
		if !strings.Contains(out, want) {
			t.Errorf("zh text lacks %q:\n%s", want, out)
		}
	}
}

func TestReportOutcomesBadParameters(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"income"},
		{"outcomes"},
		{"outcomes", "--from", "2026-01-01"},
		{"outcomes", "--from", "2026-02-01", "--to", "2026-01-01"},
		{"outcomes", "--from", "yesterday", "--to", "2026-01-01"},
		{"outcomes", "--from", "2024-01-01", "--to", "2026-01-01"},
		{"outcomes", "--from", "2026-01-01", "--to", "2026-01-31", "--by", "planet"},
		{"outcomes", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "xml"},
		{"outcomes", "--from", "2026-01-01", "--to", "2026-01-31", "--interval", "hour"},
		{"outcomes", "--from", "2026-01-01", "--to", "2026-01-31", "extra"},
		{"outcomes", "--from", "2026-01-01", "--to", "2026-01-31", "--lang", "fr"},
	} {
		_, _, err := runReport(t, nil, args...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
