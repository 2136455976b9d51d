package churn

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/seed"
)

// LabelsFromTruth turns a seeded history's ground truth into labels, in
// customer-id order.
func LabelsFromTruth(t seed.TruthFile) []Label {
	out := make([]Label, 0, len(t.Customers))
	for id, e := range t.Customers {
		out = append(out, Label{CustomerID: id, Key: e.Key, Churned: e.Churned, ChurnedAt: e.ChurnAt})
	}
	slices.SortFunc(out, func(a, b Label) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return out
}

// ExperimentOptions say how to train and evaluate.
type ExperimentOptions struct {
	Samples   SampleOptions
	TestShare float64 // share of customers held out (default 0.3)
	Seed      uint64  // of the split
	K         int     // precision@k on the held-out set; ≤ 0: its number of churned samples
	Fit       FitOptions
}

// Report is what an experiment measured: the default and the trained model
// on the same held-out samples, with and without the recent events.
type Report struct {
	Stats            SampleStats
	Train, Test      int // samples
	TrainChurned     int
	Default, Trained Metrics
	DefaultProfile   Metrics // profile only, no events
	TrainedProfile   Metrics
	Cutoffs          []time.Time
	Horizon          time.Duration
}

// Experiment builds samples for labels from r, holds out a share of the
// customers, fits a model on the rest and evaluates it and the default
// model on the held-out samples. The returned model is the one evaluated
// (fitted on the training split only).
func Experiment(ctx context.Context, r Reader, labels []Label, opts ExperimentOptions) (*Model, Report, error) {
	if opts.TestShare == 0 {
		opts.TestShare = 0.3
	}
	if opts.TestShare < 0 || opts.TestShare >= 1 || math.IsNaN(opts.TestShare) {
		return nil, Report{}, fmt.Errorf("churn: test share %v: want 0 < share < 1: %w", opts.TestShare, memory.ErrInvalid)
	}
	samples, stats, err := Samples(ctx, r, labels, opts.Samples)
	if err != nil {
		return nil, Report{}, err
	}
	train, test := Split(samples, opts.TestShare, opts.Seed)
	rep := Report{Stats: stats, Train: len(train), Test: len(test), Cutoffs: opts.Samples.Cutoffs, Horizon: opts.Samples.Horizon}
	for _, s := range train {
		if s.Churned {
			rep.TrainChurned++
		}
	}
	m, err := Fit(Examples(train), opts.Fit)
	if err != nil {
		return nil, rep, err
	}
	def := Default()
	rep.Default = Evaluate(def, test, opts.K, false)
	rep.Trained = Evaluate(m, test, opts.K, false)
	rep.DefaultProfile = Evaluate(def, test, opts.K, true)
	rep.TrainedProfile = Evaluate(m, test, opts.K, true)
	m.Trained.HeldOutAUC = rep.Trained.AUC
	return m, rep, nil
}

// Print writes the report as a small table.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "samples: %d customers, %d samples (%d churned within %s) at %d cut-offs; skipped %d not yet customers, %d already churned, %d unknown\n",
		r.Stats.Customers, r.Stats.Samples, r.Stats.Churned, days(r.Horizon), len(r.Cutoffs), r.Stats.NotYet, r.Stats.AlreadyChurned, r.Stats.Unknown)
	fmt.Fprintf(w, "split: %d training samples (%d churned), %d held out (%d churned, base rate %.3f)\n",
		r.Train, r.TrainChurned, r.Test, r.Trained.Churned, r.Trained.BaseRate)
	fmt.Fprintf(w, "%-28s %7s %14s\n", "held-out", "AUC", fmt.Sprintf("precision@%d", r.Trained.K))
	for _, row := range []struct {
		name string
		m    Metrics
	}{
		{"default weights", r.Default},
		{"trained", r.Trained},
		{"default, profile only", r.DefaultProfile},
		{"trained, profile only", r.TrainedProfile},
	} {
		fmt.Fprintf(w, "%-28s %7.3f %14.3f\n", row.name, row.m.AUC, row.m.PrecisionAtK)
	}
}

func days(d time.Duration) string { return fmt.Sprintf("%gd", d.Hours()/24) }
