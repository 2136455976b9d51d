package eval

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
)

// fake predicts from the text: "!" marks anger, "?" a question about an
// order, anything else a calm greeting. It escalates once a conversation has
// had two angry turns, and records what it was given.
type fake struct {
	calls []call
	fail  string // a text to fail on
}

type call struct {
	turns   []insight.Turn
	earlier int
}

func (f *fake) Analyze(_ context.Context, turns []insight.Turn, earlier []insight.Insight) (insight.Insight, error) {
	f.calls = append(f.calls, call{turns: append([]insight.Turn(nil), turns...), earlier: len(earlier)})
	cur := turns[len(turns)-1]
	if cur.Text == f.fail {
		return insight.Insight{}, errors.New("boom")
	}
	in := insight.Insight{Intent: insight.IntentGreeting, Mood: insight.MoodCalm}
	if strings.Contains(cur.Text, "?") {
		in.Intent = insight.IntentOrderStatus
	}
	if strings.Contains(cur.Text, "!") {
		in.Mood = insight.MoodAngry
	}
	angry := 0
	for _, e := range append(earlier, in) {
		if e.Mood == insight.MoodAngry {
			angry++
		}
	}
	if angry >= 2 {
		in.Trajectory.EscalationRisk = 0.9
	}
	return in, nil
}

func read(t *testing.T, s string) Set {
	t.Helper()
	set, err := Read(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRunScoresUtterances(t *testing.T) {
	set := read(t, `{"text": "hi", "intent": "greeting", "mood": "calm"}
{"text": "where is it?", "intent": "order_status", "mood": "anxious"}
{"text": "where is it!", "intent": "order_status", "mood": "angry"}
{"text": "thanks", "intent": "thanks"}
`)
	r, err := Run(context.Background(), &fake{}, set)
	if err != nil {
		t.Fatal(err)
	}
	// intent gold/pred: greeting/greeting, order_status/order_status,
	// order_status/greeting, thanks/greeting → accuracy 2/4.
	// greeting: tp 1, fp 2 → F1 1/2; order_status: tp 1, fn 1 → 2/3; thanks: 0.
	s := r.Scores()
	if s.Intent.N != 4 || s.Mood.N != 3 || s.Escalate != nil {
		t.Fatalf("scores = %+v", s)
	}
	near(t, "intent accuracy", s.Intent.Accuracy, 0.5)
	near(t, "intent macro-F1", s.Intent.MacroF1, (0.5+2.0/3+0)/3)
	// mood: calm/calm, anxious/calm, angry/angry → 2/3;
	// calm: tp 1 fp 1 → 2/3; anxious 0; angry 1.
	near(t, "mood accuracy", s.Mood.Accuracy, 2.0/3)
	near(t, "mood macro-F1", s.Mood.MacroF1, (2.0/3+0+1)/3)
	if len(r.Misses) != 3 {
		t.Errorf("misses = %+v", r.Misses)
	}
	if m := r.Misses[0]; m.Line != 2 || m.Field != FieldMood || m.Gold != "anxious" || m.Pred != "calm" {
		t.Errorf("first miss = %+v", m)
	}
}

func TestRunDialogueContext(t *testing.T) {
	set := read(t, `{"turns": [{"text": "hi", "bot": "Hello!", "resolved": true}, {"text": "where?", "gap_ms": 5000, "bot": "Soon.", "resolved": false}, {"text": "now!", "gap_ms": 2000}], "mood": ["calm", "anxious", "angry"], "escalate": true}
`)
	f := &fake{}
	r, err := Run(context.Background(), f, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 {
		t.Fatalf("analyzer called %d times, want once per turn", len(f.calls))
	}
	for i, c := range f.calls {
		if len(c.turns) != i+1 || c.earlier != i {
			t.Errorf("call %d: %d turns, %d earlier insights", i, len(c.turns), c.earlier)
		}
		if cur := c.turns[i]; cur.BotReply != "" || cur.Resolved {
			t.Errorf("call %d: the current turn already carries the bot's answer %q", i, cur.BotReply)
		}
	}
	last := f.calls[2].turns
	if last[0].BotReply != "Hello!" || !last[0].Resolved || last[1].BotReply != "Soon." {
		t.Errorf("earlier turns lost their answers: %+v", last)
	}
	if got := last[2].At.Sub(last[0].At); got.Milliseconds() != 7000 {
		t.Errorf("turn times span %v, want the gaps' 7s", got)
	}
	// Only one angry turn: the fake never escalates → recall 0.
	s := r.Scores()
	if s.Escalate == nil || s.Escalate.N != 1 || s.Escalate.Recall == nil || *s.Escalate.Recall != 0 {
		t.Fatalf("escalate = %+v", s.Escalate)
	}
	if s.Mood.N != 3 {
		t.Errorf("mood n = %d, want one per turn", s.Mood.N)
	}
}

func TestRunEscalateAnyTurn(t *testing.T) {
	// Escalation flagged at turn 2 counts even though turn 3 calms down.
	set := read(t, `{"turns": [{"text": "a!"}, {"text": "b!"}, {"text": "ok"}], "escalate": true}
{"turns": [{"text": "a"}, {"text": "b"}], "escalate": false}
{"turns": [{"text": "a!"}, {"text": "b!"}], "escalate": false}
`)
	r, err := Run(context.Background(), &fake{}, set)
	if err != nil {
		t.Fatal(err)
	}
	s := r.Scores()
	if s.Mood != nil {
		t.Errorf("mood scored without mood labels: %+v", s.Mood)
	}
	near(t, "recall", *s.Escalate.Recall, 1)
	near(t, "accuracy", s.Escalate.Accuracy, 2.0/3)
	// true: tp 1, fp 1 → 2/3; false: tp 1, fn 1 → 2/3.
	near(t, "macro-F1", s.Escalate.MacroF1, 2.0/3)
}

func TestScoresJSON(t *testing.T) {
	set := read(t, `{"text": "hi", "intent": "greeting", "mood": "calm"}
{"turns": [{"text": "a"}], "escalate": false}
`)
	r, err := Run(context.Background(), &fake{}, set)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r.Scores())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("fields = %s", b)
	}
	esc := got["escalate"]
	if v, ok := esc["recall"]; !ok || v != nil {
		t.Errorf("escalate recall with no true dialogue = %v (present %v), want null", v, ok)
	}
	if _, ok := got["intent"]["recall"]; ok {
		t.Errorf("intent has a recall: %s", b)
	}
	for _, k := range []string{"n", "accuracy", "macro_f1"} {
		if _, ok := got["mood"][k]; !ok {
			t.Errorf("mood lacks %q: %s", k, b)
		}
	}
}

func TestRunAnalyzerErrorNamesLine(t *testing.T) {
	set := read(t, `{"text": "hi", "mood": "calm"}
{"turns": [{"text": "a"}, {"text": "boom"}], "escalate": true}
`)
	_, err := Run(context.Background(), &fake{fail: "boom"}, set)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "turn 2") {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, &fake{}, set); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: err = %v", err)
	}
}

