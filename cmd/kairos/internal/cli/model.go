package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/insight/fit"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/seed"
)

// model runs "kairos model train churn" or "kairos model train insight".
func model(ctx context.Context, env Env, args []string) error {
	if len(args) >= 2 && args[0] == "train" && args[1] == "insight" {
		return trainInsight(ctx, env, args[2:])
	}
	if len(args) < 2 || args[0] != "train" || args[1] != "churn" {
		return usageErr("model needs a subcommand: train churn, train insight")
	}
	return trainChurn(ctx, env, args)
}

// trainChurn runs "kairos model train churn": it builds training samples
// from the store's customers as of cut-offs before their churn could be
// seen, fits the churn model on part of the customers and reports AUC and
// precision@k of the default and the trained model on the rest.
func trainChurn(ctx context.Context, env Env, args []string) error {
	c := newCommon("model train churn", env)
	truthFile := c.fs.String("truth", "", "ground truth of `kairos demo seed` (default <data>/seed-truth.json)")
	labelsFile := c.fs.String("labels", "", "labels instead of the seed's truth: JSONL {\"customer_id\": \"…\", \"churned\": true, \"churned_at\": \"RFC 3339, optional\"}")
	testShare := c.fs.Float64("test-share", 0.3, "share of customers held out for evaluation")
	seedFlag := c.fs.Uint64("seed", 1, "random seed of the held-out split")
	out := c.fs.String("out", "", "where to write the model (default <data>/"+churn.ModelFile+")")
	horizon := c.fs.Int("horizon", 30, "days after a cut-off within which a churn counts")
	cutoffs := c.fs.Int("cutoffs", 0, "cut-offs per customer, half a horizon apart, the latest a horizon before the end (default 3 with --truth, 1 with --labels)")
	endFlag := c.fs.String("end", "", "with --labels: when the labels were observed, RFC 3339 or YYYY-MM-DD (default now)")
	k := c.fs.Int("k", 0, "precision@k on the held-out set (default: its number of churned samples)")
	lambda := c.fs.Float64("lambda", 1, "L2 penalty on the standardised weights")
	if err := c.parse(args[2:]); err != nil {
		return err
	}
	switch {
	case c.fs.NArg() > 0:
		return usageErr("model train churn takes no arguments, got %q", c.fs.Args())
	case *truthFile != "" && *labelsFile != "":
		return usageErr("give --truth or --labels, not both")
	case *testShare <= 0 || *testShare >= 1 || math.IsNaN(*testShare):
		return usageErr("--test-share %v: want a share between 0 and 1", *testShare)
	case *horizon < 1 || *horizon > 365:
		return usageErr("--horizon %d: want 1 to 365 days", *horizon)
	case *cutoffs < 0 || *cutoffs > 24:
		return usageErr("--cutoffs %d: want 1 to 24", *cutoffs)
	case *lambda <= 0 || math.IsNaN(*lambda) || math.IsInf(*lambda, 0):
		return usageErr("--lambda %v: want a positive number", *lambda)
	case *k < 0:
		return usageErr("--k %d: want 0 or more", *k)
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	hz := time.Duration(*horizon) * 24 * time.Hour
	var labels []churn.Label
	var cuts []time.Time
	if *labelsFile != "" {
		if labels, err = readLabels(*labelsFile); err != nil {
			return err
		}
		end, err := parseEnd(*endFlag, time.Now())
		if err != nil {
			return err
		}
		cuts = churn.Cutoffs(time.Time{}, end, hz, hz/2, 0, max(*cutoffs, 1))
	} else {
		path := cmpOr(*truthFile, filepath.Join(cfg.Data, seed.TruthFileName))
		truth, err := readTruth(path)
		if err != nil {
			return err
		}
		labels = churn.LabelsFromTruth(truth)
		n := *cutoffs
		if n == 0 {
			n = 3
		}
		// Features look back up to 60 days; a cut-off needs four weeks of
		// history at least.
		cuts = churn.Cutoffs(truth.Start, truth.End, hz, hz/2, 28*24*time.Hour, n)
		if len(cuts) == 0 {
			return usageErr("the seeded history (%d days) is too short for a %d-day horizon after four weeks of history", truth.Days, *horizon)
		}
	}
	if len(labels) == 0 {
		return usageErr("no labels to train on")
	}

	store, _, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	started := time.Now()
	m, rep, err := churn.Experiment(ctx, store, labels, churn.ExperimentOptions{
		Samples:   churn.SampleOptions{Cutoffs: cuts, Horizon: hz},
		TestShare: *testShare, Seed: *seedFlag, K: *k,
		Fit: churn.FitOptions{Lambda: *lambda},
	})
	if err != nil {
		if errors.Is(err, churn.ErrOneClass) {
			return fmt.Errorf("model train churn: %w; seed more customers or a longer history", err)
		}
		return err
	}
	rep.Print(env.Stdout)
	path := cmpOr(*out, filepath.Join(cfg.Data, churn.ModelFile))
	if err := m.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "model written to %s in %s\n", path, time.Since(started).Round(time.Millisecond))
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maxLabelLine bounds one line of a labels file.
const maxLabelLine = 64 << 10

// readLabels reads JSONL labels; a bad line is an error naming it, and a
// customer labelled twice keeps the last label.
func readLabels(path string) ([]churn.Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	byID := map[string]churn.Label{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxLabelLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var raw struct {
			CustomerID *string    `json:"customer_id"`
			Churned    *bool      `json:"churned"`
			ChurnedAt  *time.Time `json:"churned_at"`
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&raw); err != nil {
			return nil, usageErr("%s:%d: %v", path, line, err)
		}
		if raw.CustomerID == nil || strings.TrimSpace(*raw.CustomerID) == "" || raw.Churned == nil {
			return nil, usageErr("%s:%d: customer_id and churned are required", path, line)
		}
		l := churn.Label{CustomerID: *raw.CustomerID, Churned: *raw.Churned}
		if raw.ChurnedAt != nil {
			l.ChurnedAt = raw.ChurnedAt.UTC()
		}
		byID[l.CustomerID] = l
	}
	if err := sc.Err(); err != nil {
		return nil, usageErr("%s:%d: %v", path, line+1, err)
	}
	out := make([]churn.Label, 0, len(byID))
	for _, l := range byID {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b churn.Label) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return out, nil
}

func readTruth(path string) (seed.TruthFile, error) {
	var t seed.TruthFile
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return t, usageErr("no ground truth at %s: run `kairos demo seed` first, or give --truth or --labels", path)
		}
		return t, fmt.Errorf("truth: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("truth %s: %v: %w", path, err, memory.ErrInvalid)
	}
	if t.End.IsZero() || t.Days < 1 || len(t.Customers) == 0 {
		return t, fmt.Errorf("truth %s: no end, days or customers: %w", path, memory.ErrInvalid)
	}
	return t, nil
}

