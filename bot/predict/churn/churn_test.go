package churn_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/memory"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(d float64) time.Time { return now.Add(-time.Duration(d * 24 * float64(time.Hour))) }

func loyal() memory.Profile {
	return memory.Profile{
		Business:    memory.BusinessProfile{Orders: 6, LastOrderAt: daysAgo(20), FirstOrderAt: daysAgo(170), ReorderIntervalDays: 30},
		Behaviour:   memory.BehaviourProfile{Visits: 60, FirstSeen: daysAgo(180), LastSeen: daysAgo(1), VisitDays30: 10},
		Interaction: memory.InteractionProfile{CSAT: memory.Score{Count: 3, Mean: 4.8}},
	}
}

func leaving() memory.Profile {
	p := loyal()
	p.Business.LastOrderAt = daysAgo(75)
	p.Business.Refunds = 2
	p.Behaviour.LastSeen, p.Behaviour.VisitDays30 = daysAgo(20), 2
	p.Interaction.CSAT = memory.Score{Count: 4, Mean: 2.5}
	p.Interaction.Sentiment = []memory.SentimentPoint{
		{At: daysAgo(100), Mood: "happy", Valence: 0.5},
		{At: daysAgo(22), Mood: "frustrated", Valence: -0.6},
		{At: daysAgo(21), Mood: "angry", Valence: -0.9},
	}
	return p
}

func TestDefaultModelRanksAndExplains(t *testing.T) {
	m := churn.Default()
	low, lowReasons := m.Score(loyal(), now)
	high, reasons := m.Score(leaving(), now)
	if !(low < 0.2 && high > 0.6) {
		t.Fatalf("loyal %.3f, leaving %.3f; want < 0.2 and > 0.6", low, high)
	}
	if len(lowReasons) != 0 {
		t.Errorf("loyal customer given reasons %q", lowReasons)
	}
	if len(reasons) == 0 || len(reasons) > churn.MaxReasons {
		t.Fatalf("reasons %q", reasons)
	}
	all := strings.Join(reasons, "; ")
	if !strings.Contains(all, "CSAT 2.5") {
		t.Errorf("reasons %q do not name the low CSAT", all)
	}
	zh := m.Assess(churn.Input{Profile: leaving()}, now, "zh")
	if zh.Risk != high || len(zh.Reasons) != len(reasons) || !strings.ContainsAny(zh.Reasons[0].Text, "满意度未下单访问对话退款") {
		t.Fatalf("zh assessment %+v", zh)
	}
	for i := 1; i < len(zh.Reasons); i++ {
		if zh.Reasons[i].Impact > zh.Reasons[i-1].Impact {
			t.Fatalf("reasons not by impact: %+v", zh.Reasons)
		}
	}
}

func TestFeaturesIgnoreTheFuture(t *testing.T) {
	p := leaving()
	before := churn.Features(churn.Input{Profile: p}, daysAgo(30))
	p.Interaction.Sentiment = append(p.Interaction.Sentiment, memory.SentimentPoint{At: daysAgo(2), Mood: "angry", Valence: -1})
	events := []memory.Event{{Type: "refund_requested", At: daysAgo(5), Props: json.RawMessage(`{"order_id":"x"}`)}}
	after := churn.Features(churn.Input{Profile: p, Events: []memory.Event{}}, daysAgo(30))
	withFuture := churn.Features(churn.Input{Profile: p, Events: events}, daysAgo(30))
	if before[churn.FNegativeMoods] != after[churn.FNegativeMoods] || withFuture[churn.FRecentRefunds] != 0 {
		t.Fatalf("later data changed features: %v / %v / %v", before, after, withFuture)
	}
}

func TestFeaturesFromEvents(t *testing.T) {
	ev := func(typ string, ago float64, props string) memory.Event {
		return memory.Event{Type: typ, At: daysAgo(ago), Props: json.RawMessage(props)}
	}
	in := churn.Input{Profile: loyal(), Events: []memory.Event{
		ev("survey", 90, `{"csat":5}`), // outside the recent window
		ev("survey", 10, `{"csat":2,"ces":6}`),
		ev("survey", 5, `{"csat":1}`),
		ev("survey", 4, `{broken`),
		ev("refund_requested", 3, `{"order_id":"a"}`),
		ev("subscription_usage", 30, `{"metric":"m","value":300}`),
		ev("subscription_usage", 7, `{"metric":"m","value":60}`),
	}}
	x := churn.Features(in, now)
	want := map[int]float64{churn.FLowCSAT: (5 - 1.5) / 4, churn.FHighCES: 5.0 / 6, churn.FRecentRefunds: 0.5, churn.FUsageDrop: 0.8}
	for i, w := range want {
		if math.Abs(x[i]-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", churn.FeatureNames[i], x[i], w)
		}
	}
}

