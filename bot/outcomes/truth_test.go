package outcomes_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/seed"
)

var seedEnd = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// seeded writes a demo shop into an embedded store and returns the
// report's sources over it.
func seeded(t testing.TB, customers, days int) outcomes.Sources {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, embedded.Options{Dir: t.TempDir(), Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := seed.Write(ctx, st, seed.Config{Customers: customers, Days: days, Seed: 3, End: seedEnd}, seed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(res.Truth))
	for id := range res.Truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	m, err := sample.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	var specs []proactive.Spec
	for _, tr := range m.Triggers() {
		specs = append(specs, tr.Spec)
	}
	sc := outcomes.StoreScanner{Store: st, Customers: ids}
	return outcomes.Sources{Events: sc, Profiles: sc, Triggers: specs}
}

func effect(t *testing.T, r outcomes.Report, trigger string) outcomes.Effect {
	t.Helper()
	for _, e := range r.Overall.Proactive {
		if e.Trigger == trigger {
			return e
		}
	}
	t.Fatalf("no effect for %s in %+v", trigger, r.Overall.Proactive)
	return outcomes.Effect{}
}

// TestSeedGroundTruth: the seed's known conversion lift lies within the
// reported interval, the no-effect trigger gets "no evidence", the churn
// model beats chance, and the NBA and recovery rates are near the seeded
// ones.
func TestSeedGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,200 customers")
	}
	src := seeded(t, 1200, 90)
	truth := seed.OutcomeTruth
	p := outcomes.Params{From: seedEnd.AddDate(0, 0, -90), To: seedEnd, Now: seedEnd}
	started := time.Now()
	rep, err := outcomes.Compute(context.Background(), src, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report in %s", time.Since(started).Round(time.Millisecond))
	lift := effect(t, rep, truth.LiftTrigger)
	c := lift.Conversion
	t.Logf("%s: treatment %d holdout %d, conversion %v vs %v, uplift %.3f [%.3f, %.3f] %s", truth.LiftTrigger, lift.Treatment.Customers, lift.Holdout.Customers,
		*lift.Treatment.Conversion.Value, *lift.Holdout.Conversion.Value, *c.Diff, *c.Low, *c.High, c.Verdict)
	if *c.Low > truth.Lift || *c.High < truth.Lift {
		t.Errorf("known lift %.2f outside the reported interval [%.3f, %.3f]", truth.Lift, *c.Low, *c.High)
	}
	if c.Verdict != outcomes.VerdictHelps {
		t.Errorf("lift trigger verdict %q (%s), want helps", c.Verdict, c.Reason)
	}
	prev := lift.Prevention
	if prev.Ratio == nil || prev.Reduction.Low == nil {
		t.Fatalf("no prevention figure: %+v", prev)
	}
	wantRatio := 1 - truth.IssueTreat/truth.IssueBase
	t.Logf("prevention ratio %.2f (seeded %.2f), reduction [%.3f, %.3f] %s", *prev.Ratio, wantRatio, *prev.Reduction.Low, *prev.Reduction.High, prev.Reduction.Verdict)
	if d := truth.IssueBase - truth.IssueTreat; *prev.Reduction.Low > d || *prev.Reduction.High < d {
		t.Errorf("seeded issue reduction %.2f outside [%.3f, %.3f]", d, *prev.Reduction.Low, *prev.Reduction.High)
	}

	null := effect(t, rep, truth.NullTrigger)
	t.Logf("%s: treatment %d holdout %d, uplift %.3f [%.3f, %.3f] %s", truth.NullTrigger, null.Treatment.Customers, null.Holdout.Customers,
		*null.Conversion.Diff, *null.Conversion.Low, *null.Conversion.High, null.Conversion.Verdict)
	if null.Conversion.Verdict != outcomes.VerdictNoEvidence {
		t.Errorf("no-effect trigger verdict %q (%s), want no evidence", null.Conversion.Verdict, null.Conversion.Reason)
	}

	ch := rep.Overall.Prediction.Churn
	if ch.AUC == nil {
		t.Fatalf("no churn AUC: %+v", ch)
	}
	t.Logf("churn: %d customers, %d churned, AUC %.3f [%.3f, %.3f], precision@%d %.3f (base %.3f)", ch.Customers, ch.Churned, *ch.AUC, *ch.AUCLow, *ch.AUCHigh, ch.K, *ch.PrecisionAtK.Value, *ch.BaseRate)
	if *ch.AUCLow <= 0.5 || *ch.AUC <= 0.5 {
		t.Errorf("churn AUC %.3f [%.3f, %.3f]: want above chance", *ch.AUC, *ch.AUCLow, *ch.AUCHigh)
	}
	for _, a := range rep.Overall.Prediction.NBA {
		want, ok := truth.NBAAccept[a.Action]
		if !ok {
			t.Errorf("unexpected action %s", a.Action)
			continue
		}
		if *a.Rate.Low > want || *a.Rate.High < want {
			t.Errorf("%s adoption %.3f [%.3f, %.3f], seeded %.2f", a.Action, *a.Rate.Value, *a.Rate.Low, *a.Rate.High, want)
		}
	}
	if len(rep.Overall.Prediction.NBA) != len(truth.NBAAccept) {
		t.Errorf("%d NBA actions, want %d", len(rep.Overall.Prediction.NBA), len(truth.NBAAccept))
	}
	x := rep.Overall.Experience
	for _, r := range []struct {
		name string
		got  outcomes.Rate
		want float64
	}{{"bot recovery", x.RecoveryBot, truth.RecoverBot}, {"agent recovery", x.RecoveryAgent, truth.RecoverAgent}} {
		if r.got.Value == nil || *r.got.Low > r.want || *r.got.High < r.want {
			t.Errorf("%s %+v, seeded %.2f", r.name, r.got, r.want)
		}
	}
	o := rep.Overall.Operations
	if x.CES.Value == nil || x.CSAT.Value == nil || o.BotResolution.Value == nil || o.HandoffRate.Value == nil || o.QueueWait.N == 0 || o.FirstResponse.N == 0 {
		t.Errorf("experience %+v operations %+v: want figures", x, o)
	}
	if o.TokensPerResolved != nil {
		t.Errorf("tokens per resolved %v: the seed records no tokens, want null", *o.TokensPerResolved)
	}
	if rep.Ledger.ProactiveActions == 0 || rep.Ledger.Resolutions == 0 || rep.Ledger.IncrementalValue <= 0 {
		t.Errorf("ledger %+v", rep.Ledger)
	}
}
