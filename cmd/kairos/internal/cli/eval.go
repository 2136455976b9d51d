package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/insight/eval"
	"github.com/kairoscx/kairos/bot/llm"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/prompts"
)

// evalCmd runs "kairos eval insight FILE.jsonl [-v] [--json] [--errors]":
// the configured reasoner's insight analyzer over labelled data (the format
// of bot/testdata/README.md), scored per field.
func evalCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("eval needs a subcommand: insight")
	}
	if args[0] != "insight" {
		return usageErr("unknown eval subcommand %q (want insight)", args[0])
	}
	c := newCommon("eval insight", env)
	verbose := c.fs.Bool("v", false, "also print each field's confusion matrix and per-label precision, recall and F1")
	asJSON := c.fs.Bool("json", false, `print one JSON object {"intent": {"n", "accuracy", "macro_f1"}, "mood": {...}, "escalate": {..., "recall"}} and nothing else`)
	misses := c.fs.Bool("errors", false, "also list every wrong prediction (for development sets only: never study a held-out set's errors)")
	files, err := parseInterspersed(c, args[1:])
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageErr("eval insight needs exactly one FILE.jsonl, got %d", len(files))
	}
	path := files[0]

	// Read the data before loading anything, so bad data fails fast.
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("eval insight: %w", err)
	}
	set, err := eval.Read(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("eval insight: %s: %w", path, err)
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	analyzer, err := newInsightAnalyzer(ctx, cfg, logger)
	if err != nil {
		return fmt.Errorf("eval insight: %w", err)
	}
	report, err := eval.Run(ctx, analyzer, set)
	if err != nil {
		return fmt.Errorf("eval insight: %s: %w", path, err)
	}

	if *asJSON {
		if analyzer.outcomes != nil {
			// stdout holds the JSON object and nothing else.
			fmt.Fprintf(env.Stderr, "analyzer: %s; analyses: %s\n", analyzer.name, analyzer.outcomes())
		}
		return json.NewEncoder(env.Stdout).Encode(report.Scores())
	}
	fmt.Fprintf(env.Stdout, "%s: %d utterances, %d dialogues; analyzer: %s\n",
		path, len(set.Utterances), len(set.Dialogues), analyzer.name)
	if analyzer.outcomes != nil {
		fmt.Fprintf(env.Stdout, "analyses: %s\n", analyzer.outcomes())
	}
	if err := report.Write(env.Stdout, *verbose); err != nil {
		return err
	}
	if *misses {
		writeMisses(env, report.Misses)
	}
	return nil
}

// parseInterspersed parses flags wherever they stand among the arguments
// ("eval insight FILE -v" as well as "eval insight -v FILE"), which the flag
// package alone stops doing at the first argument.
func parseInterspersed(c *common, args []string) ([]string, error) {
	var positional []string
	for {
		if err := c.parse(args); err != nil {
			return nil, err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func writeMisses(env Env, misses []eval.Miss) {
	if len(misses) == 0 {
		return
	}
	fmt.Fprintf(env.Stdout, "\n%d wrong predictions:\n", len(misses))
	for _, m := range misses {
		where := fmt.Sprintf("line %d", m.Line)
		if m.Turn > 0 {
			where += fmt.Sprintf(" turn %d", m.Turn)
		}
		fmt.Fprintf(env.Stdout, "%-16s %-8s gold=%-19s pred=%-19s %s\n", where, m.Field, m.Gold, m.Pred, clip(m.Text, 80))
	}
}

// clip shortens s to at most n runes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// scoredAnalyzer is the analyzer eval scores, its name for the report and,
// for a language model, how its analyses ended (answered, retried, fell back
// to offline), so figures mostly made by the fallback are not taken for the
// model's.
type scoredAnalyzer struct {
	insight.Analyzer
	name     string
	outcomes func() string // nil: nothing to report
}

// newInsightAnalyzer builds the insight analyzer of the configured
// reasoner: bot/insight's offline analyzer, or with llm.base_url set the
// LLM analyzer of bot/llm with the offline one as its fallback, as the
// engine runs them. It is a variable so tests can score a fake.
var newInsightAnalyzer = func(ctx context.Context, cfg config.Config, logger *slog.Logger) (scoredAnalyzer, error) {
	offline := insight.NewOffline()
	if cfg.LLM.BaseURL == "" {
		return scoredAnalyzer{Analyzer: offline, name: "offline"}, nil
	}
	pset, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return scoredAnalyzer{}, err
	}
	reg := prometheus.NewRegistry()
	metrics, err := llm.NewMetrics(reg)
	if err != nil {
		return scoredAnalyzer{}, err
	}
	a, err := llm.NewAnalyzer(llm.Config{
		BaseURL:        cfg.LLM.BaseURL,
		APIKey:         cfg.LLM.APIKey,
		Model:          cfg.LLM.Model,
		Temperature:    float32(cfg.LLM.Temperature),
		Prompts:        pset,
		Logger:         logger,
		Metrics:        metrics,
		InsightTimeout: cfg.LLM.Timeout.D(),
	}, offline, nil)
	if err != nil {
		return scoredAnalyzer{}, err
	}
	return scoredAnalyzer{Analyzer: a, name: "llm " + cfg.LLM.Model + " (offline fallback)",
		outcomes: func() string { return counts(reg, "kairos_llm_insight_total", "outcome") }}, nil
}

// counts renders a counter vector of reg as "label=value ...", sorted.
func counts(reg *prometheus.Registry, name, label string) string {
	families, err := reg.Gather()
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					parts = append(parts, fmt.Sprintf("%s=%.0f", l.GetValue(), m.GetCounter().GetValue()))
				}
			}
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
