package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/knowledge"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/postgres"
)

// Store is a memory.Store; the alias keeps callers of OpenStore free of the
// memory import when all they do is pass it on.
type Store = memory.Store

// OpenStore opens the store the settings name: PostgreSQL when postgres_url
// is set, else the embedded store in the data directory. Subcommands that
// work on the store (kb ingest, ...) open it through here so they see
// exactly what serve sees.
func OpenStore(ctx context.Context, cfg config.Config, dim int, logger *slog.Logger) (Store, error) {
	if cfg.PostgresURL != "" {
		s, err := postgres.Open(ctx, postgres.Options{URL: cfg.PostgresURL, Dim: dim, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("gateway: open PostgreSQL store: %w", err)
		}
		return s, nil
	}
	s, err := embedded.Open(ctx, embedded.Options{Dir: cfg.Data, Dim: dim, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("gateway: open embedded store in %s: %w", cfg.Data, err)
	}
	return s, nil
}

// OpenEmbedder returns the embedder the settings name.
func OpenEmbedder(cfg config.Config) (knowledge.Embedder, error) { return openEmbedder(cfg) }

func openEmbedder(cfg config.Config) (knowledge.Embedder, error) {
	e, remote := cfg.EmbeddingsRemote()
	if !remote {
		return embed.NewOffline(cfg.Embeddings.Dim), nil
	}
	if e.Model == "" {
		return nil, errors.New("gateway: embeddings.model is required with embeddings.base_url")
	}
	return embed.NewOpenAI(embed.OpenAIConfig{BaseURL: e.BaseURL, APIKey: e.APIKey, Model: e.Model, Dim: e.Dim}), nil
}

func dataPath(cfg config.Config, name string) string { return filepath.Join(cfg.Data, name) }

// loadSecret returns the visitor-token key: the configured one, or one kept
// in <data>/secret, generated on first start. Tokens must survive restarts,
// so a generated key is written before it is used.
func loadSecret(cfg config.Config) ([]byte, error) {
	if cfg.Secret != "" {
		return []byte(cfg.Secret), nil
	}
	path := dataPath(cfg, "secret")
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("gateway: %s holds a secret shorter than 32 characters", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("gateway: read secret: %w", err)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("gateway: create data directory: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process wrote it first; use theirs.
		return loadSecret(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: write secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("gateway: write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("gateway: write secret: %w", err)
	}
	return []byte(s), nil
}
