package fit

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
)

var (
	cvFlag   = flag.Bool("cv", false, "print the cross-validation table for the flags below")
	cvBits   = flag.Int("bits", insight.DefaultTrainOptions.HashBits, "hash bits")
	cvLambda = flag.Float64("lambda", insight.DefaultTrainOptions.Lambda, "L2")
	cvIters  = flag.Int("iters", insight.DefaultTrainOptions.Iters, "iterations")
	cvRate   = flag.Float64("rate", insight.DefaultTrainOptions.Rate, "rate")
	cvBal    = flag.Bool("balanced", insight.DefaultTrainOptions.Balanced, "balanced")
	cvTurn   = flag.Float64("turnw", insight.DefaultTrainOptions.TurnWeight, "turn weight")
	cvDrop   = flag.Float64("drop", insight.DefaultTrainOptions.DropRules, "drop-rules copies' weight (intent)")
	cvDropM  = flag.Float64("dropm", insight.DefaultTrainOptions.DropRulesMood, "drop-rules copies' weight (mood)")
	cvMargin = flag.Float64("margin", insight.DefaultTrainOptions.Margin, "intent margin")
	cvMoodM  = flag.Float64("moodmargin", insight.DefaultTrainOptions.MoodMargin, "mood margin")
)

// TestCrossValidateTable prints the leave-one-annotator-out table for the
// options given by flags (a tuning aid: go test ./bot/insight/fit -run
// TestCrossValidateTable -cv -v -bits 12 -lambda 1e-3).
func TestCrossValidateTable(t *testing.T) {
	if !*cvFlag {
		t.Skip("run with -cv")
	}
	data, err := Load("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	o := insight.TrainOptions{HashBits: *cvBits, Lambda: *cvLambda, Iters: *cvIters, Rate: *cvRate, Balanced: *cvBal, TurnWeight: *cvTurn, DropRules: *cvDrop, DropRulesMood: *cvDropM, Margin: *cvMargin, MoodMargin: *cvMoodM}
	start := time.Now()
	rows, err := CrossValidate(context.Background(), data, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v in %s", o, time.Since(start).Round(time.Millisecond))
	WriteTable(os.Stdout, rows)
}
