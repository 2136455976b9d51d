// Package postgres is the production memory.Store: PostgreSQL with pgvector,
// an HNSW index for vector search and a GIN-indexed tsvector for keyword
// search. The schema is embedded and migrated at Open.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/kairoscx/kairos/memory"
)

// maxHNSWDim is the largest dimension pgvector can index with HNSW for the
// vector type.
const maxHNSWDim = 2000

// Options configure Open.
type Options struct {
	// URL is a PostgreSQL connection string (URL or key=value form).
	// Unknown URL parameters such as search_path are sent as run-time
	// parameters.
	URL string
	// Dim is the embedding dimension, fixed when the schema is created.
	Dim int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational messages; slog.Default when nil.
	Logger *slog.Logger
	// EFSearch is HNSW's candidate list size per vector search (at most
	// 1000; a search for k results uses at least k). Zero means
	// defaultEFSearch. Higher buys recall with time.
	EFSearch int
	// ProfileCache is how many decoded profiles UpdateProfiles keeps to
	// skip reading and decoding rows it wrote last (see profileCache);
	// zero means DefaultProfileCache, negative turns it off.
	ProfileCache int
}

// Store is the PostgreSQL memory.Store.
type Store struct {
	pool   *pgxpool.Pool
	dim    int
	ef     int
	now    func() time.Time
	log    *slog.Logger
	closed sync.Once
	// profiles keeps the profiles this store wrote last.
	profiles *profileCache
}

var _ memory.Store = (*Store)(nil)

// Open migrates the schema (safely when many nodes start together) and
// connects a pool.
func Open(ctx context.Context, o Options) (*Store, error) {
	return open(ctx, o, nil)
}

// open is Open with a hook that adjusts the pool's configuration, so tests
// can trace the queries a call makes.
func open(ctx context.Context, o Options, configure func(*pgxpool.Config)) (*Store, error) {
	if o.Dim <= 0 || o.Dim > maxHNSWDim {
		return nil, fmt.Errorf("postgres: open: embedding dimension %d outside 1..%d: %w", o.Dim, maxHNSWDim, memory.ErrInvalid)
	}
	if o.EFSearch < 0 || o.EFSearch > 1000 {
		return nil, fmt.Errorf("postgres: open: ef_search %d outside 0..1000: %w", o.EFSearch, memory.ErrInvalid)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger.With("store", "postgres")
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: parse url: %w", err)
	}
	// Migrate on a plain connection first: the pool registers the vector
	// type on connect, which needs the extension to exist.
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("postgres: open: connect: %w", err)
	}
	applied, err := migrate(ctx, conn, o.Dim)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("postgres: open: migrate: %w", err)
	}
	for _, name := range applied {
		log.Info("migration applied", "name", name)
	}
	ef := o.EFSearch
	if ef == 0 {
		ef = defaultEFSearch
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if err := pgxvec.RegisterTypes(ctx, c); err != nil {
			return err
		}
		// ef_search is set once per connection, so a search with k <= ef
		// is one plain query rather than a transaction that sets it
		// locally.
		// JIT is off: every query here is short, and a cost estimate
		// inflated by a table not yet analysed (right after ingestion)
		// would otherwise spend 100+ ms compiling a 5 ms keyword search.
		_, err := c.Exec(ctx, "SELECT set_config('hnsw.ef_search', $1, false), set_config('jit', 'off', false)", strconv.Itoa(ef))
		return err
	}
	tunePool(cfg)
	if configure != nil {
		configure(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: pool: %w", err)
	}
	cache := o.ProfileCache
	if cache == 0 {
		cache = DefaultProfileCache
	}
	return &Store{pool: pool, dim: o.Dim, ef: ef, now: o.Now, log: log, profiles: newProfileCache(cache)}, nil
}

// tunePool keeps the turn path at one round trip per call. pgxpool by
// default pings a connection idle for more than a second before handing it
// out, an extra round trip on nearly every call of a quiet node; broken
// connections are found by the pool's periodic health check and by the
// failing call instead. It also keeps two connections open (unless the URL
// says pool_min_conns), so the first turns after a quiet spell do not pay
// for TCP and authentication.
func tunePool(cfg *pgxpool.Config) {
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		return p.IdleDuration > time.Minute
	}
	if cfg.MinConns == 0 {
		cfg.MinConns = min(2, cfg.MaxConns)
	}
}

// Ping checks that a connection can be acquired and used.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for acquired connections to be released.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closed.Do(s.pool.Close)
	return nil
}

// stamp returns the current time as PostgreSQL will store it.
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wrap adds the operation to err and maps PostgreSQL error codes onto the
// memory error kinds.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, memory.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, memory.ErrNotFound, err)
		case "22P02", "22021", "54000": // invalid text, bad encoding, too long
			return fmt.Errorf("postgres: %s: %w: %w", op, memory.ErrInvalid, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

func utc(t time.Time) time.Time { return t.UTC() }
