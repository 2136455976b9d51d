package cli

import "context"

// model runs "kairos model train churn". Placeholder until its owner lands it.
func model(ctx context.Context, env Env, args []string) error {
	return usageErr("model: not implemented yet")
}
