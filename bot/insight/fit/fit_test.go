package fit

import (
	"context"
	"math"
	"regexp"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
)

// TestCommittedWeightsAreRetrainable retrains on the development sets with
// the default options and checks the result is the committed model: the
// weights cannot be edited by hand, and a feature change without a
// retrain fails here (run go run ./cmd/kairos model train insight).
func TestCommittedWeightsAreRetrainable(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("trains on every development set (seconds; minutes under -race)")
	}
	committed := insight.DefaultModel()
	if committed == nil {
		t.Fatal("bot/insight/model.bin does not load for this feature layout; retrain it")
	}
	data, err := Load("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train(data, insight.DefaultTrainOptions)
	if err != nil {
		t.Fatal(err)
	}
	if m.HashBits != committed.HashBits {
		t.Fatalf("hash bits %d, committed %d", m.HashBits, committed.HashBits)
	}
	// Weights are float32; 1e-6 allows a last-bit difference of the
	// float64 sums on another CPU, far below any meaningful edit.
	worst := 0.0
	for _, p := range [][2]*insight.Layer{{&m.Intent, &committed.Intent}, {&m.Mood, &committed.Mood}} {
		for c := range p[0].W {
			if p[0].Classes[c] != p[1].Classes[c] {
				t.Fatalf("class %d: %s, committed %s", c, p[0].Classes[c], p[1].Classes[c])
			}
			for j := range p[0].W[c] {
				worst = max(worst, math.Abs(p[0].W[c][j]-p[1].W[c][j]))
			}
		}
	}
	if worst > 1e-6 {
		t.Fatalf("retrained weights differ from the committed ones by up to %g; retrain and commit bot/insight/model.bin", worst)
	}
}

// TestTrainingIsDeterministic trains twice on a small subset and wants the
// same weights bit for bit.
func TestTrainingIsDeterministic(t *testing.T) {
	data, err := Load("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	o := insight.DefaultTrainOptions
	o.Iters = 5
	a, err := Train(data[:1], o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(data[:1], o)
	ab, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if string(ab) != string(bb) {
		t.Fatal("two trainings on the same data differ")
	}
}

// TestCrossValidateScoresEveryFold runs the cross-validation machinery on
// two folds with a few iterations: one row per fold, figures in range.
func TestCrossValidateScoresEveryFold(t *testing.T) {
	data, err := Load("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	o := insight.DefaultTrainOptions
	o.Iters = 3
	rows, err := CrossValidate(context.Background(), data[:2], o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Fold != "dev" || rows[1].Fold != "dev2" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		for _, v := range []float64{r.Rules.Intent, r.Rules.Mood, r.Rules.TurnMood, r.Model.Intent, r.Model.Mood, r.Model.TurnMood} {
			if !(v > 0 && v <= 1) {
				t.Fatalf("%s: figure %v out of range: %+v", r.Fold, v, r)
			}
		}
	}
	// The rules alone on dev score what kairos eval reports for them.
	if r := rows[0].Rules; r.EscRecall != 1 || r.Intent < 0.9 {
		t.Errorf("rules on dev: %+v", r)
	}
}

// Folds name files explicitly and never a held-out one.
func TestFoldsAreDevelopmentFiles(t *testing.T) {
	for _, f := range Folds {
		for _, p := range append(append([]string{}, f.Utterances...), f.Dialogues...) {
			if !devFile.MatchString(p) {
				t.Errorf("fold %s lists %q", f.Name, p)
			}
		}
	}
}

var devFile = regexp.MustCompile(`^(insight|dialogues)_dev[0-9]*(_check)?\.jsonl$`)
