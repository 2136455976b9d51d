package outcomes

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func near(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: null, want %.4f", name, want)
		return
	}
	if math.Abs(*got-want) > 5e-4 {
		t.Errorf("%s: %.5f, want %.4f", name, *got, want)
	}
}

func TestRateMeanDist(t *testing.T) {
	if r := rateOf(0, 0); r.Value != nil || r.Low != nil || r.High != nil {
		t.Errorf("rate of nothing: %+v, want nulls", r)
	}
	r := rateOf(3, 10) // Wilson 95%: 0.1078 .. 0.6032
	near(t, "rate", r.Value, 0.3)
	near(t, "wilson low", r.Low, 0.1078)
	near(t, "wilson high", r.High, 0.6032)

	if m := meanOf(nil); m.Value != nil || m.N != 0 {
		t.Errorf("mean of nothing: %+v", m)
	}
	if m := meanOf([]float64{4}); m.Value == nil || *m.Value != 4 || m.Low != nil {
		t.Errorf("mean of one: %+v, want 4 without interval", m)
	}
	m := meanOf([]float64{1, 2, 3, 4}) // s = 1.2910, half = 1.96·s/2 = 1.2652
	near(t, "mean", m.Value, 2.5)
	near(t, "mean low", m.Low, 1.2348)
	near(t, "mean high", m.High, 3.7652)

	if d := distOf(nil); d.MedianS != nil || d.P90S != nil || d.MeanS != nil {
		t.Errorf("dist of nothing: %+v", d)
	}
	d := distOf([]float64{100, 2, 4, 1, 3})
	near(t, "median", d.MedianS, 3)
	near(t, "p90", d.P90S, 100) // nearest rank: ⌈0.9·5⌉ = 5th
	near(t, "mean", d.MeanS, 22)
	d = distOf([]float64{1, 2, 3, 10})
	near(t, "even median", d.MedianS, 2.5)
}

func TestUpliftVerdicts(t *testing.T) {
	for _, tt := range []struct {
		k1, n1, k2, n2 int
		better         float64
		want           string
	}{
		{60, 100, 30, 100, 1, VerdictHelps},
		{30, 100, 60, 100, 1, VerdictHurts},
		{50, 100, 50, 100, 1, VerdictNoEvidence},
		{3, 5, 0, 5, 1, VerdictInconclusive}, // a huge difference on a tiny sample
		{5, 29, 0, 400, 1, VerdictInconclusive},
		{0, 0, 0, 0, 1, VerdictNoData},
		{10, 100, 0, 0, 1, VerdictInconclusive},
		{10, 100, 30, 100, -1, VerdictHelps}, // fewer issue contacts
		{30, 100, 10, 100, -1, VerdictHurts},
	} {
		u := uplift(tt.k1, tt.n1, tt.k2, tt.n2, 30, "conversion", tt.better)
		if u.Verdict != tt.want {
			t.Errorf("%d/%d vs %d/%d (better %v): %q (%s), want %q", tt.k1, tt.n1, tt.k2, tt.n2, tt.better, u.Verdict, u.Reason, tt.want)
		}
		if (tt.n1 == 0 || tt.n2 == 0) != (u.Diff == nil) {
			t.Errorf("%d/%d vs %d/%d: diff %v", tt.k1, tt.n1, tt.k2, tt.n2, u.Diff)
		}
	}
	// Newcombe (1998) method 10, his example (f): 56/70 vs 48/80 → 0.2000
	// [0.0524, 0.3339].
	u := uplift(56, 70, 48, 80, 30, "conversion", 1)
	near(t, "diff", u.Diff, 0.2)
	near(t, "low", u.Low, 0.0524)
	near(t, "high", u.High, 0.3339)
	near(t, "relative", u.Relative, 0.2/0.6)
	// The reduction view swaps the sign and the bounds.
	r := uplift(48, 80, 56, 70, 30, "issue contacts", -1)
	near(t, "reduction", r.Diff, 0.2)
	near(t, "reduction low", r.Low, 0.0524)
	near(t, "reduction high", r.High, 0.3339)
}

func TestChurnFigures(t *testing.T) {
	// Positives score 0.9 and 0.3, negatives 0.8 and 0.1: 3 of 4 pairs
	// ordered right → AUC 0.75; the top 2 hold one churner.
	smp := []churnSample{{0.9, true, "a"}, {0.8, false, "a"}, {0.3, true, "b"}, {0.1, false, "b"}}
	q := churnFigures(ChurnQuality{}, smp, 0, 30)
	near(t, "auc", q.AUC, 0.75)
	near(t, "precision@2", q.PrecisionAtK.Value, 0.5)
	near(t, "base rate", q.BaseRate, 0.5)
	if q.K != 2 || q.Customers != 4 || q.Churned != 2 || !q.Inconclusive {
		t.Errorf("%+v: want k 2, 4 customers, 2 churned, inconclusive", q)
	}
	if *q.AUCLow > 0.75 || *q.AUCHigh < 0.75 || *q.AUCLow < 0 || *q.AUCHigh > 1 {
		t.Errorf("AUC interval [%v, %v]", *q.AUCLow, *q.AUCHigh)
	}
	// One class only: no AUC (null), not NaN.
	q = churnFigures(ChurnQuality{}, smp[1:2], 0, 30)
	if q.AUC != nil || q.K != 0 {
		t.Errorf("one class: %+v", q)
	}
	if q := churnFigures(ChurnQuality{}, nil, 0, 30); q.BaseRate != nil || q.AUC != nil {
		t.Errorf("no samples: %+v", q)
	}
}

func TestBuckets(t *testing.T) {
	from := mustTime("2026-11-04T12:00:00Z") // a Wednesday
	to := mustTime("2026-11-20T00:00:00Z")
	if got := buckets(from, to, IntervalWeek); len(got) != 3 || !got[0][0].Equal(from) || got[1][0].Weekday() != 1 || !got[2][1].Equal(to) {
		t.Errorf("weeks: %v", got)
	}
	if got := buckets(from, to, IntervalDay); len(got) != 16 {
		t.Errorf("%d days, want 16", len(got))
	}
	if got := buckets(from, to, IntervalMonth); len(got) != 1 {
		t.Errorf("%d months, want 1", len(got))
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestUpliftCoverage: over many simulated experiments with a known lift,
// the 95% interval holds the true lift about 95% of the time, and a
// no-effect trigger is called "helps" or "hurts" about 5% of the time.
func TestUpliftCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, p float64) int {
		k := 0
		for range n {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	const reps = 2000
	covered, false_ := 0, 0
	for range reps {
		u := uplift(draw(300, 0.5), 300, draw(100, 0.3), 100, 30, "conversion", 1)
		if *u.Low <= 0.2 && 0.2 <= *u.High {
			covered++
		}
		n := uplift(draw(300, 0.3), 300, draw(100, 0.3), 100, 30, "conversion", 1)
		if n.Verdict != VerdictNoEvidence {
			false_++
		}
	}
	if c := float64(covered) / reps; c < 0.93 || c > 0.975 {
		t.Errorf("coverage %.3f, want about 0.95", c)
	}
	if f := float64(false_) / reps; f > 0.07 {
		t.Errorf("false verdicts on no effect %.3f, want about 0.05", f)
	}
}
