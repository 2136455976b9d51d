package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/bot"
	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/memory"
)

// openHandoff starts the node's handoff service (docs/handoff.md): the
// engine hands conversations over by its policy, agents work them through
// the NATS contract (docs/nats.md), and what they settle is remembered.
// summarizer (the LLM, or nil for the extractive summary) writes the
// summary agents read.
func openHandoff(ctx context.Context, cfg config.Handoff, nc *nats.Conn, store memory.Store, rel *relay.Relay, engine *bot.Engine, summarizer bot.HandoffSummarizer, logger *slog.Logger) (*handoff.Service, error) {
	pol := handoff.DefaultPolicy()
	pol.RiskThreshold = cfg.RiskThreshold
	pol.Unresolved = cfg.Unresolved
	pol.VIPTiers = cfg.VIPTiers
	hours, err := handoff.ParseHours(cfg.Hours, cfg.TimeZone, cfg.Holidays)
	if err != nil {
		return nil, fmt.Errorf("gateway: handoff.hours: %w", err)
	}
	svc, err := handoff.New(ctx, handoff.Config{
		Conn: nc, Store: store, Outbox: rel, Packager: engine, Remember: engine.RememberHandoff,
		Policy: &pol, Hours: hours, Replicas: cfg.Replicas, Logger: logger,
		Routing: handoff.Routing{Queues: cfg.Queues, DefaultQueue: "general", SLA: cfg.SLA.D(), MaxChats: cfg.MaxChats},
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: handoff: %w", err)
	}
	engine.SetHandoff(svc, summarizer)
	return svc, nil
}
