// Package gateway wires a Kairos node together from its settings: the store,
// NATS, the knowledge base, the dialogue engine and the channels, behind one
// HTTP server with a graceful shutdown.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kairoscx/kairos/bot"
	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/llm"
	"github.com/kairoscx/kairos/bot/offline"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/web"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/knowledge"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/customerapi"
	"github.com/kairoscx/kairos/memory/ingest"
	"github.com/kairoscx/kairos/memory/longterm"
	"github.com/kairoscx/kairos/prompts"
)

// Gateway is one running Kairos node.
type Gateway struct {
	cfg      config.Config
	log      *slog.Logger
	registry *prometheus.Registry

	store     memory.Store
	natsSrv   *relay.Embedded // nil when connected to an outside NATS
	relay     *relay.Relay
	nc        *nats.Conn
	knowledge *knowledge.Base
	engine    *bot.Engine
	web       *web.Handler
	ingest    *ingest.Ingest
	customers *customerapi.Handler
	proactive *proactiveParts  // nil when triggers.disabled
	platforms []platform       // messaging platforms with accounts
	handoff   *handoff.Service // nil when handoff.disabled
	console   *console.Console // the agent console at /console/
	outcomes  http.Handler     // GET /api/v1/outcomes
	outClose  io.Closer        // its bulk reader

	// ingestStop ends the event consumer; ingestDone reports its end.
	ingestStop context.CancelFunc
	ingestDone chan error
	// proactiveStop ends the trigger engine's runner; proactiveDone
	// reports its end.
	proactiveStop context.CancelFunc
	proactiveDone chan error

	listener net.Listener
	http     *http.Server

	closeOnce sync.Once
	closeErr  error
}

