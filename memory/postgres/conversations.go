package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kairoscx/kairos/memory"
)

// customerSQL finds or creates a customer in one round trip. On first sight
// the customer and identity rows go in together; a concurrent first sighting
// of the same identity makes the loser's statement fail on the identity's
// primary key, which rolls back its customer row too, so no orphan is left.
const customerSQL = `WITH found AS (
		SELECT c.id, c.created_at FROM identities i JOIN customers c ON c.id = i.customer_id
		WHERE i.kind = $1 AND i.value = $2),
	newc AS (
		INSERT INTO customers (id, created_at) SELECT $3, $4 WHERE NOT EXISTS (SELECT 1 FROM found)
		RETURNING id, created_at),
	newi AS (
		INSERT INTO identities (kind, value, customer_id) SELECT $1, $2, id FROM newc)
	SELECT id, created_at, false FROM found
	UNION ALL SELECT id, created_at, true FROM newc`

// CustomerByIdentity returns the customer known by id, creating both on
// first sight, in one statement; only the loser of a first-sighting race
// runs it a second time, and then finds the winner's customer.
func (s *Store) CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error) {
	if id.Kind == "" || id.Value == "" {
		return memory.Customer{}, false, fmt.Errorf("postgres: customer by identity %q/%q: empty kind or value: %w", id.Kind, id.Value, memory.ErrInvalid)
	}
	if err := memory.CheckText(id.Kind + id.Value); err != nil {
		return memory.Customer{}, false, wrap("customer by identity", err)
	}
	var err error
	for range 3 {
		var c memory.Customer
		var created bool
		err = s.pool.QueryRow(ctx, customerSQL, id.Kind, id.Value, memory.NewID("cus_"), s.stamp()).Scan(&c.ID, &c.CreatedAt, &created)
		if err == nil {
			c.CreatedAt = utc(c.CreatedAt)
			return c, created, nil
		}
		if !isUniqueViolation(err) {
			break
		}
	}
	return memory.Customer{}, false, wrap("customer by identity", err)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

const convColumns = "id, customer_id, channel, created_at, updated_at, last_seq, acked_seq"

func scanConv(row pgx.Row) (memory.Conversation, error) {
	var c memory.Conversation
	err := row.Scan(&c.ID, &c.CustomerID, &c.Channel, &c.CreatedAt, &c.UpdatedAt, &c.LastSeq, &c.AckedSeq)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c, err
}

// $1 may be a merged customer's id; it stands for its survivor.
const latestConvSQL = "SELECT " + convColumns + ` FROM conversations
	WHERE customer_id = (SELECT coalesce(merged_into, id) FROM customers WHERE id = $1) AND channel = $2
	ORDER BY created_at DESC, id DESC LIMIT 1`

// startConvSQL inserts a conversation unless the customer's latest one on
// the channel was updated at or after $5. It runs after the customer row is
// locked, in a statement of its own, so its snapshot sees a conversation a
// concurrent caller started while this one waited for the lock.
const startConvSQL = `INSERT INTO conversations (id, customer_id, channel, created_at, updated_at)
	SELECT $3, c.id, $2, $4, $4 FROM customers c WHERE c.id = (SELECT coalesce(merged_into, id) FROM customers WHERE id = $1) AND NOT EXISTS (
		SELECT 1 FROM (SELECT updated_at FROM conversations WHERE customer_id = c.id AND channel = $2
			ORDER BY created_at DESC, id DESC LIMIT 1) latest WHERE latest.updated_at >= $5)
	RETURNING ` + convColumns

// CurrentConversation returns the customer's latest conversation on channel
// unless it went idle before idleSince. The common case, a live
// conversation, is one read-only query. Otherwise one pipelined transaction
// locks the customer row, so concurrent first calls agree on one
// conversation, and starts one if it is still needed.
func (s *Store) CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (memory.Conversation, error) {
	if channel == "" {
		return memory.Conversation{}, fmt.Errorf("postgres: current conversation: empty channel: %w", memory.ErrInvalid)
	}
	if err := memory.CheckText(channel + customerID); err != nil {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	conv, err := scanConv(s.pool.QueryRow(ctx, latestConvSQL, customerID, channel))
	if err == nil && !conv.UpdatedAt.Before(idleSince) {
		return conv, nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	var (
		customer, started, latest bool
		fresh, current            memory.Conversation
	)
	now := s.stamp()
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue("SELECT 1 FROM customers WHERE id = $1 FOR NO KEY UPDATE", customerID).QueryRow(func(row pgx.Row) error {
		return noRows(row.Scan(new(int)), &customer)
	})
	batch.Queue(startConvSQL, customerID, channel, memory.NewID("conv_"), now, idleSince).QueryRow(func(row pgx.Row) error {
		var err error
		fresh, err = scanConv(row)
		return noRows(err, &started)
	})
	batch.Queue(latestConvSQL, customerID, channel).QueryRow(func(row pgx.Row) error {
		var err error
		current, err = scanConv(row)
		return noRows(err, &latest)
	})
	batch.Queue("COMMIT")
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	switch {
	case !customer:
		return memory.Conversation{}, fmt.Errorf("postgres: current conversation: customer %q: %w", customerID, memory.ErrNotFound)
	case started:
		return fresh, nil
	case latest:
		return current, nil
	}
	return memory.Conversation{}, fmt.Errorf("postgres: current conversation for %s: neither started nor found one", customerID)
}

// noRows sets *found to whether a row was scanned, treating no row as no
// error.
func noRows(err error, found *bool) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	*found = err == nil
	return err
}

// Conversation returns one conversation, or ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (memory.Conversation, error) {
	c, err := scanConv(s.pool.QueryRow(ctx, "SELECT "+convColumns+" FROM conversations WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Conversation{}, fmt.Errorf("postgres: conversation %q: %w", id, memory.ErrNotFound)
	}
	return c, wrap("conversation", err)
}

// ReserveSeq hands out the next sequence number; the row lock taken by the
// UPDATE makes allocation atomic.
func (s *Store) ReserveSeq(ctx context.Context, conversationID string) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq", conversationID).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: reserve seq: conversation %q: %w", conversationID, memory.ErrNotFound)
	}
	return seq, wrap("reserve seq", err)
}

// Ack moves the acknowledged sequence number forward, never back, in one
// statement. An ack that does not move it writes nothing, so a repeated
// ack costs no WAL flush.
func (s *Store) Ack(ctx context.Context, conversationID string, seq int64) error {
	if seq < 0 {
		return fmt.Errorf("postgres: ack %s: negative seq %d: %w", conversationID, seq, memory.ErrInvalid)
	}
	var last int64
	err := s.pool.QueryRow(ctx, `WITH c AS (SELECT last_seq FROM conversations WHERE id = $1),
		u AS (UPDATE conversations SET acked_seq = $2 WHERE id = $1 AND acked_seq < $2 AND $2 <= last_seq)
		SELECT last_seq FROM c`, conversationID, seq).Scan(&last)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: ack: conversation %q: %w", conversationID, memory.ErrNotFound)
	case err != nil:
		return wrap("ack", err)
	case seq > last:
		return fmt.Errorf("postgres: ack %s: seq %d beyond last %d: %w", conversationID, seq, last, memory.ErrInvalid)
	}
	return nil
}
