package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kairoscx/kairos/memory"
)

const (
	// defaultLimit bounds Messages and LastMessages when the caller gives
	// no limit: a transcript read must never be unbounded.
	defaultLimit = 200
)

const msgColumns = "conversation_id, seq, role, text, client_id, reply_to, created_at"

func scanMessage(row pgx.Row) (memory.Message, error) {
	var m memory.Message
	err := row.Scan(&m.ConversationID, &m.Seq, &m.Role, &m.Text, &m.ClientID, &m.ReplyTo, &m.CreatedAt)
	m.CreatedAt = utc(m.CreatedAt)
	return m, err
}

// appendSQL stores a message in one autocommitted statement, one round
// trip. The UPDATE allocates (or, for a reserved $2, checks) the sequence
// number and locks the conversation row, so appends to one conversation are
// serialized. It matches no row, and so nothing is written, when the
// conversation is unknown, when $2 was never reserved, or when the client id
// is already stored: the common resend leaves LastSeq alone. Two resends
// racing past that check meet the partial unique index instead; the loser
// inserts nothing, but its sequence number stays spent (a gap, which the
// contract allows). A reserved $2 that is already used fails on the primary
// key with unique_violation.
const appendSQL = `WITH c AS (
		UPDATE conversations SET updated_at = $8,
			last_seq = CASE WHEN $2::bigint = 0 THEN last_seq + 1 ELSE last_seq END
		WHERE id = $1 AND ($2::bigint = 0 OR $2::bigint <= last_seq)
			AND ($5::text = '' OR NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND client_id = $5::text))
		RETURNING last_seq)
	INSERT INTO messages (` + msgColumns + `)
	SELECT $1, CASE WHEN $2::bigint = 0 THEN c.last_seq ELSE $2::bigint END, $3, $4, $5::text, $6, $7 FROM c
	ON CONFLICT (conversation_id, client_id) WHERE client_id <> '' DO NOTHING
	RETURNING seq`

// appendMissSQL tells why appendSQL inserted nothing: no row means no such
// conversation; a message means the client id was already stored.
const appendMissSQL = `SELECT c.last_seq, m.seq, m.role, m.text, m.reply_to, m.created_at
	FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_id = $2 AND $2 <> ''
	WHERE c.id = $1`

// AppendMessage stores m in one round trip; only when nothing was inserted
// does a second query tell a resend from an unknown conversation or an
// unreserved sequence number.
func (s *Store) AppendMessage(ctx context.Context, m memory.Message) (memory.Message, bool, error) {
	if err := memory.ValidateMessage(m); err != nil {
		return memory.Message{}, false, wrap("append message", err)
	}
	now := s.stamp()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
	// A miss whose cause has gone by the time it is examined (a sequence
	// number reserved in between) is tried again; twice is plenty.
	for range 3 {
		var seq int64
		err := s.pool.QueryRow(ctx, appendSQL, m.ConversationID, m.Seq, string(m.Role), m.Text, m.ClientID, m.ReplyTo, m.CreatedAt, now).Scan(&seq)
		if err == nil {
			m.Seq = seq
			return m, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			if wrapped := wrap("", err); errors.Is(wrapped, memory.ErrConflict) {
				return memory.Message{}, false, fmt.Errorf("postgres: append message: seq %d already used: %w", m.Seq, memory.ErrConflict)
			}
			return memory.Message{}, false, wrap("append message", err)
		}
		old, found, err := s.appendMiss(ctx, m)
		if err != nil || found {
			return old, false, err
		}
	}
	return memory.Message{}, false, fmt.Errorf("postgres: append message to %s: kept missing without a cause", m.ConversationID)
}

// appendMiss explains an append that inserted nothing: the stored message
// of a resend (found), ErrNotFound, ErrInvalid, or neither, when the append
// should be tried again.
func (s *Store) appendMiss(ctx context.Context, m memory.Message) (memory.Message, bool, error) {
	var last int64
	var seq, replyTo pgtype.Int8
	var role, text pgtype.Text
	var created pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, appendMissSQL, m.ConversationID, m.ClientID).Scan(&last, &seq, &role, &text, &replyTo, &created)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return memory.Message{}, false, fmt.Errorf("postgres: append message: conversation %q: %w", m.ConversationID, memory.ErrNotFound)
	case err != nil:
		return memory.Message{}, false, wrap("append message", err)
	case seq.Valid:
		return memory.Message{ConversationID: m.ConversationID, Seq: seq.Int64, Role: memory.Role(role.String), Text: text.String,
			ClientID: m.ClientID, ReplyTo: replyTo.Int64, CreatedAt: utc(created.Time)}, true, nil
	case m.Seq > last:
		return memory.Message{}, false, fmt.Errorf("postgres: append message: seq %d was never reserved (last %d): %w", m.Seq, last, memory.ErrInvalid)
	}
	return memory.Message{}, false, nil
}

// Messages returns up to limit messages with Seq > afterSeq, oldest first.
func (s *Store) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]memory.Message, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	out, err := s.messages(ctx, conversationID, `SELECT m.seq, m.role, m.text, m.client_id, m.reply_to, m.created_at
		FROM conversations c LEFT JOIN LATERAL (SELECT * FROM messages
			WHERE conversation_id = c.id AND seq > $2 ORDER BY seq LIMIT $3) m ON true
		WHERE c.id = $1 ORDER BY m.seq`, conversationID, afterSeq, limit)
	return out, wrap("messages", err)
}

// LastMessages returns the last n messages, oldest first.
func (s *Store) LastMessages(ctx context.Context, conversationID string, n int) ([]memory.Message, error) {
	if n <= 0 {
		n = defaultLimit
	}
	out, err := s.messages(ctx, conversationID, `SELECT m.seq, m.role, m.text, m.client_id, m.reply_to, m.created_at
		FROM conversations c LEFT JOIN LATERAL (SELECT * FROM messages
			WHERE conversation_id = c.id ORDER BY seq DESC LIMIT $2) m ON true
		WHERE c.id = $1 ORDER BY m.seq`, conversationID, n)
	return out, wrap("last messages", err)
}

// messages runs a transcript query that joins the conversation to its
// messages, so one round trip tells an unknown conversation (no row) from an
// empty one (one row of NULLs).
func (s *Store) messages(ctx context.Context, conversationID, query string, args ...any) ([]memory.Message, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []memory.Message
	found := false
	for rows.Next() {
		found = true
		var seq, replyTo pgtype.Int8
		var role, text, clientID pgtype.Text
		var created pgtype.Timestamptz
		if err := rows.Scan(&seq, &role, &text, &clientID, &replyTo, &created); err != nil {
			rows.Close()
			return nil, err
		}
		if !seq.Valid {
			continue // the conversation has no messages in range
		}
		out = append(out, memory.Message{ConversationID: conversationID, Seq: seq.Int64, Role: memory.Role(role.String), Text: text.String,
			ClientID: clientID.String, ReplyTo: replyTo.Int64, CreatedAt: utc(created.Time)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("conversation %q: %w", conversationID, memory.ErrNotFound)
	}
	return out, nil
}

// ReplyTo returns the earliest bot or agent message answering seq.
func (s *Store) ReplyTo(ctx context.Context, conversationID string, seq int64) (memory.Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, "SELECT "+msgColumns+` FROM messages
		WHERE conversation_id = $1 AND reply_to = $2 AND reply_to > 0 AND role IN ('bot', 'agent') ORDER BY seq LIMIT 1`, conversationID, seq))
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Message{}, fmt.Errorf("postgres: reply to %s/%d: %w", conversationID, seq, memory.ErrNotFound)
	}
	return m, wrap("reply to", err)
}
