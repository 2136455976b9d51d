package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/insight/eval"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
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
	analyzer, name, err := newInsightAnalyzer(ctx, cfg, logger)
	if err != nil {
		return fmt.Errorf("eval insight: %w", err)
	}
	report, err := eval.Run(ctx, analyzer, set)
	if err != nil {
		return fmt.Errorf("eval insight: %s: %w", path, err)
	}

	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(report.Scores())
	}
	fmt.Fprintf(env.Stdout, "%s: %d utterances, %d dialogues; analyzer: %s\n",
		path, len(set.Utterances), len(set.Dialogues), name)
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

// newInsightAnalyzer builds the insight analyzer of the configured
// reasoner and names it for the report. It is a variable so tests can score
// a fake.
//
// Offline (no llm.base_url) it is bot/insight's offline analyzer. With an
// LLM configured it must be the LLM analyzer of bot/llm, falling back to the
// offline one as the engine does; until that is wired this refuses rather
// than report offline figures as the LLM's.
var newInsightAnalyzer = func(ctx context.Context, cfg config.Config, logger *slog.Logger) (insight.Analyzer, string, error) {
	offline := insight.NewOffline()
	if cfg.LLM.BaseURL == "" {
		return offline, "offline", nil
	}
	// Lead: build the bot/llm insight analyzer here from cfg.LLM (base URL,
	// key, model, timeout, prompts) with offline as its fallback, and return
	// it with the name "llm (" + cfg.LLM.Model + ")".
	return nil, "", errors.New("the LLM insight analyzer is not wired into eval yet; unset llm.base_url (KAIROS_LLM_BASE_URL) to score the offline analyzer")
}
