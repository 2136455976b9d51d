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
)

const reportUsage = `kairos report outcomes --from DATE --to DATE [--format text|json|csv] [--by trigger|channel|segment]
    [--interval day|week|month] [--lang en|zh] [--triggers DIR] [--no-firing-log] [--data DIR] [--config FILE]
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
	lang := c.fs.String("lang", "en", "language of the text format: en or zh")
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
	if *lang != "en" && *lang != "zh" {
		return usageErr("report outcomes: --lang %q: want en or zh", *lang)
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
	store, _, err := openStore(ctx, cfg, logger)
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
	printOutcomes(env.Stdout, rep, *lang)
	return nil
}

func printOutcomes(w io.Writer, r outcomes.Report, lang string) {
	p := printer{w: w, zh: lang == "zh"}
	p.printf("outcomes %s to %s\n", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	p.figures("", r.Overall)
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n== %s %s ==\n", p.t(r.By), g.Key)
		p.figures("  ", g.Figures)
	}
	l := r.Ledger
	p.printf("\nledger: %d resolutions (%.0f agent minutes saved), %d proactive actions, %d conversions worth %.2f (%.2f incremental), %d retained\n",
		l.Resolutions, l.AgentMinutesSaved, l.ProactiveActions, l.Conversions, l.ConversionValue, l.IncrementalValue, l.Retained)
	for _, n := range r.Notes {
		fmt.Fprintln(w, p.t("note:"), n)
	}
}

// printer writes the text format in English or Simplified Chinese.
type printer struct {
	w  io.Writer
	zh bool
}

// zhText translates the text format's phrases and format strings.
var zhText = map[string]string{
	"outcomes %s to %s\n": "效果报告 %s 至 %s\n",
	"\nledger: %d resolutions (%.0f agent minutes saved), %d proactive actions, %d conversions worth %.2f (%.2f incremental), %d retained\n": "\n效果台账：机器人解决 %d 次（节省人工 %.0f 分钟），主动服务 %d 次，转化 %d 次，金额 %.2f（增量 %.2f），留存 %d 人\n",
	"note:":   "说明：",
	"trigger": "触发器",
	"channel": "渠道",
	"segment": "客群",
	"no data": "无数据",
	"%schurn model (%s, cut-off %s, %d customers, %d churned): AUC %s, precision@%d %s (base rate %s)%s\n": "%s流失模型（%s，截止 %s，%d 位客户，%d 位流失）：AUC %s，前 %d 名精确率 %s（基准 %s）%s\n",
	"%schurn model: %s\n":                   "%s流失模型：%s\n",
	"%sNBA adoption: %s\n":                  "%s下一步最佳行动采纳率：%s\n",
	"%sNBA %s: %s accepted of %d offered\n": "%s下一步最佳行动 %s：采纳 %s，共推荐 %d 次\n",
	"%sTRIGGER\tTREATMENT\tHOLDOUT\tCONVERSION UPLIFT\tVERDICT\tRETENTION UPLIFT\tVERDICT\tPREVENTION\n":          "%s触发器\t实验组\t对照组\t转化提升\t结论\t留存提升\t结论\t问题预防\n",
	"%sCES %s · CSAT %s · turns %s · repeats %s · transfers %s · time to resolution %s\n":                         "%s费力度 CES %s · 满意度 CSAT %s · 轮次 %s · 重复提问 %s · 转接 %s · 解决用时 %s\n",
	"%snegative-emotion recovery %s (bot %s, agent %s; %d turned negative)\n":                                     "%s负面情绪挽回率 %s（机器人 %s，人工 %s；%d 个会话转为负面）\n",
	"%s%d conversations · bot resolution %s · handoff %s · queue wait %s · first response %s · per resolved %s\n": "%s%d 个会话 · 机器人解决率 %s · 转人工率 %s · 排队等待 %s · 首次响应 %s · 每次解决消耗 %s\n",
	" — inconclusive, too few of a class":                                                                         " — 样本不足，无法下结论",
	"median %s, p90 %s":                                                                                           "中位数 %s，P90 %s",
	"%.0f tokens, %.4f cost":                                                                                      "%.0f 个 token，成本 %.4f",
}

func (p printer) t(s string) string {
	if p.zh {
		if z, ok := zhText[s]; ok {
			return z
		}
	}
	return s
}

func (p printer) printf(format string, args ...any) { fmt.Fprintf(p.w, p.t(format), args...) }

func (p printer) figures(ind string, f outcomes.Figures) {
	nd := p.t("no data")
	ch := f.Prediction.Churn
	if ch.Customers > 0 {
		inc := ""
		if ch.Inconclusive {
			inc = p.t(" — inconclusive, too few of a class")
		}
		p.printf("%schurn model (%s, cut-off %s, %d customers, %d churned): AUC %s, precision@%d %s (base rate %s)%s\n", ind, ch.Model,
			ch.Cutoff.Format(time.DateOnly), ch.Customers, ch.Churned, p.interval(ch.AUC, ch.AUCLow, ch.AUCHigh, false), ch.K,
			p.rate(ch.PrecisionAtK), p.pct(ch.BaseRate), inc)
	} else {
		p.printf("%schurn model: %s\n", ind, nd)
	}
	if len(f.Prediction.NBA) == 0 {
		p.printf("%sNBA adoption: %s\n", ind, nd)
	}
	for _, a := range f.Prediction.NBA {
		p.printf("%sNBA %s: %s accepted of %d offered\n", ind, a.Action, p.rate(a.Rate), a.Offered)
	}
	lang := "en"
	if p.zh {
		lang = "zh"
	}
	if len(f.Proactive) > 0 {
		tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, p.t("%sTRIGGER\tTREATMENT\tHOLDOUT\tCONVERSION UPLIFT\tVERDICT\tRETENTION UPLIFT\tVERDICT\tPREVENTION\n"), ind)
		for _, e := range f.Proactive {
			prev := nd
			if e.Prevention.Ratio != nil {
				prev = fmt.Sprintf("%.0f%% (%s)", 100**e.Prevention.Ratio, outcomes.VerdictText(e.Prevention.Reduction.Verdict, lang))
			}
			fmt.Fprintf(tw, "%s%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", ind, e.Trigger, e.Treatment.Customers, e.Holdout.Customers,
				p.interval(e.Conversion.Diff, e.Conversion.Low, e.Conversion.High, true), outcomes.VerdictText(e.Conversion.Verdict, lang),
				p.interval(e.Retention.Diff, e.Retention.Low, e.Retention.High, true), outcomes.VerdictText(e.Retention.Verdict, lang), prev)
		}
		tw.Flush()
	}
	x, o := f.Experience, f.Operations
	p.printf("%sCES %s · CSAT %s · turns %s · repeats %s · transfers %s · time to resolution %s\n", ind, p.mean(x.CES), p.mean(x.CSAT),
		p.mean(x.Turns), p.mean(x.Repeats), p.mean(x.Transfers), p.dist(x.TimeToResolution))
	p.printf("%snegative-emotion recovery %s (bot %s, agent %s; %d turned negative)\n", ind, p.rate(x.Recovery), p.rate(x.RecoveryBot), p.rate(x.RecoveryAgent), x.NegativeTurned)
	tokens := nd
	if o.TokensPerResolved != nil {
		tokens = fmt.Sprintf(p.t("%.0f tokens, %.4f cost"), *o.TokensPerResolved, *o.CostPerResolved)
	}
	p.printf("%s%d conversations · bot resolution %s · handoff %s · queue wait %s · first response %s · per resolved %s\n", ind, o.Conversations,
		p.rate(o.BotResolution), p.rate(o.HandoffRate), p.dist(o.QueueWait), p.dist(o.FirstResponse), tokens)
}

func (p printer) pct(v *float64) string {
	if v == nil {
		return p.t("no data")
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

func (p printer) rate(r outcomes.Rate) string {
	if r.Value == nil {
		return p.t("no data")
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f] (%d/%d)", 100**r.Value, 100**r.Low, 100**r.High, r.K, r.N)
}

func (p printer) mean(m outcomes.Mean) string {
	if m.Value == nil {
		return p.t("no data")
	}
	if m.Low == nil {
		return fmt.Sprintf("%.2f (n=%d)", *m.Value, m.N)
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f] (n=%d)", *m.Value, *m.Low, *m.High, m.N)
}

func (p printer) dist(d outcomes.Dist) string {
	if d.MedianS == nil {
		return p.t("no data")
	}
	return fmt.Sprintf(p.t("median %s, p90 %s"), secs(*d.MedianS), secs(*d.P90S))
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// interval prints v [lo, hi], in points when pts.
func (p printer) interval(v, lo, hi *float64, pts bool) string {
	if v == nil {
		return p.t("no data")
	}
	if pts {
		return fmt.Sprintf("%+.1f pts [%+.1f, %+.1f]", 100**v, 100**lo, 100**hi)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", *v, *lo, *hi)
}