// New opens every part of a node and binds the listen address, but serves
// nothing until Serve. On error, whatever was opened is closed again.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (g *Gateway, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g = &Gateway{cfg: cfg, log: logger, registry: prometheus.NewRegistry()}
	opened := g // the error returns below set g to nil
	defer func() {
		if err != nil {
			opened.closeParts(context.Background())
		}
	}()
	g.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	secret, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}
	emb, err := openEmbedder(cfg)
	if err != nil {
		return nil, err
	}
	if g.store, err = OpenStore(ctx, cfg, emb.Dim(), logger); err != nil {
		return nil, err
	}
	if err := g.connectNATS(ctx); err != nil {
		return nil, err
	}
	g.registry.MustRegister(relay.NewNATSCollector(g.nc, 0), relay.NewHealthCollector("store", g.store.Ping, 0))
	rel, err := relay.New(g.nc, logger)
	if err != nil {
		return nil, fmt.Errorf("gateway: relay: %w", err)
	}
	g.relay = rel
	js, err := jetstream.New(g.nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return nil, fmt.Errorf("gateway: jetstream: %w", err)
	}
	if err := relay.EnsureStreams(ctx, js); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	// Every node runs the durable consumer; JetStream shares the work.
	if g.ingest, err = ingest.New(ingest.Config{JS: js, Store: g.store, Logger: logger}); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if g.customers, err = customerapi.New(g.store, logger); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}

	g.knowledge = knowledge.New(g.store, emb, logger)
	if cfg.SampleKnowledge {
		n, err := g.knowledge.LoadSample(ctx)
		if err != nil {
			return nil, fmt.Errorf("gateway: sample knowledge: %w", err)
		}
		if n > 0 {
			logger.Info("loaded the sample knowledge base", "documents", n)
		}
	}

	pset, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	fallback := offline.New(pset)
	var primary reason.Reasoner = fallback
	var extractor longterm.Extractor // nil: the offline rules
	var analyzer insight.Analyzer = insight.NewOffline()
	// The LLM's tools reach the engine, which is built after the reasoner.
	var engine *bot.Engine
	var llmReasoner *llm.Reasoner
	if cfg.LLM.BaseURL != "" {
		lmetrics, err := llm.NewMetrics(g.registry)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		lc := llm.Config{
			BaseURL:        cfg.LLM.BaseURL,
			APIKey:         cfg.LLM.APIKey,
			Model:          cfg.LLM.Model,
			MaxTokens:      cfg.LLM.MaxTokens,
			Temperature:    float32(cfg.LLM.Temperature),
			Prompts:        pset,
			Logger:         logger,
			Metrics:        lmetrics,
			InsightTimeout: cfg.LLM.InsightTimeout.D(),
			Price:          llm.Price{Input: cfg.LLM.PriceInput, Output: cfg.LLM.PriceOutput},
			Slow: llm.SlowConfig{
				Enabled:   cfg.LLM.SlowThinking,
				MaxTokens: cfg.LLM.SlowMaxTokens,
				Timeout:   cfg.LLM.SlowTimeout.D(),
			},
			Tools: llm.Tools{
				Search: func(ctx context.Context, query, _ string) ([]reason.Passage, error) {
					return searchPassages(ctx, g.knowledge, query)
				},
				Recall: func(ctx context.Context, customerID, query string) ([]reason.Memory, error) {
					return engine.Recall(ctx, customerID, query)
				},
			},
		}
		if cfg.Orders.WebhookURL != "" {
			lc.Tools.Orders = &llm.OrderWebhook{URL: cfg.Orders.WebhookURL, Secret: cfg.Orders.WebhookSecret, Timeout: cfg.Orders.WebhookTimeout.D()}
		}
		r, err := llm.New(lc)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		primary, llmReasoner = r, r
		if extractor, err = llm.NewExtractor(lc, longterm.NewRules(nil)); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		if analyzer, err = llm.NewAnalyzer(lc, insight.NewOffline(), insight.Track); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	churnModel, nextBest, err := openPrediction(ctx, cfg, js, g.store, logger)
	if err != nil {
		return nil, err
	}
	engine, err = bot.New(bot.Config{
		Insight:         analyzer,
		NextBest:        nextBest,
		Churn:           churnModel,
		Store:           g.store,
		Knowledge:       g.knowledge,
		Reasoner:        primary,
		Fallback:        fallback,
		Outbox:          rel,
		Events:          rel,
		Logger:          logger,
		TurnTimeout:     cfg.TurnTimeout.D(),
		ReasonerTimeout: cfg.LLM.Timeout.D(),
		IdleAfter:       cfg.ConversationIdle.D(),
		Metrics:         g.registry,
		Memory: bot.MemoryConfig{
			Disabled:   cfg.Memory.Disabled,
			Embedder:   emb,
			Extractor:  extractor,
			EveryTurns: cfg.Memory.EveryTurns,
			IdleAfter:  cfg.Memory.IdleAfter.D(),
			RecallK:    cfg.Memory.Recall,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.engine = engine
	if !cfg.Handoff.Disabled {
		var summarizer bot.HandoffSummarizer // nil interface without an LLM
		if llmReasoner != nil {
			summarizer = llmReasoner
		}
		if g.handoff, err = openHandoff(ctx, cfg.Handoff, g.nc, g.store, rel, engine, summarizer, logger); err != nil {
			return nil, err
		}
		if err := handoff.NewMetrics(g.registry, g.handoff); err != nil {
			return nil, fmt.Errorf("gateway: handoff metrics: %w", err)
		}
	}
	if !cfg.Triggers.Disabled {
		var human proactive.Handoff // nil interface when handoff is off
		if g.handoff != nil {
			human = g.handoff
		}
		if g.proactive, err = openProactive(ctx, cfg, g.registry, g.nc, js, g.store, rel, churnModel, llmReasoner, human, logger); err != nil {
			return nil, err
		}
		engine.SetOptOuts(g.proactive.engine)

	}
	if g.platforms, err = openPlatforms(ctx, cfg.Channels, engine, rel, g.nc, logger); err != nil {
		return nil, err
	}
	g.web, err = web.New(web.Config{
		Engine:         g.engine,
		Relay:          rel,
		Secret:         secret,
		SiteSecret:     []byte(cfg.SiteSecret),
		AllowedOrigins: cfg.AllowedOrigins,
		Logger:         logger,
		Metrics:        g.registry,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}

	g.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("gateway: listen: %w", err)
	}
	if g.outcomes, g.outClose, err = openOutcomes(ctx, cfg, g.store, js, churnModel, g.proactive, logger); err != nil {
		return nil, fmt.Errorf("gateway: outcomes: %w", err)
	}
	if g.console, err = console.New(console.Config{
		NATS: g.nc, JS: js, APIBase: "http://" + loopbackAddr(g.Addr()), APIKey: cfg.APIKey,
		AllowedOrigins: cfg.AllowedOrigins, Logger: logger,
	}); err != nil {
		return nil, fmt.Errorf("gateway: console: %w", err)
	}
	g.http = &http.Server{
		Handler:           g.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return g, nil
}

// Addr is the address the node listens on (useful with port 0).
func (g *Gateway) Addr() string { return g.listener.Addr().String() }

// Serve answers HTTP until ctx is done, then shuts down gracefully: it stops
// accepting, lets turns in flight finish and deliver, closes WebSockets with a
// close frame, drains NATS and flushes the store.
func (g *Gateway) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- g.http.Serve(g.listener) }()
	ictx, stop := context.WithCancel(context.Background())
	g.ingestStop, g.ingestDone = stop, make(chan error, 1)
	go func() { g.ingestDone <- g.ingest.Run(ictx) }()
	if g.proactive != nil {
		pctx, stop := context.WithCancel(context.Background())
		g.proactiveStop, g.proactiveDone = stop, make(chan error, 1)
		go func() { g.proactiveDone <- g.proactive.run(pctx) }()
	}
	g.log.Info("kairos is serving", "addr", g.Addr(), "demo", "http://"+displayAddr(g.Addr())+"/demo/")
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = g.Shutdown(context.Background())
			return fmt.Errorf("gateway: serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout.D())
	defer cancel()
	return g.Shutdown(sctx)
}

// Shutdown stops the node; it is safe to call more than once.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.closeOnce.Do(func() {
		g.log.Info("shutting down")
		var errs []error
		// The console's WebSockets are hijacked connections Shutdown does
		// not wait for: close them first.
		if g.console != nil {
			if err := g.console.Close(); err != nil {
				errs = append(errs, fmt.Errorf("console: %w", err))
			}
		}
		// Stop accepting: closes the listener; plain HTTP requests finish.
		// WebSockets are hijacked, so they stay open for turns in flight.
		if err := g.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
		errs = append(errs, g.closeParts(ctx))
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// closeParts closes whatever New opened, in dependency order.
func (g *Gateway) closeParts(ctx context.Context) error {
	var errs []error
	if g.ingestStop != nil {
		// Events still in the stream are consumed after the next start.
		g.ingestStop()
		if err := <-g.ingestDone; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("ingest: %w", err))
		}
	}
	if g.proactiveStop != nil {
		g.proactiveStop()
		if err := <-g.proactiveDone; err != nil {
			errs = append(errs, fmt.Errorf("proactive: %w", err))
		}
	}
	if g.outClose != nil {
		_ = g.outClose.Close()
	}
	if err := closePlatforms(g.platforms); err != nil {
		errs = append(errs, fmt.Errorf("channels: %w", err))
	}
	if g.engine != nil {
		if err := g.engine.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("engine: %w", err))
		}
	}
	if g.handoff != nil {
		// After the engine: its last turns may still open handoffs.
		g.handoff.Close()
	}
	if g.web != nil {
		if err := g.web.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("web: %w", err))
		}
	}
	if g.nc != nil {
		if err := g.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("nats drain: %w", err))
		}
		waitClosed(ctx, g.nc)
	}
	if g.natsSrv != nil {
		g.natsSrv.Shutdown()
	}
	if g.store != nil {
		if err := g.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: %w", err))
		}
	}
	return errors.Join(errs...)
}

