package cli

import "context"

// evalCmd runs "kairos eval insight FILE.jsonl". Placeholder until its owner lands it.
func evalCmd(ctx context.Context, env Env, args []string) error {
	return usageErr("eval: not implemented yet")
}