func TestWriteReport(t *testing.T) {
	set := read(t, `{"text": "hi", "intent": "greeting", "mood": "calm"}
{"turns": [{"text": "a!"}, {"text": "b!"}], "escalate": true}
`)
	r, err := Run(context.Background(), &fake{}, set)
	if err != nil {
		t.Fatal(err)
	}
	var short, long strings.Builder
	if err := r.Write(&short, false); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&long, true); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"intent", "mood", "escalate", "recall=1.000"} {
		if !strings.Contains(short.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, short.String())
		}
	}
	if strings.Contains(short.String(), "gold \\ predicted") || !strings.Contains(long.String(), "gold \\ predicted") {
		t.Errorf("confusion matrix should appear only when verbose:\n%s", long.String())
	}
}

func TestReportByLanguage(t *testing.T) {
	set := read(t, `{"text": "你好", "intent": "greeting", "mood": "calm"}
{"text": "where?", "intent": "order_status", "mood": "calm", "lang": "en"}
{"text": "hi", "intent": "thanks", "mood": "happy"}
{"turns": [{"text": "在吗!"}, {"text": "hello"}], "mood": ["angry", "calm"]}
`)
	r, err := Run(context.Background(), &fake{}, set)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := r.ByLang["zh"], r.ByLang["en"]
	if zh == nil || en == nil || len(r.ByLang) != 2 {
		t.Fatalf("languages = %v", r.ByLang)
	}
	// zh: one utterance (right) and the dialogue's two turns (both right).
	if zh.Intent.N() != 1 || zh.Mood.N() != 3 || zh.Mood.Accuracy() != 1 {
		t.Errorf("zh: intent n %d, mood n %d, mood accuracy %.3f", zh.Intent.N(), zh.Mood.N(), zh.Mood.Accuracy())
	}
	// en: order_status right, thanks predicted greeting; moods calm right, happy wrong.
	if en.Intent.N() != 2 || en.Intent.Accuracy() != 0.5 || en.Mood.Accuracy() != 0.5 {
		t.Errorf("en: intent n %d, intent accuracy %.3f, mood accuracy %.3f", en.Intent.N(), en.Intent.Accuracy(), en.Mood.Accuracy())
	}
	var b strings.Builder
	r.Write(&b, true)
	if !strings.Contains(b.String(), "by language:") || !strings.Contains(b.String(), "zh") {
		t.Errorf("verbose report lacks the per-language figures:\n%s", b.String())
	}
}
