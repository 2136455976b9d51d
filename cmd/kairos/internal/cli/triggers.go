package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/cmd/kairos/internal/gateway"
	"github.com/kairoscx/kairos/memory/seed"
)

const triggersUsage = `kairos triggers check [DIR]
kairos triggers backtest --from DATE --to DATE [--triggers DIR] [--customers FILE] [--json] [--data DIR] [--config FILE]
kairos triggers report ID [--from DATE] [--to DATE] [--triggers DIR] [--json] [--data DIR] [--config FILE]
(DIR default: the embedded sample matrix; DATE: YYYY-MM-DD or RFC 3339)`

// triggers runs "kairos triggers check|backtest|report".
func triggers(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("triggers needs a subcommand:\n%s", triggersUsage)
	}
	switch args[0] {
	case "check":
		return triggersCheck(ctx, env, args[1:])
	case "backtest":
		return triggersBacktest(ctx, env, args[1:])
	case "report":
		return triggersReport(ctx, env, args[1:])
	}
	return usageErr("triggers: unknown subcommand %q:\n%s", args[0], triggersUsage)
}

// loadMatrix loads a trigger directory, or the sample matrix for "".
func loadMatrix(dir string) (*proactive.Matrix, string, error) {
	if dir == "" {
		m, err := sample.Matrix()
		return m, "sample (embedded)", err
	}
	m, err := proactive.LoadDir(dir)
	return m, dir, err
}

// ErrFindings is returned by "triggers check" when a trigger looks like it
// would fire on every event.
var ErrFindings = errors.New("triggers check: findings")

func triggersCheck(ctx context.Context, env Env, args []string) error {
	if len(args) > 1 {
		return usageErr("triggers check takes one directory, got %q", args)
	}
	dir := ""
	if len(args) == 1 {
		dir = args[0]
	}
	m, name, err := loadMatrix(dir)
	if err != nil {
		for _, e := range unjoin(err) {
			fmt.Fprintln(env.Stdout, "error:", e)
		}
		return fmt.Errorf("triggers check: %s refused", name)
	}
	findings, err := proactive.Check(ctx, m)
	if err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintln(env.Stdout, "flag:", f)
	}
	fmt.Fprintf(env.Stdout, "%s: %d triggers compiled, %d flagged\n", name, len(m.Triggers()), len(findings))
	if len(findings) > 0 {
		return ErrFindings
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// customerLister is what a store offers when it can list its customers;
// without it, the backtest replays the customers of the seed's ground
// truth or of --customers.
type customerLister interface {
	CustomerIDs(ctx context.Context) ([]string, error)
}

func triggersBacktest(ctx context.Context, env Env, args []string) error {
	c := newCommon("triggers backtest", env)
	from := c.fs.String("from", "", "first day replayed (YYYY-MM-DD or RFC 3339); required")
	to := c.fs.String("to", "", "last day replayed, inclusive; required")
	dir := c.fs.String("triggers", "", "trigger directory (default: the embedded sample matrix)")
	custFile := c.fs.String("customers", "", "file of customer ids to replay, one a line (default: the store's, or the seeded ground truth's)")
	asJSON := c.fs.Bool("json", false, "print the result as JSON")
	if err := c.parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageErr("triggers backtest needs --from and --to")
	}
	t0, t1, err := proactive.ParsePeriod(*from, *to, time.Now())
	if err != nil {
		return usageErr("triggers backtest: %v", err)
	}
	m, name, err := loadMatrix(*dir)
	if err != nil {
		return fmt.Errorf("triggers backtest: %s refused: %w", name, err)
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
	ids, source, err := backtestCustomers(ctx, store, *custFile, cfg.Data)
	if err != nil {
		return err
	}
	started := time.Now()
	res, err := proactive.Backtest(ctx, proactive.BacktestOptions{Matrix: m, History: store, Customers: ids, From: t0, To: t1})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", " ")
		return enc.Encode(res)
	}
	fmt.Fprintf(env.Stdout, "backtest of %s: %d customers (%s), %d events, %s to %s, in %s\n\n", name, res.Customers, source,
		res.Events, t0.Format(time.DateOnly), t1.Add(-time.Nanosecond).Format(time.DateOnly), time.Since(started).Round(time.Millisecond))
	printBacktest(env.Stdout, res)
	return nil
}

func backtestCustomers(ctx context.Context, store gateway.Store, file, data string) ([]string, string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, "", fmt.Errorf("triggers backtest: %w", err)
		}
		defer f.Close()
		var ids []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
				ids = append(ids, s)
			}
		}
		return ids, file, sc.Err()
	}
	if l, ok := store.(customerLister); ok {
		ids, err := l.CustomerIDs(ctx)
		return ids, "every customer in the store", err
	}
	truth, err := seed.ReadTruth(data)
	if err != nil {
		return nil, "", fmt.Errorf("triggers backtest: this store cannot list its customers; seed it (kairos demo seed) or pass --customers FILE: %w", err)
	}
	ids := make([]string, 0, len(truth.Customers))
	for id := range truth.Customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, "customers of " + seed.TruthFileName, nil
}

