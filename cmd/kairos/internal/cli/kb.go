package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/kairoscx/kairos/knowledge"
)

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

func kb(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("kb needs a subcommand: ingest or list")
	}
	sub, args := args[0], args[1:]
	c := newCommon("kb "+sub, env)
	if err := c.parse(args); err != nil {
		return err
	}
	switch sub {
	case "ingest":
		if c.fs.NArg() == 0 {
			return usageErr("kb ingest needs at least one file")
		}
	case "list":
		if c.fs.NArg() > 0 {
			return usageErr("kb list takes no arguments")
		}
	default:
		return usageErr("unknown kb subcommand %q", sub)
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	store, emb, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	base := knowledge.New(store, emb, logger)

	if sub == "list" {
		docs, err := store.Documents(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTITLE\tFORMAT\tLANG\tCHUNKS\tSOURCE")
		for _, d := range docs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Title, d.Format, d.Lang, d.Chunks, d.Source)
		}
		return tw.Flush()
	}

	// Ingest every file; report each failure and keep going, so one bad
	// file does not hide the others' results.
	var errs []error
	for _, path := range c.fs.Args() {
		src, err := knowledge.ParseFile(path)
		if err != nil {
			errs = append(errs, err)
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
			continue
		}
		doc, err := base.Ingest(ctx, src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: ingested as %s (%q, %s, %d chunks)\n", path, doc.ID, doc.Title, doc.Format, doc.Chunks)
	}
	return errors.Join(errs...)
}
