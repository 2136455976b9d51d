package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/kairoscx/kairos/memory/seed"
)

// demo runs "kairos demo seed": a generated shop history written into the
// store serve uses, with its ground truth in <data>/seed-truth.json.
func demo(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "seed" {
		return usageErr("demo needs a subcommand: seed")
	}
	c := newCommon("demo seed", env)
	customers := c.fs.Int("customers", 1000, "how many customers to generate")
	days := c.fs.Int("days", 90, "how many days of history, ending now")
	seedFlag := c.fs.Int64("seed", 1, "random seed; the same seed generates the same history")
	endFlag := c.fs.String("end", "", "when the history ends, RFC 3339 or YYYY-MM-DD (default now), for byte-identical reruns")
	churn := c.fs.Float64("churn", seed.DefaultChurnRate, "share of customers who churn within the window")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErr("demo seed takes no arguments, got %q", c.fs.Args())
	}
	end, err := parseEnd(*endFlag, time.Now())
	if err != nil {
		return err
	}
	scfg := seed.Config{Customers: *customers, Days: *days, Seed: *seedFlag, End: end, ChurnRate: *churn}
	if _, err := seed.Generate(scfg, 0); err != nil {
		return usageErr("%v", err)
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
	target, ok := store.(seed.Store)
	if !ok {
		return fmt.Errorf("demo seed: the %T store cannot hold customer events yet", store)
	}
	started := time.Now()
	writers := 1
	if cfg.PostgresURL != "" {
		// PostgreSQL takes concurrent writers (99 s instead of 165 s for
		// 10,000 customers × 90 days); the embedded store has one writer
		// anyway.
		writers = 8
	}
	res, err := seed.Write(ctx, target, scfg, seed.Options{Writers: writers, Progress: func(done, total int) {
		logger.Debug("seeding", "customers", done, "of", total)
	}})
	if err != nil {
		return err
	}
	path, err := seed.WriteTruth(cfg.Data, seed.NewTruthFile(scfg, res))
	if err != nil {
		return err
	}
	st := res.Stats
	fmt.Fprintf(env.Stdout, "seeded %d customers (%d new, %d churned) with %d identities, %d events (%d new), %d conversations, %d messages in %s\n",
		st.Customers, st.NewCustomers, st.Churned, st.Identities, st.Events, st.NewEvents, st.Conversations, st.Messages,
		time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(env.Stdout, "ground truth: %s\n", path)
	return nil
}

func parseEnd(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now.UTC().Truncate(time.Second), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageErr("--end %q: want RFC 3339 or YYYY-MM-DD", s)
}
