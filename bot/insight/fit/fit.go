// Package fit trains the offline insight analyzer's trained layer on the
// labelled development sets and measures it by leave-one-annotator-set-out
// cross-validation against the rules alone.
//
// Only the development files listed in Folds are read; the held-out
// *_test.jsonl files never are.
package fit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/insight/eval"
)

// Fold is one annotator's development files (in bot/testdata): the unit
// cross-validation leaves out.
type Fold struct {
	Name       string
	Utterances []string
	Dialogues  []string
}

// Folds are the development sets by annotator. dev3 and dev3_check are one
// annotator, so they are one fold. Listed by name, never globbed, so a
// held-out file can never be picked up.
var Folds = []Fold{
	{"dev", []string{"insight_dev.jsonl"}, []string{"dialogues_dev.jsonl"}},
	{"dev2", []string{"insight_dev2.jsonl"}, []string{"dialogues_dev2.jsonl"}},
	{"dev3", []string{"insight_dev3.jsonl", "insight_dev3_check.jsonl"}, []string{"dialogues_dev3.jsonl", "dialogues_dev3_check.jsonl"}},
	{"dev4", []string{"insight_dev4.jsonl"}, []string{"dialogues_dev4.jsonl"}},
	{"dev5", []string{"insight_dev5.jsonl"}, []string{"dialogues_dev5.jsonl"}},
	{"dev6", []string{"insight_dev6.jsonl"}, []string{"dialogues_dev6.jsonl"}},
}

// Data is one fold's labelled examples.
type Data struct {
	Name       string
	Utterances eval.Set
	Dialogues  eval.Set
}

// Load reads every fold's files from dir (bot/testdata).
func Load(dir string) ([]Data, error) {
	var out []Data
	for _, f := range Folds {
		d := Data{Name: f.Name}
		for _, p := range f.Utterances {
			if err := readInto(&d.Utterances, filepath.Join(dir, p)); err != nil {
				return nil, err
			}
		}
		for _, p := range f.Dialogues {
			if err := readInto(&d.Dialogues, filepath.Join(dir, p)); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func readInto(s *eval.Set, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	defer f.Close()
	set, err := eval.Read(f)
	if err != nil {
		return fmt.Errorf("fit: %s: %w", path, err)
	}
	s.Utterances = append(s.Utterances, set.Utterances...)
	s.Dialogues = append(s.Dialogues, set.Dialogues...)
	return nil
}

// Examples turns folds into training examples: each utterance is a
// one-turn conversation with its intent and mood, each dialogue its turns
// with their moods (dialogues carry no intent labels).
func Examples(data []Data) []insight.Example {
	var ex []insight.Example
	for _, d := range data {
		for _, set := range []eval.Set{d.Utterances, d.Dialogues} {
			for _, u := range set.Utterances {
				ex = append(ex, insight.Example{
					Turns:   []insight.Turn{{Text: u.Text}},
					Intents: []string{u.Intent},
					Moods:   []string{u.Mood},
				})
			}
			for _, dl := range set.Dialogues {
				if dl.Moods == nil {
					continue
				}
				ex = append(ex, insight.Example{Turns: dl.Turns, Moods: dl.Moods})
			}
		}
	}
	return ex
}

// Train fits the trained layer on every fold.
func Train(data []Data, o insight.TrainOptions) (*insight.Model, error) {
	return insight.Train(Examples(data), o)
}

// Figures are one analyzer's scores on one fold.
type Figures struct {
	Intent, Mood, TurnMood float64 // macro-F1 of utterance intents and moods, and of dialogue-turn moods
	EscRecall, EscAcc      float64 // escalation recall and accuracy over dialogues
}

// Row is one fold's figures for the rules alone and with the trained
// layer fitted on the other folds.
type Row struct {
	Fold         string
	Rules, Model Figures
}

// Score evaluates an analyzer on one fold with the eval package.
func Score(ctx context.Context, a insight.Analyzer, d Data) (Figures, error) {
	var f Figures
	ru, err := eval.Run(ctx, a, d.Utterances)
	if err != nil {
		return f, err
	}
	rd, err := eval.Run(ctx, a, d.Dialogues)
	if err != nil {
		return f, err
	}
	f.Intent, f.Mood, f.TurnMood = ru.Intent.MacroF1(), ru.Mood.MacroF1(), rd.Mood.MacroF1()
	f.EscRecall, f.EscAcc = rd.Escalate.Recall("true"), rd.Escalate.Accuracy()
	return f, nil
}

// CrossValidate leaves each fold out in turn, trains on the others and
// scores both the rules alone and the rules with that model on it.
func CrossValidate(ctx context.Context, data []Data, o insight.TrainOptions) ([]Row, error) {
	var out []Row
	for k, held := range data {
		var train []Data
		for j, d := range data {
			if j != k {
				train = append(train, d)
			}
		}
		m, err := Train(train, o)
		if err != nil {
			return nil, err
		}
		row := Row{Fold: held.Name}
		if row.Rules, err = Score(ctx, insight.NewOfflineModel(nil), held); err != nil {
			return nil, err
		}
		if row.Model, err = Score(ctx, insight.NewOfflineModel(m), held); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// Mean averages the rows' figures (each fold weighs the same).
func Mean(rows []Row) Row {
	mean := Row{Fold: "mean"}
	for _, r := range rows {
		for _, p := range [][2]*Figures{{&mean.Rules, &r.Rules}, {&mean.Model, &r.Model}} {
			p[0].Intent += p[1].Intent / float64(len(rows))
			p[0].Mood += p[1].Mood / float64(len(rows))
			p[0].TurnMood += p[1].TurnMood / float64(len(rows))
			p[0].EscRecall += p[1].EscRecall / float64(len(rows))
			p[0].EscAcc += p[1].EscAcc / float64(len(rows))
		}
	}
	return mean
}

// WriteTable prints the cross-validation table with its mean.
func WriteTable(w io.Writer, rows []Row) error {
	if _, err := fmt.Fprintf(w, "%-6s | %-29s | %-29s\n%-6s | %5s %5s %5s %5s %5s | %5s %5s %5s %5s %5s\n",
		"held", "rules alone", "rules + trained layer", "out", "int", "mood", "turn", "escR", "escA", "int", "mood", "turn", "escR", "escA"); err != nil {
		return err
	}
	for _, r := range append(rows, Mean(rows)) {
		if _, err := fmt.Fprintf(w, "%-6s | %.3f %.3f %.3f %.3f %.3f | %.3f %.3f %.3f %.3f %.3f\n", r.Fold,
			r.Rules.Intent, r.Rules.Mood, r.Rules.TurnMood, r.Rules.EscRecall, r.Rules.EscAcc,
			r.Model.Intent, r.Model.Mood, r.Model.TurnMood, r.Model.EscRecall, r.Model.EscAcc); err != nil {
			return err
		}
	}
	return nil
}
