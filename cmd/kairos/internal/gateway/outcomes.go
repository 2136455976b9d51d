package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/outcomes/pgscan"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/memory"
)

// openOutcomes builds the outcome figures' admin API (docs/metrics.md),
// which the console's insights dashboard reads. With PostgreSQL the figures
// are read in bulk (pgscan); with the embedded store customer by customer.
// The returned closer releases the bulk reader.
func openOutcomes(ctx context.Context, cfg config.Config, store memory.Store, js jetstream.JetStream,
	model *churn.Model, pro *proactiveParts, logger *slog.Logger) (http.Handler, io.Closer, error) {
	base := outcomes.Sources{Churn: model, Handoffs: outcomes.HandoffLog{JS: js}}
	var closer io.Closer = nopCloser{}
	if cfg.PostgresURL != "" {
		sc, err := pgscan.Open(ctx, cfg.PostgresURL)
		if err != nil {
			return nil, nil, err
		}
		base.Events, base.Profiles = sc, sc
		closer = closerFunc(func() error { sc.Close(); return nil })
	}
	sources := func() outcomes.Sources {
		src := base
		if pro != nil {
			src.Firings = pro.state
			for _, t := range pro.engine.Matrix().Triggers() {
				src.Triggers = append(src.Triggers, t.Spec)
			}
		}
		if src.Events == nil {
			lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ids, err := store.CustomerIDs(lctx)
			if err != nil {
				logger.Warn("outcomes: list customers", "err", err)
			}
			sc := outcomes.StoreScanner{Store: store, Customers: ids}
			src.Events, src.Profiles = sc, sc
		}
		return src
	}
	return outcomes.NewHandler(sources), closer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
