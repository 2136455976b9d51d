package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/insight/fit"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/memory/seed"
)

// TestModelTrainChurn seeds a shop, trains on its ground truth and on a
// labels file, and checks the figures are printed and the model loads.
func TestModelTrainChurn(t *testing.T) {
	data := t.TempDir()
	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	if out, stderr, err := run(t, env, "demo", "seed", "--customers", "300", "--days", "90", "--seed", "3", "--end", "2026-11-01", "--data", data); err != nil {
		t.Fatalf("demo seed: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err := run(t, env, "model", "train", "churn", "--data", data)
	if err != nil {
		t.Fatalf("model train churn: %v\n%s%s", err, out, stderr)
	}
	for _, want := range []string{"default weights", "trained", "AUC", "precision@", "model written to"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, trained, err := churn.LoadOrDefault(data); err != nil || !trained {
		t.Fatalf("trained model not loadable from the data dir: %v %v", trained, err)
	}

	// A labels file instead of the truth.
	truth, err := seed.ReadTruth(data)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for id, e := range truth.Customers {
		fmt.Fprintf(&b, `{"customer_id": %q, "churned": %v}`+"\n", id, e.Churned)
	}
	fmt.Fprintln(&b, `{"customer_id": "nobody-knows", "churned": false}`)
	labels := filepath.Join(t.TempDir(), "labels.jsonl")
	os.WriteFile(labels, []byte(b.String()), 0o600)
	modelOut := filepath.Join(t.TempDir(), "m.json")
	out, stderr, err = run(t, env, "model", "train", "churn", "--data", data, "--labels", labels, "--end", "2026-11-01", "--out", modelOut)
	if err != nil {
		t.Fatalf("with --labels: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "1 unknown") {
		t.Errorf("the unknown customer is not reported:\n%s", out)
	}
	if _, err := churn.Load(modelOut); err != nil {
		t.Fatal(err)
	}
}

func TestModelUsageErrors(t *testing.T) {
	data := t.TempDir()
	badLabels := filepath.Join(data, "bad.jsonl")
	os.WriteFile(badLabels, []byte("{\"customer_id\": \"a\", \"churned\": true}\n{\"customer_id\": \"b\"}\n"), 0o600)
	extra := filepath.Join(data, "extra.jsonl")
	os.WriteFile(extra, []byte("{\"customer_id\": \"a\", \"churned\": true, \"note\": 1}\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"model"}, "train churn"},
		{"unknown model", []string{"model", "train", "ltv"}, "train churn"},
		{"bad share", []string{"model", "train", "churn", "--test-share", "1.5"}, "test-share"},
		{"truth and labels", []string{"model", "train", "churn", "--truth", "a", "--labels", "b"}, "not both"},
		{"no truth yet", []string{"model", "train", "churn", "--data", data}, "kairos demo seed"},
		{"label without churned", []string{"model", "train", "churn", "--data", data, "--labels", badLabels}, "bad.jsonl:2"},
		{"label with unknown field", []string{"model", "train", "churn", "--data", data, "--labels", extra}, "extra.jsonl:1"},
		{"bad lambda", []string{"model", "train", "churn", "--lambda", "-1"}, "lambda"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}, tt.args...)
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a usage error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestModelTrainInsight trains the insight layer on a tiny copy of the
// development sets' layout and checks the cross-validation table is
// printed and the weights it writes load.
func TestModelTrainInsight(t *testing.T) {
	dir := t.TempDir()
	utter := `{"text": "我的订单到哪了", "intent": "order_status", "mood": "calm"}
{"text": "where is my order??? this is ridiculous", "intent": "order_status", "mood": "angry"}
{"text": "I want a refund please", "intent": "refund", "mood": "calm"}
{"text": "退款怎么还没到 急死了", "intent": "refund", "mood": "anxious"}
`
	dialogue := `{"turns": [{"text": "hi, where is my parcel", "bot": "It is on its way.", "resolved": false}, {"text": "you said that yesterday!!", "gap_ms": 3000}], "mood": ["calm", "frustrated"], "escalate": true}
`
	for _, f := range fit.Folds {
		for _, p := range f.Utterances {
			os.WriteFile(filepath.Join(dir, p), []byte(utter), 0o600)
		}
		for _, p := range f.Dialogues {
			os.WriteFile(filepath.Join(dir, p), []byte(dialogue), 0o600)
		}
	}
	modelOut := filepath.Join(t.TempDir(), "model.bin")
	out, stderr, err := run(t, nil, "model", "train", "insight", "--testdata", dir, "--out", modelOut, "--iters", "20", "--hash-bits", "6")
	if err != nil {
		t.Fatalf("model train insight: %v\n%s%s", err, out, stderr)
	}
	for _, want := range []string{"rules alone", "rules + trained layer", "dev3", "mean", "model written to"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(modelOut)
	if err != nil {
		t.Fatal(err)
	}
	m, err := insight.DecodeModel(b)
	if err != nil || m.HashBits != 6 || len(m.Mood.Classes) != len(insight.Moods) {
		t.Fatalf("written model: %+v, %v", m, err)
	}

	// A missing development file is an error that names it.
	os.Remove(filepath.Join(dir, "insight_dev5.jsonl"))
	if _, _, err := run(t, nil, "model", "train", "insight", "--testdata", dir, "--out", modelOut, "--cv=false"); err == nil ||
		!strings.Contains(err.Error(), "insight_dev5.jsonl") {
		t.Fatalf("err = %v, want one naming insight_dev5.jsonl", err)
	}
}

func TestModelTrainInsightUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"model", "train", "insight", "extra"},
		{"model", "train", "insight", "--hash-bits", "30"},
		{"model", "train", "insight", "--iters", "0"},
		{"model", "train", "insight", "--rate", "-1"},
		{"model", "train", "insight", "--nope"},
	} {
		t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
			if _, _, err := run(t, nil, args...); !errors.Is(err, ErrUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
		})
	}
}
