// Package pgtest gives each test its own empty PostgreSQL schema, so tests
// of the PostgreSQL store run in parallel against one real server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the server to test against.
const EnvURL = "KAIROS_TEST_POSTGRES_URL"

// DefaultURL is used when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// extensionLock serializes CREATE EXTENSION across test processes.
const extensionLock int64 = 0x6b6169726f7374

// URL returns a connection URL whose search_path is a fresh schema (then
// public, where the vector extension lives). The schema is dropped when the
// test ends. Without a reachable server with pgvector the test is skipped,
// unless CI=true, where it fails: CI must never skip silently.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "connect to %s: %v", redact(base), err)
	}
	defer conn.Close(context.Background())
	if err := ensureVector(ctx, conn); err != nil {
		unavailable(t, "install the vector extension on %s: %v (see deploy/install-pgvector.sh)", redact(base), err)
	}
	schema := "t_" + random()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// ensureVector installs pgvector into public once, so every test schema
// sees the same type and a dropped test schema never takes it along.
func ensureVector(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", extensionLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public"); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: PostgreSQL with pgvector is required when CI=true: "+format, args...)
	}
	t.Skipf("pgtest: skipping, PostgreSQL with pgvector unavailable (set "+EnvURL+"): "+format, args...)
}

func random() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the configured server"
	}
	return u.Redacted()
}