func printBacktest(w io.Writer, res proactive.BacktestResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tDAY\tCONTACTED\tSUPPRESSED\tHOLDOUT\tSUPPRESSED BY")
	for _, r := range res.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Trigger, r.Day, r.Contacted, r.Suppressed, r.Holdout, reasons(r.ByReason))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tCUSTOMERS CONTACTED\tREACH\tSUPPRESSED\tHOLDOUT\tFIRINGS\t")
	for _, t := range res.Totals {
		warn := ""
		if t.Reach >= 0.25 {
			warn = "⚠ reaches a quarter of the customers or more"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%d\t%d\t%s\n", t.Trigger, t.Contacted, 100*t.Reach, t.Suppressed, t.Holdout, t.Firings, warn)
	}
	tw.Flush()
	if res.Errors > 0 {
		fmt.Fprintf(w, "\n%d expression errors (see the log)\n", res.Errors)
	}
}

func reasons(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func triggersReport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("triggers report needs a trigger id:\n%s", triggersUsage)
	}
	id := args[0]
	c := newCommon("triggers report", env)
	from := c.fs.String("from", "", "start (default: 30 days before --to)")
	to := c.fs.String("to", "", "end, inclusive (default: now)")
	dir := c.fs.String("triggers", "", "trigger directory, for the trigger's outcome definition (default: the sample matrix)")
	asJSON := c.fs.Bool("json", false, "print the report as JSON")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	t0, t1, err := proactive.ParsePeriod(*from, *to, time.Now())
	if err != nil {
		return usageErr("triggers report: %v", err)
	}
	m, name, err := loadMatrix(*dir)
	if err != nil {
		return fmt.Errorf("triggers report: %s refused: %w", name, err)
	}
	var spec *proactive.Spec
	if t, ok := m.Trigger(id); ok {
		spec = &t.Spec
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	nc, shutdown, err := connectNATS(cfg.NATSURL, cfg.Data)
	if err != nil {
		return err
	}
	defer shutdown()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := stream.NewState(ctx, js, 1)
	if err != nil {
		return err
	}
	store, _, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := proactive.BuildReport(ctx, st, store, id, spec, t0, t1)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	printReport(env.Stdout, rep)
	return nil
}

// connectNATS connects to the configured NATS, or starts the in-process
// server on the data directory's JetStream files (serve must not be
// running on it then).
func connectNATS(url, data string) (*nats.Conn, func(), error) {
	if url != "" {
		nc, err := nats.Connect(url, nats.Name("kairos triggers"))
		if err != nil {
			return nil, nil, fmt.Errorf("triggers: connect to NATS at %s: %w", url, err)
		}
		return nc, nc.Close, nil
	}
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: data + "/nats"})
	if err != nil {
		return nil, nil, fmt.Errorf("triggers: open the in-process NATS data (stop kairos serve, or set KAIROS_NATS_URL): %w", err)
	}
	nc, err := srv.Connect("kairos triggers")
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	return nc, func() { nc.Close(); srv.Shutdown() }, nil
}

func printReport(w io.Writer, r proactive.Report) {
	fmt.Fprintf(w, "trigger %s, %s to %s (attribution %s, outcome %s)\n", r.Trigger, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339),
		r.Attribution, strings.Join(append([]string(nil), orAny(r.OutcomeEvents)...), ", "))
	fmt.Fprintf(w, "firings %d, sends %d, suppressed %s\n\n", r.Firings, r.Sends, reasons(r.Suppressed))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tCUSTOMERS\tFIRINGS\tSENDS\tSTORED\tCONVERSIONS\tCONV. RATE\tRETAINED\tRETENTION")
	for _, g := range []struct {
		name string
		s    proactive.GroupStats
	}{{"treatment", r.Treatment}, {"holdout", r.Holdout}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.1f%%\t%d/%d\t%.1f%%\n", g.name, g.s.Customers, g.s.Firings, g.s.Sends, g.s.Stored,
			g.s.Conversions, 100*g.s.ConversionRate, g.s.Retained, g.s.RetentionEligible, 100*g.s.RetentionRate)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, u := range []struct {
		name string
		u    proactive.Uplift
	}{{"conversion uplift", r.Conversion}, {"retention uplift", r.Retention}} {
		if u.u.Insufficient {
			fmt.Fprintf(w, "%s: not enough data (a group has no customers)\n", u.name)
			continue
		}
		sig := "not significant"
		if u.u.Significant {
			sig = "significant"
		}
		fmt.Fprintf(w, "%s: %+.1f points, 95%% CI [%+.1f, %+.1f] (%s, %s)\n", u.name, 100*u.u.Diff, 100*u.u.Low, 100*u.u.High, u.u.Method, sig)
	}
}

func orAny(xs []string) []string {
	if len(xs) == 0 {
		return []string{"any event"}
	}
	return xs
}
