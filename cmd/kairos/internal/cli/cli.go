// Package cli implements the kairos command line: it parses subcommands and
// their flags, loads the settings and hands over to the gateway or the
// knowledge base. It returns errors; only main exits.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/cmd/kairos/internal/gateway"
	"github.com/kairoscx/kairos/knowledge"
)

// Version is set at build time with -ldflags "-X .../cli.Version=v1.2.3".
var Version = "dev"

// ErrUsage marks errors in how the command was called; main exits 2 on them.
var ErrUsage = errors.New("usage")

// Env is what a command runs with, passed in so tests control it.
type Env struct {
	Args    []string // without the program name
	Environ []string
	Stdout  io.Writer
	Stderr  io.Writer
}

const usage = `kairos — a proactive customer-service gateway

Usage:
  kairos [serve] [--addr :8080] [--data ./data] [--config FILE]
  kairos kb ingest [--data DIR] [--config FILE] FILE...   (Markdown, .txt, FAQ .csv)
  kairos kb list   [--data DIR] [--config FILE]
  kairos demo seed [--customers 1000] [--days 90] [--seed 1] [--end DATE] [--churn 0.2] [--data DIR] [--config FILE]
  kairos eval insight FILE.jsonl [-v] [--json] [--errors] [--config FILE]
  kairos model train insight [--testdata bot/testdata] [--out bot/insight/model.bin] [--cv=false]
  kairos model train churn [--data DIR] [--truth FILE | --labels FILE] [--test-share 0.3] [--seed 1] [--out FILE]
  kairos triggers check [DIR]                            (DIR default: the built-in sample matrix)
  kairos triggers backtest --from DATE --to DATE [--triggers DIR] [--customers FILE] [--json] [--data DIR] [--config FILE]
  kairos triggers report ID [--from DATE] [--to DATE] [--triggers DIR] [--json] [--data DIR] [--config FILE]
  kairos report outcomes --from DATE --to DATE [--format text|json|csv] [--by trigger|channel|segment] [--interval day|week|month] [--lang en|zh] [--triggers DIR] [--no-firing-log]
  kairos console --nats URL [--addr :8081] [--api URL --api-key KEY] [--secure]   (the agent console as its own process)
  kairos agent add|list|delete NAME [--role agent|admin] [--queues a,b] [--max-chats 3] [--password-stdin] [--replace] [--nats URL]
  kairos settings                                        (every setting and its KAIROS_* variable)
  kairos version

Every setting can also be given as a KAIROS_* environment variable; see
"kairos settings". Flags beat the environment, which beats the file.
`

// Run runs the command in env.Args until ctx is done (for serve) or the
// command finishes.
func Run(ctx context.Context, env Env) error {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, env, args)
	case "kb":
		return kb(ctx, env, args)
	case "demo":
		return demo(ctx, env, args)
	case "eval":
		return evalCmd(ctx, env, args)
	case "model":
		return model(ctx, env, args)
	case "triggers":
		return triggers(ctx, env, args)
	case "report":
		return reportCmd(ctx, env, args)
	case "console":
		return consoleCmd(ctx, env, args)
	case "agent":
		return agentCmd(ctx, env, args)
	case "settings":
		return settings(env)
	case "version":
		fmt.Fprintln(env.Stdout, versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprint(env.Stderr, usage)
	return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
}

// common holds the flags every store-touching command shares with serve.
type common struct {
	fs         *flag.FlagSet
	configFile string
	addr       string
	data       string
}

func newCommon(name string, env Env) *common {
	c := &common{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.fs.SetOutput(env.Stderr)
	c.fs.StringVar(&c.configFile, "config", "", "YAML settings file")
	c.fs.StringVar(&c.data, "data", "", "data directory (default ./data)")
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return nil
}

// load reads the settings: defaults, file, environment, then the flags that
// were given explicitly.
func (c *common) load(env Env) (config.Config, *slog.Logger, error) {
	cfg, warnings, err := config.Load(c.configFile, env.Environ)
	if err != nil {
		return cfg, nil, err
	}
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = c.addr
		case "data":
			cfg.Data = c.data
		}
	})
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	logger := newLogger(env.Stderr, cfg)
	for _, w := range warnings {
		logger.Warn(w)
	}
	return cfg, logger, nil
}

// openStore opens the configured store with the dimension of the
// configured embedder, as the gateway does; the caller closes it.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (gateway.Store, knowledge.Embedder, error) {
	emb, err := gateway.OpenEmbedder(cfg)
	if err != nil {
		return nil, nil, err
	}
	store, err := gateway.OpenStore(ctx, cfg, emb.Dim(), logger)
	if err != nil {
		return nil, nil, err
	}
	return store, emb, nil
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	v := "kairos " + Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		v += " (" + bi.GoVersion + ")"
	}
	return v
}

func settings(env Env) error {
	for _, f := range config.Fields() {
		def := f.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(env.Stdout, "%-28s %-32s default %s\n    %s\n", f.Path, f.Env, def, f.Doc)
	}
	return nil
}
