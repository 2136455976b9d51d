package cli

import "context"

// triggers runs "kairos triggers check|backtest|report". Placeholder until its owner lands it.
func triggers(ctx context.Context, env Env, args []string) error {
	return usageErr("triggers: not implemented yet")
}
