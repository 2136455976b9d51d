package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/outcomes/pgscan"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/cmd/kairos/internal/gateway"
)

const reportUsage = `kairos report outcomes --from DATE --to DATE [--format text|json|csv] [--by trigger|channel|segment]
    [--interval day|week|month] [--triggers DIR] [--no-firing-log] [--data DIR] [--config FILE]
(DATE: YYYY-MM-DD, --to inclusive, or RFC 3339; csv is the outcome ledger)`

// reportCmd runs "kairos report outcomes": every outcome figure of a
// period (docs/metrics.md) as text or JSON, or the outcome ledger as CSV.
func reportCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "outcomes" {
		return usageErr("report needs a subcommand:\n%s", reportUsage)
	}
	c := newCommon("report outcomes", env)
	from := c.fs.String("from", "", "start of the period (required)")
	to := c.fs.String("to", "", "end of the period, inclusive for a date (required)")
	format := c.fs.String("format", "text", "text, json, or csv (the ledger)")
	by := c.fs.String("by", "", "break the figures down by trigger, channel or segment")
	interval := c.fs.String("interval", "", "trend buckets: day, week or month (default by the period's length)")
	dir := c.fs.String("triggers", "", "trigger directory, for outcome definitions (default: the sample matrix)")
	noLog := c.fs.Bool("no-firing-log", false, "do not read the NATS firing log and handoff stream (recorded events only)")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErr("report outcomes takes no arguments, got %q", c.fs.Args())
	}
	if *from == "" || *to == "" {
		return usageErr("report outcomes needs --from and --to:\n%s", reportUsage)
	}
	switch *format {
	case "text", "json", "csv":
	default:
		return usageErr("report outcomes: --format %q: want text, json or csv", *format)
	}
	t0, t1, err := proactive.ParsePeriod(*from, *to, time.Now())
	if err != nil {
		return usageErr("report outcomes: %v", err)
	}
	p := outcomes.Params{From: t0, To: t1, By: *by, Interval: *interval}
	if err := p.Validate(); err != nil {
		return usageErr("report outcomes: %v", err) // parameters checked before anything is opened
	}
	m, name, err := loadMatrix(*dir)
	if err != nil {
		return fmt.Errorf("report outcomes: %s refused: %w", name, err)
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	emb, err := gateway.OpenEmbedder(cfg)
	if err != nil {
		return err
	}
	store, err := gateway.OpenStore(ctx, cfg, emb.Dim(), logger)
	if err != nil {
		return err
	}
	defer store.Close()
	model, _, err := churn.LoadOrDefault(cfg.Data)
	if err != nil {
		return err
	}
	src := outcomes.Sources{Churn: model}
	if cfg.PostgresURL != "" {
		// Bulk reads: one query per scan instead of one per customer.
		sc, err := pgscan.Open(ctx, cfg.PostgresURL)
		if err != nil {
			return err
		}
		defer sc.Close()
		src.Events, src.Profiles = sc, sc
	} else {
		ids, _, err := backtestCustomers(ctx, store, "", cfg.Data)
		if err != nil {
			return fmt.Errorf("report outcomes: %w", err)
		}
		sc := outcomes.StoreScanner{Store: store, Customers: ids}
		src.Events, src.Profiles = sc, sc
	}
	for _, t := range m.Triggers() {
		src.Triggers = append(src.Triggers, t.Spec)
	}
	if !*noLog {
		if nc, shutdown, err := connectNATS(cfg.NATSURL, cfg.Data); err != nil {
			fmt.Fprintf(env.Stderr, "report outcomes: firing log not read (%v); recorded firing events only\n", err)
		} else {
			defer shutdown()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			st, err := stream.NewState(ctx, js, 1)
			if err != nil {
				return err
			}
			src.Firings = st
			src.Handoffs = outcomes.HandoffLog{JS: js}
		}
	}
	rep, entries, err := outcomes.Build(ctx, src, p)
	if err != nil {
		return err
	}
	switch *format {
	case "csv":
		return outcomes.WriteLedgerCSV(env.Stdout, entries)
	case "json":
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", " ")
		return enc.Encode(struct {
			outcomes.Report
			Entries []outcomes.Entry `json:"entries"`
		}{rep, entries})
	}
	printOutcomes(env.Stdout, rep)
	return nil
}