func TestAUCAndPrecision(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		labels    []bool
		auc       float64
		k         int
		precision float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []bool{true, true, false, false}, 1, 2, 1},
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0, 2, 0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, false, false}, 0.5, 2, 0.25},
		// pos 0.8 beats 2 negs; pos 0.5 ties one neg (½) and beats one.
		{"some ties", []float64{0.8, 0.5, 0.5, 0.3, 0.1}, []bool{true, true, false, false, false}, (3 + 2.5) / 6, 2, 0.75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := churn.AUC(tt.scores, tt.labels); math.Abs(got-tt.auc) > 1e-12 {
				t.Errorf("AUC = %v, want %v", got, tt.auc)
			}
			if got := churn.PrecisionAtK(tt.scores, tt.labels, tt.k); math.Abs(got-tt.precision) > 1e-12 {
				t.Errorf("precision@%d = %v, want %v", tt.k, got, tt.precision)
			}
		})
	}
	if !math.IsNaN(churn.AUC([]float64{1, 2}, []bool{true, true})) {
		t.Error("AUC of one class is not NaN")
	}
}

// TestFitRecoversWeights: on data drawn from a known logistic model, the
// fit finds weights near the truth and ranks better than a wrong model.
func TestFitRecoversWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	truth := [churn.NumFeatures]float64{churn.FLowCSAT: 3, churn.FActivityDrop: 2, churn.FLogOrders: -1}
	var ex []churn.Example
	for range 20000 {
		var x churn.Vector
		for j := range x {
			x[j] = rng.Float64()
		}
		z := -2.0
		for j := range x {
			z += truth[j] * x[j]
		}
		ex = append(ex, churn.Example{X: x, Churned: rng.Float64() < 1/(1+math.Exp(-z))})
	}
	m, err := churn.Fit(ex, churn.FitOptions{Lambda: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range truth {
		raw := m.Weights[j] / m.Scale[j] // back to the raw feature's units
		if math.Abs(raw-w) > 0.3 {
			t.Errorf("%s: weight %.2f, true %.2f", churn.FeatureNames[j], raw, w)
		}
	}
	var allNo []churn.Example
	for _, e := range ex[:50] {
		e.Churned = false
		allNo = append(allNo, e)
	}
	if _, err := churn.Fit(allNo, churn.FitOptions{}); !errors.Is(err, churn.ErrOneClass) {
		t.Errorf("one-class fit: %v, want ErrOneClass", err)
	}
}

func TestModelFile(t *testing.T) {
	dir := t.TempDir()
	m, trained, err := churn.LoadOrDefault(dir)
	if err != nil || trained || m.Bias != churn.DefaultBias {
		t.Fatalf("no file: %v %v %v", m, trained, err)
	}
	ex := []churn.Example{{X: churn.Vector{1, 0, 1}, Churned: true}, {X: churn.Vector{0, 1, 0}}, {X: churn.Vector{1, 1, 0}, Churned: true}, {X: churn.Vector{0, 0, 1}}}
	fit, err := churn.Fit(ex, churn.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, churn.ModelFile)
	if err := fit.Save(path); err != nil {
		t.Fatal(err)
	}
	back, trained, err := churn.LoadOrDefault(dir)
	if err != nil || !trained {
		t.Fatalf("load: %v %v", trained, err)
	}
	p := leaving()
	if a, b := fit.Assess(churn.Input{Profile: p}, now, "en"), back.Assess(churn.Input{Profile: p}, now, "en"); a.Risk != b.Risk {
		t.Fatalf("round trip changed the score: %v vs %v", a.Risk, b.Risk)
	}

	good, _ := os.ReadFile(path)
	bad := map[string]string{
		"not json":        "{",
		"unknown field":   strings.Replace(string(good), `"bias"`, `"bogus": 1, "bias"`, 1),
		"wrong version":   strings.Replace(string(good), `"version": 1`, `"version": 9`, 1),
		"renamed feature": strings.Replace(string(good), `"low_csat"`, `"csat"`, 1),
		"zero scale":      strings.Replace(string(good), `"scale": [`, `"scale": [0, `, 1),
		"too big":         strings.Repeat(" ", churn.MaxModelBytes+1),
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := churn.LoadOrDefault(dir); !errors.Is(err, memory.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid (a broken model file is not silently replaced by the default)", err)
			}
		})
	}
}
