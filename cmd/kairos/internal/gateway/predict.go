package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/knowledge"
	"github.com/kairoscx/kairos/memory"
)

// openPrediction loads the churn model (the trained one in
// <data>/models/churn.json when present, else the default weights) and the
// next-best-action bandit, whose arms live in a JetStream key-value bucket
// shared by every node. NextBest is nil when offers are disabled.
func openPrediction(ctx context.Context, cfg config.Config, js jetstream.JetStream, store memory.Store, logger *slog.Logger) (*churn.Model, bot.NextBest, error) {
	model, trained, err := churn.LoadOrDefault(cfg.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: churn model: %w", err)
	}
	logger.Info("churn model", "trained", trained)
	if cfg.Offers.Disabled {
		return model, nil, nil
	}
	state, err := nba.OpenKVState(ctx, js, nba.DefaultBucket)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: next best action state: %w", err)
	}
	bandit, err := nba.New(nba.Options{State: state, Events: store, Logger: logger, Policy: nba.Policy{
		AllowCouponWhenAngry: cfg.Offers.AllowCouponWhenAngry,
		NoCoupons:            cfg.Offers.NoCoupons,
		NoInstalments:        cfg.Offers.NoInstalments,
		MaxExploreShare:      cfg.Offers.MaxExploreShare,
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: next best action: %w", err)
	}
	return model, bandit, nil
}

// searchPassages is the LLM's search_knowledge tool: the knowledge base's
// hybrid search as reasoner passages.
func searchPassages(ctx context.Context, kb *knowledge.Base, query string) ([]reason.Passage, error) {
	hits, err := kb.Search(ctx, query, 5)
	if err != nil {
		return nil, err
	}
	ps := make([]reason.Passage, 0, len(hits))
	for _, h := range hits {
		ps = append(ps, reason.Passage{Title: h.Title, Heading: h.Heading, Text: h.Text, Lang: h.Lang, Score: h.Score, Relevant: h.Relevant})
	}
	return ps, nil
}
