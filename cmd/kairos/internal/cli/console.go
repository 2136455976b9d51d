package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels/console"
)

// consoleCmd runs "kairos console": the agent console as its own process,
// talking to the gateways only through NATS (and the admin API for
// proactive drafts).
func consoleCmd(ctx context.Context, env Env, args []string) error {
	c := newCommon("console", env)
	c.fs.StringVar(&c.addr, "addr", "", "HTTP listen address (default :8081)")
	natsURL := c.fs.String("nats", "", "NATS server URL(s) (default: the nats_url setting)")
	apiURL := c.fs.String("api", "", "a gateway's base URL for the proactive approval API, e.g. http://gw:8080 (empty: no approval queue)")
	apiKey := c.fs.String("api-key", "", "bearer key for --api (default: the api_key setting)")
	secure := c.fs.Bool("secure", false, "mark the session cookie Secure (serve behind TLS)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return usageErr("console takes no arguments, got %q", c.fs.Args())
	}
	addrSet := false
	c.fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	cfg, logger, err := c.load(env)
	if err != nil {
		return err
	}
	addr := ":8081"
	if addrSet {
		addr = c.addr
	}
	url := *natsURL
	if url == "" {
		url = cfg.NATSURL
	}
	if url == "" {
		return usageErr("console needs a NATS server: --nats URL or the nats_url setting (a gateway with the embedded server shares it with nats_listen)")
	}
	key := *apiKey
	if key == "" {
		key = cfg.APIKey
	}
	nc, err := nats.Connect(url, nats.Name("kairos-console"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("console: connect to NATS at %s: %w", url, err)
	}
	defer nc.Close()
	con, err := console.New(console.Config{NATS: nc, APIBase: *apiURL, APIKey: key, Logger: logger, Secure: *secure})
	if err != nil {
		return err
	}
	defer con.Close()
	mux := http.NewServeMux()
	mux.Handle("/console/", con.Handler())
	mux.Handle("/{$}", http.RedirectHandler("/console/", http.StatusFound))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("agent console listening", "addr", addr, "path", "/console/", "nats", nc.ConnectedUrl())
	select {
	case err := <-errc:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	con.Close() // close the WebSockets first: Shutdown does not wait for hijacked connections
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
