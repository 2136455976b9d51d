package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

// CustomerByIdentity returns the customer known by id, creating both on
// first sight. Concurrent first sightings race on the identity's primary
// key; the loser rolls back its customer and reads the winner's.
func (s *Store) CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error) {
	if id.Kind == "" || id.Value == "" {
		return memory.Customer{}, false, fmt.Errorf("postgres: customer by identity %q/%q: empty kind or value: %w", id.Kind, id.Value, memory.ErrInvalid)
	}
	if err := checkText(id.Kind + id.Value); err != nil {
		return memory.Customer{}, false, wrap("customer by identity", err)
	}
	c, err := s.lookupCustomer(ctx, id)
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return c, false, wrap("customer by identity", err)
	}
	c = memory.Customer{ID: memory.NewID("cus_"), CreatedAt: s.stamp()}
	won := false
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO customers (id, created_at) VALUES ($1, $2)", c.ID, c.CreatedAt); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO identities (kind, value, customer_id) VALUES ($1, $2, $3) ON CONFLICT (kind, value) DO NOTHING", id.Kind, id.Value, c.ID)
		if err != nil {
			return err
		}
		if won = tag.RowsAffected() == 1; !won {
			return errLost
		}
		return nil
	})
	if won {
		return c, true, wrap("customer by identity", err)
	}
	if err != nil && !errors.Is(err, errLost) {
		return memory.Customer{}, false, wrap("customer by identity", err)
	}
	c, err = s.lookupCustomer(ctx, id)
	return c, false, wrap("customer by identity", err)
}

// errLost rolls back a transaction that lost an insert race.
var errLost = errors.New("lost the race")

func (s *Store) lookupCustomer(ctx context.Context, id memory.Identity) (memory.Customer, error) {
	var c memory.Customer
	err := s.pool.QueryRow(ctx, `SELECT c.id, c.created_at FROM identities i JOIN customers c ON c.id = i.customer_id
		WHERE i.kind = $1 AND i.value = $2`, id.Kind, id.Value).Scan(&c.ID, &c.CreatedAt)
	c.CreatedAt = utc(c.CreatedAt)
	return c, err
}

const convColumns = "id, customer_id, channel, created_at, updated_at, last_seq, acked_seq"

func scanConv(row pgx.Row) (memory.Conversation, error) {
	var c memory.Conversation
	err := row.Scan(&c.ID, &c.CustomerID, &c.Channel, &c.CreatedAt, &c.UpdatedAt, &c.LastSeq, &c.AckedSeq)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c, err
}

// CurrentConversation returns the customer's latest conversation on channel
// unless it went idle before idleSince. Locking the customer row makes
// concurrent first calls agree on one conversation.
func (s *Store) CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (memory.Conversation, error) {
	if channel == "" {
		return memory.Conversation{}, fmt.Errorf("postgres: current conversation: empty channel: %w", memory.ErrInvalid)
	}
	if err := checkText(channel); err != nil {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	var conv memory.Conversation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM customers WHERE id = $1 FOR NO KEY UPDATE", customerID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("customer %q: %w", customerID, memory.ErrNotFound)
		}
		if err != nil {
			return err
		}
		conv, err = scanConv(tx.QueryRow(ctx, "SELECT "+convColumns+` FROM conversations
			WHERE customer_id = $1 AND channel = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, customerID, channel))
		if err == nil && !conv.UpdatedAt.Before(idleSince) {
			return nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		now := s.stamp()
		conv = memory.Conversation{ID: memory.NewID("conv_"), CustomerID: customerID, Channel: channel, CreatedAt: now, UpdatedAt: now}
		_, err = tx.Exec(ctx, "INSERT INTO conversations (id, customer_id, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
			conv.ID, customerID, channel, now)
		return err
	})
	if err != nil {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	return conv, nil
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

// Ack moves the acknowledged sequence number forward, never back.
func (s *Store) Ack(ctx context.Context, conversationID string, seq int64) error {
	if seq < 0 {
		return fmt.Errorf("postgres: ack %s: negative seq %d: %w", conversationID, seq, memory.ErrInvalid)
	}
	var last int64
	var ok bool
	err := s.pool.QueryRow(ctx, `WITH c AS (SELECT last_seq FROM conversations WHERE id = $1),
		u AS (UPDATE conversations SET acked_seq = GREATEST(acked_seq, $2) WHERE id = $1 AND $2 <= last_seq RETURNING 1)
		SELECT c.last_seq, EXISTS (SELECT 1 FROM u) FROM c`, conversationID, seq).Scan(&last, &ok)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: ack: conversation %q: %w", conversationID, memory.ErrNotFound)
	case err != nil:
		return wrap("ack", err)
	case !ok:
		return fmt.Errorf("postgres: ack %s: seq %d beyond last %d: %w", conversationID, seq, last, memory.ErrInvalid)
	}
	return nil
}