func waitClosed(ctx context.Context, nc *nats.Conn) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return
		case <-t.C:
		}
	}
}

func (g *Gateway) connectNATS(ctx context.Context) error {
	name := "kairos-gateway"
	if g.cfg.NATSURL != "" {
		nc, err := nats.Connect(g.cfg.NATSURL, nats.Name(name), nats.MaxReconnects(-1),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					g.log.Warn("nats disconnected", "err", err)
				}
			}),
			nats.ReconnectHandler(func(c *nats.Conn) {
				g.log.Info("nats reconnected; connected clients catch up from the store", "url", c.ConnectedUrl())
				// Core NATS keeps nothing published while we were away.
				if g.relay != nil {
					g.relay.Dispatcher().ResyncAll()
				}
			}))
		if err != nil {
			return fmt.Errorf("gateway: connect to NATS at %s: %w", g.cfg.NATSURL, err)
		}
		g.nc = nc
		if v := nc.ConnectedServerVersion(); !g.cfg.Triggers.Disabled && !atLeast(v, 2, 12) {
			return fmt.Errorf("gateway: the NATS server at %s is version %s; the proactive engine needs 2.12 or newer "+
				"(scheduled messages, pinned consumers): upgrade it, or set triggers.disabled (KAIROS_TRIGGERS_DISABLED=true) "+
				"to run without proactive triggers", g.cfg.NATSURL, v)
		}
		return nil
	}
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{
		Dir:        dataPath(g.cfg, "nats"),
		ListenAddr: g.cfg.NATSListen,
		Logger:     g.log,
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.natsSrv = srv
	nc, err := srv.Connect(name)
	if err != nil {
		return fmt.Errorf("gateway: connect to embedded NATS: %w", err)
	}
	g.nc = nc
	return nil
}

// loopbackAddr is the address this node answers on for its own loopback
// calls (the console's API requests): an unspecified host becomes
// 127.0.0.1.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// atLeast reports whether the version "major.minor.patch" is at least
// major.minor.
func atLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" || strings.HasPrefix(host, "[::]") {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
