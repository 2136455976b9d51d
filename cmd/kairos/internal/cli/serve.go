package cli

import (
	"context"

	"github.com/kairoscx/kairos/cmd/kairos/internal/gateway"
)

func serve(ctx context.Context, env Env, args []string) error {
	c := newCommon("serve", env)
	c.fs.StringVar(&c.addr, "addr", "", "HTTP listen address (default :8080)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErr("serve takes no arguments, got %q", c.fs.Args())
	}
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	g, err := gateway.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return g.Serve(ctx)
}