func printOutcomes(w io.Writer, r outcomes.Report) {
	fmt.Fprintf(w, "outcomes %s to %s\n", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	printFigures(w, "", r.Overall)
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n== %s %s ==\n", r.By, g.Key)
		printFigures(w, "  ", g.Figures)
	}
	l := r.Ledger
	fmt.Fprintf(w, "\nledger: %d resolutions (%.0f agent minutes saved), %d proactive actions, %d conversions worth %.2f (%.2f incremental), %d retained\n",
		l.Resolutions, l.AgentMinutesSaved, l.ProactiveActions, l.Conversions, l.ConversionValue, l.IncrementalValue, l.Retained)
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func printFigures(w io.Writer, ind string, f outcomes.Figures) {
	ch := f.Prediction.Churn
	if ch.Customers > 0 {
		fmt.Fprintf(w, "%schurn model (%s, cut-off %s, %d customers, %d churned): AUC %s, precision@%d %s (base rate %s)%s\n", ind, ch.Model,
			ch.Cutoff.Format(time.DateOnly), ch.Customers, ch.Churned, interval(ch.AUC, ch.AUCLow, ch.AUCHigh, false), ch.K,
			rateText(ch.PrecisionAtK), pct(ch.BaseRate), inconclusive(ch.Inconclusive))
	} else {
		fmt.Fprintf(w, "%schurn model: no data\n", ind)
	}
	if len(f.Prediction.NBA) == 0 {
		fmt.Fprintf(w, "%sNBA adoption: no data\n", ind)
	}
	for _, a := range f.Prediction.NBA {
		fmt.Fprintf(w, "%sNBA %s: %s accepted of %d offered\n", ind, a.Action, rateText(a.Rate), a.Offered)
	}
	if len(f.Proactive) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%sTRIGGER\tTREATMENT\tHOLDOUT\tCONVERSION UPLIFT\tVERDICT\tRETENTION UPLIFT\tVERDICT\tPREVENTION\n", ind)
		for _, e := range f.Proactive {
			prev := "no data"
			if e.Prevention.Ratio != nil {
				prev = fmt.Sprintf("%.0f%% (%s)", 100**e.Prevention.Ratio, e.Prevention.Reduction.Verdict)
			}
			fmt.Fprintf(tw, "%s%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", ind, e.Trigger, e.Treatment.Customers, e.Holdout.Customers,
				interval(e.Conversion.Diff, e.Conversion.Low, e.Conversion.High, true), e.Conversion.Verdict,
				interval(e.Retention.Diff, e.Retention.Low, e.Retention.High, true), e.Retention.Verdict, prev)
		}
		tw.Flush()
	}
	x, o := f.Experience, f.Operations
	fmt.Fprintf(w, "%sCES %s · CSAT %s · turns %s · repeats %s · transfers %s · time to resolution %s\n", ind, meanText(x.CES), meanText(x.CSAT),
		meanText(x.Turns), meanText(x.Repeats), meanText(x.Transfers), distText(x.TimeToResolution))
	fmt.Fprintf(w, "%snegative-emotion recovery %s (bot %s, agent %s; %d turned negative)\n", ind, rateText(x.Recovery), rateText(x.RecoveryBot), rateText(x.RecoveryAgent), x.NegativeTurned)
	tokens := "no data"
	if o.TokensPerResolved != nil {
		tokens = fmt.Sprintf("%.0f tokens, %.4f cost", *o.TokensPerResolved, *o.CostPerResolved)
	}
	fmt.Fprintf(w, "%s%d conversations · bot resolution %s · handoff %s · queue wait %s · first response %s · per resolved %s\n", ind, o.Conversations,
		rateText(o.BotResolution), rateText(o.HandoffRate), distText(o.QueueWait), distText(o.FirstResponse), tokens)
}

func inconclusive(b bool) string {
	if b {
		return " — inconclusive, too few of a class"
	}
	return ""
}

func pct(v *float64) string {
	if v == nil {
		return "no data"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

func rateText(r outcomes.Rate) string {
	if r.Value == nil {
		return "no data"
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f] (%d/%d)", 100**r.Value, 100**r.Low, 100**r.High, r.K, r.N)
}

func meanText(m outcomes.Mean) string {
	if m.Value == nil {
		return "no data"
	}
	if m.Low == nil {
		return fmt.Sprintf("%.2f (n=%d)", *m.Value, m.N)
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f] (n=%d)", *m.Value, *m.Low, *m.High, m.N)
}

func distText(d outcomes.Dist) string {
	if d.MedianS == nil {
		return "no data"
	}
	return fmt.Sprintf("median %s, p90 %s", secs(*d.MedianS), secs(*d.P90S))
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// interval prints v [lo, hi], in points when pts.
func interval(v, lo, hi *float64, pts bool) string {
	if v == nil {
		return "no data"
	}
	if pts {
		return fmt.Sprintf("%+.1f pts [%+.1f, %+.1f]", 100**v, 100**lo, 100**hi)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", *v, *lo, *hi)
}
