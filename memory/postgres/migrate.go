package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the pg_advisory_xact_lock key that serializes schema
// changes when many nodes start at once ("kairos" in ASCII).
const migrationLock int64 = 0x6b6169726f73

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. File names
// are <version>_<name>.sql.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version: %w", base, err)
		}
		data, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate brings the schema up to date in one transaction, then checks the
// stored embedding dimension against dim.
func migrate(ctx context.Context, conn *pgx.Conn, dim int) (applied []string, err error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	// The lock comes before everything, even CREATE EXTENSION: concurrent
	// creators of the extension would otherwise collide on its catalog row.
	steps := []string{
		fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLock),
		"CREATE EXTENSION IF NOT EXISTS vector",
		`CREATE TABLE IF NOT EXISTS kairos_schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`,
	}
	for _, q := range steps {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	done := map[int]bool{}
	rows, err := tx.Query(ctx, "SELECT version FROM kairos_schema_migrations")
	if err != nil {
		return nil, err
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		done[v] = true
	}
	for _, m := range all {
		if done[m.version] {
			continue
		}
		sql := strings.ReplaceAll(m.sql, "{{dim}}", strconv.Itoa(dim))
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO kairos_schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return nil, fmt.Errorf("record migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	var stored string
	if err := tx.QueryRow(ctx, "SELECT value FROM kairos_meta WHERE key = 'embedding_dim'").Scan(&stored); err != nil {
		return nil, fmt.Errorf("read embedding dimension: %w", err)
	}
	if stored != strconv.Itoa(dim) {
		return nil, fmt.Errorf("store was created with %s-dimensional embeddings, configured %d: re-create or re-ingest: %w", stored, dim, memory.ErrInvalid)
	}
	return applied, tx.Commit(ctx)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