// trainInsight runs "kairos model train insight": it reads the labelled
// development sets (fit.Folds, never the held-out files), prints the
// leave-one-annotator-set-out cross-validation table of the rules alone
// against the rules with the trained layer, fits the layer on every set and
// writes the weights the offline analyzer embeds (bot/insight/model.bin).
func trainInsight(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("model train insight", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := insight.DefaultTrainOptions
	dir := fs.String("testdata", filepath.Join("bot", "testdata"), "folder of the development sets")
	out := fs.String("out", filepath.Join("bot", "insight", insight.ModelFile), "where to write the weights")
	cv := fs.Bool("cv", true, "cross-validate by annotator set before training on all of them")
	bits := fs.Int("hash-bits", def.HashBits, "hashed text features: 1<<bits buckets (0: none)")
	lambda := fs.Float64("lambda", def.Lambda, "L2 penalty on the weights")
	iters := fs.Int("iters", def.Iters, "full-batch optimiser steps")
	rate := fs.Float64("rate", def.Rate, "optimiser step size")
	balanced := fs.Bool("balanced", def.Balanced, "weigh classes by inverse frequency")
	dropRules := fs.Float64("drop-rules", def.DropRules, "weight of intent rows copied without the lexicons' features")
	dropRulesMood := fs.Float64("drop-rules-mood", def.DropRulesMood, "the same for mood rows")
	turnWeight := fs.Float64("turn-weight", def.TurnWeight, "weight of dialogue turns' mood rows (0: 1)")
	margin := fs.Float64("margin", def.Margin, "how much more probable than the rules' intent the model's must be")
	moodMargin := fs.Float64("mood-margin", def.MoodMargin, "the same for the mood")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageErr("%v", err)
	}
	o := insight.TrainOptions{HashBits: *bits, Lambda: *lambda, Iters: *iters, Rate: *rate, Balanced: *balanced,
		DropRules: *dropRules, DropRulesMood: *dropRulesMood, TurnWeight: *turnWeight, Margin: *margin, MoodMargin: *moodMargin}
	switch {
	case fs.NArg() > 0:
		return usageErr("model train insight takes no arguments, got %q", fs.Args())
	case o.HashBits < 0 || o.HashBits > 20:
		return usageErr("--hash-bits %d: want 0 to 20", o.HashBits)
	case !(o.Lambda >= 0) || !(o.Rate > 0) || o.Iters < 1 || !(o.DropRules >= 0) || !(o.DropRulesMood >= 0) || !(o.TurnWeight >= 0):
		return usageErr("--lambda, --rate, --iters, --drop-rules, --turn-weight: want rate > 0, iters >= 1, the others >= 0")
	case !(o.Margin >= 0 && o.Margin < 1) || !(o.MoodMargin >= 0 && o.MoodMargin < 1):
		return usageErr("--margin, --mood-margin: want 0 <= margin < 1")
	}
	data, err := fit.Load(*dir)
	if err != nil {
		return fmt.Errorf("model train insight: %w", err)
	}
	started := time.Now()
	if *cv {
		rows, err := fit.CrossValidate(ctx, data, o)
		if err != nil {
			return fmt.Errorf("model train insight: cross-validate: %w", err)
		}
		fmt.Fprintf(env.Stdout, "leave-one-annotator-set-out cross-validation (macro-F1 of intent, utterance mood, dialogue-turn mood; escalation recall and accuracy), %+v:\n", o)
		if err := fit.WriteTable(env.Stdout, rows); err != nil {
			return err
		}
	}
	m, err := fit.Train(data, o)
	if err != nil {
		return fmt.Errorf("model train insight: %w", err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("model train insight: %w", err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fmt.Errorf("model train insight: %w", err)
	}
	fmt.Fprintf(env.Stdout, "model written to %s (%d bytes) in %s\n", *out, len(b), time.Since(started).Round(time.Millisecond))
	return nil
}
