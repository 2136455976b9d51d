package cli

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/llm"
	"github.com/kairoscx/kairos/bot/llm/llmtest"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
)

const evalData = `{"text": "我的订单到哪了？", "intent": "order_status", "mood": "calm", "lang": "zh"}
{"text": "I want to talk to a human", "intent": "human_request", "mood": "calm", "lang": "en"}
{"text": "谢谢！", "intent": "thanks", "mood": "happy", "lang": "zh"}

{"turns": [{"text": "hi", "gap_ms": 0}, {"text": "where is my order", "gap_ms": 3000, "bot": "x"}], "mood": ["calm", "calm"], "escalate": false}
{"turns": [{"text": "where is my refund"}, {"text": "WHERE IS IT!!!", "gap_ms": 2000}, {"text": "useless", "gap_ms": 1500}], "mood": ["calm", "angry", "angry"], "escalate": true}
`

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "set.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type evalScore struct {
	N        *int     `json:"n"`
	Accuracy *float64 `json:"accuracy"`
	MacroF1  *float64 `json:"macro_f1"`
	Recall   *float64 `json:"recall"`
}

func evalJSON(t *testing.T, out string) map[string]evalScore {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got map[string]evalScore
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("output is not the JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	return got
}

func TestEvalInsightJSON(t *testing.T) {
	path := writeFile(t, evalData)
	out, _, err := run(t, nil, "eval", "insight", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	got := evalJSON(t, out)
	wantN := map[string]int{"intent": 3, "mood": 3 + 5, "escalate": 2}
	if len(got) != len(wantN) {
		t.Fatalf("fields = %v, want intent, mood and escalate", got)
	}
	for field, n := range wantN {
		s := got[field]
		if s.N == nil || *s.N != n {
			t.Errorf("%s: n = %v, want %d", field, s.N, n)
		}
		for name, v := range map[string]*float64{"accuracy": s.Accuracy, "macro_f1": s.MacroF1} {
			if v == nil || *v < 0 || *v > 1 {
				t.Errorf("%s: %s = %v, want a figure in 0..1", field, name, v)
			}
		}
		if (s.Recall != nil) != (field == "escalate") {
			t.Errorf("%s: recall = %v, want it on escalate only", field, s.Recall)
		}
	}
}

// scripted is an analyzer whose answers are known, so the command's figures
// can be checked by hand: it calls everything a calm order_status question
// and escalates from a conversation's third turn on.
type scripted struct{}

func (scripted) Analyze(_ context.Context, turns []insight.Turn, _ []insight.Insight) (insight.Insight, error) {
	in := insight.Insight{Intent: insight.IntentOrderStatus, Mood: insight.MoodCalm}
	if len(turns) >= 3 {
		in.Trajectory.EscalationRisk = 1
	}
	return in, nil
}

func TestEvalInsightFigures(t *testing.T) {
	saved := newInsightAnalyzer
	t.Cleanup(func() { newInsightAnalyzer = saved })
	newInsightAnalyzer = func(context.Context, config.Config, *slog.Logger) (scoredAnalyzer, error) {
		return scoredAnalyzer{Analyzer: scripted{}, name: "scripted"}, nil
	}
	path := writeFile(t, evalData)
	out, _, err := run(t, nil, "eval", "insight", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	got := evalJSON(t, out)
	// intent: 1 of 3 right; order_status F1 2·1/(2+2) = 1/2, the two
	// others 0 → macro 1/6.
	// mood: calm gold 5 of 8, all predicted calm: accuracy 5/8; calm F1
	// 10/13, happy and angry 0 → macro 10/39.
	// escalate: the 3-turn dialogue (true) flagged, the 2-turn one (false)
	// not: all right, recall 1.
	checks := []struct {
		what      string
		got, want *float64
	}{
		{"intent accuracy", got["intent"].Accuracy, ptr(1.0 / 3)},
		{"intent macro_f1", got["intent"].MacroF1, ptr(1.0 / 6)},
		{"mood accuracy", got["mood"].Accuracy, ptr(5.0 / 8)},
		{"mood macro_f1", got["mood"].MacroF1, ptr(10.0 / 39)},
		{"escalate accuracy", got["escalate"].Accuracy, ptr(1)},
		{"escalate recall", got["escalate"].Recall, ptr(1)},
	}
	for _, c := range checks {
		if c.got == nil || *c.got-*c.want > 1e-9 || *c.want-*c.got > 1e-9 {
			t.Errorf("%s = %v, want %.6f", c.what, c.got, *c.want)
		}
	}

	out, _, err = run(t, nil, "eval", "insight", path, "-v", "--errors")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"analyzer: scripted", "3 utterances, 2 dialogues", "gold \\ predicted", "recall=1.000", "line 2 ", "gold=human_request"} {
		if !strings.Contains(out, w) {
			t.Errorf("verbose output lacks %q:\n%s", w, out)
		}
	}
}

func TestEvalInsightBadInput(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		usage bool
		want  []string
	}{
		{name: "malformed line", data: evalData + "{\"text\": \"hi\", \n", want: []string{"line 7", "malformed"}},
		{name: "unknown label", data: `{"text": "hi", "intent": "greeting", "mood": "grumpy"}`, want: []string{"line 1", `"grumpy"`}},
		{name: "empty file", data: "", want: []string{"no examples", "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, nil, "eval", "insight", writeFile(t, tt.data), "--json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	usage := [][]string{
		{"eval"},
		{"eval", "frobnicate"},
		{"eval", "insight"},
		{"eval", "insight", "a.jsonl", "b.jsonl"},
		{"eval", "insight", "a.jsonl", "--nope"},
	}
	for _, args := range usage {
		if _, _, err := run(t, nil, args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
	if _, _, err := run(t, nil, "eval", "insight", filepath.Join(t.TempDir(), "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("missing file: err = %v", err)
	}
}

func ptr(f float64) *float64 { return &f }

func llmEnv(s *llmtest.Server) []string {
	return []string{"KAIROS_LLM_BASE_URL=" + s.URL(), "KAIROS_LLM_API_KEY=" + s.Key(), "KAIROS_LLM_MODEL=gpt-4o-mini"}
}

func TestEvalInsightLLM(t *testing.T) {
	path := writeFile(t, evalData)
	// The model calls every message a calm greeting.
	greeting := `{"intent":"greeting","intent_confidence":0.9,"need":"none","need_reason":"-","mood":"calm","valence":0,"arousal":0.1,"confidence":0.9,"injection":false}`
	s := llmtest.NewServer(t, llmtest.WithResponder(func(*llmtest.ChatRequest) llmtest.Response {
		return llmtest.Response{ToolCalls: []llmtest.ToolCall{{Function: llmtest.FunctionCall{Name: llm.InsightToolName, Arguments: greeting}}}}
	}))
	out, stderr, err := run(t, llmEnv(s), "eval", "insight", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	got := evalJSON(t, out)
	// No gold intent is greeting; 5 of the 8 gold moods are calm.
	if a := got["intent"].Accuracy; a == nil || *a != 0 {
		t.Errorf("intent accuracy = %v, want 0 from the model's answers", a)
	}
	if a := got["mood"].Accuracy; a == nil || *a != 5.0/8 {
		t.Errorf("mood accuracy = %v, want 5/8 from the model's answers", a)
	}
	// One analysis per utterance and per dialogue turn, all by the model.
	if !strings.Contains(stderr, "llm=8") || strings.Contains(stderr, "fallback=") {
		t.Errorf("stderr = %q, want 8 analyses answered by the model", stderr)
	}
	if n := len(s.ChatRequests()); n != 8 {
		t.Errorf("%d chat requests, want 8", n)
	}
}

func TestEvalInsightLLMFallsBackToOffline(t *testing.T) {
	path := writeFile(t, evalData)
	offline, _, err := run(t, nil, "eval", "insight", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	s := llmtest.NewServer(t, llmtest.WithResponder(llmtest.Fail(500, "server_error")))
	out, stderr, err := run(t, llmEnv(s), "eval", "insight", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if out != offline {
		t.Errorf("with the model always failing the figures should be the offline analyzer's:\n got %s\nwant %s", out, offline)
	}
	if !strings.Contains(stderr, "fallback=8") {
		t.Errorf("stderr = %q, want 8 fallbacks reported", stderr)
	}
}
