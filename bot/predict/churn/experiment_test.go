package churn_test

import (
	"context"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/seed"
)

var seedEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// seeded writes a generated shop into an embedded store in a temp dir.
func seeded(t testing.TB, customers int) (*embedded.Store, seed.TruthFile) {
	t.Helper()
	ctx := context.Background()
	store, err := embedded.Open(ctx, embedded.Options{Dir: t.TempDir(), Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := seed.Config{Customers: customers, Days: 90, Seed: 1, End: seedEnd}
	res, err := seed.Write(ctx, store, cfg, seed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return store, seed.NewTruthFile(cfg, res)
}

// experimentOptions are the CLI's defaults for a 90-day seed.
func experimentOptions(truth seed.TruthFile) churn.ExperimentOptions {
	horizon := 30 * 24 * time.Hour
	return churn.ExperimentOptions{
		Samples: churn.SampleOptions{Horizon: horizon,
			Cutoffs: churn.Cutoffs(truth.Start, truth.End, horizon, horizon/2, 28*24*time.Hour, 3)},
		TestShare: 0.3, Seed: 1,
	}
}

func TestExperimentOnSeed(t *testing.T) {
	store, truth := seeded(t, 1000)
	m, rep, err := churn.Experiment(context.Background(), store, churn.LabelsFromTruth(truth), experimentOptions(truth))
	if err != nil {
		t.Fatal(err)
	}
	var b stringsBuilder
	rep.Print(&b)
	t.Log("\n" + b.String())
	_ = m
}
