package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

const (
	// defaultLimit bounds Messages and LastMessages when the caller gives
	// no limit: a transcript read must never be unbounded.
	defaultLimit = 200
	// maxText bounds one message's text.
	maxText = 1 << 20
)

// checkText rejects what PostgreSQL cannot store in text columns, so both
// stores refuse the same input with ErrInvalid.
func checkText(s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("text is not valid UTF-8 or holds NUL: %w", memory.ErrInvalid)
	}
	return nil
}

func validateMessage(m memory.Message) error {
	switch {
	case m.ConversationID == "":
		return fmt.Errorf("empty conversation id: %w", memory.ErrInvalid)
	case !m.Role.Valid():
		return fmt.Errorf("unknown role %q: %w", m.Role, memory.ErrInvalid)
	case m.Text == "":
		return fmt.Errorf("empty text: %w", memory.ErrInvalid)
	case len(m.Text) > maxText:
		return fmt.Errorf("text of %d bytes exceeds %d: %w", len(m.Text), maxText, memory.ErrInvalid)
	case m.Seq < 0 || m.ReplyTo < 0:
		return fmt.Errorf("negative seq %d or reply_to %d: %w", m.Seq, m.ReplyTo, memory.ErrInvalid)
	}
	return checkText(m.ConversationID + m.Text + m.ClientID)
}

const msgColumns = "conversation_id, seq, role, text, client_id, reply_to, created_at"

func scanMessage(row pgx.Row) (memory.Message, error) {
	var m memory.Message
	err := row.Scan(&m.ConversationID, &m.Seq, &m.Role, &m.Text, &m.ClientID, &m.ReplyTo, &m.CreatedAt)
	m.CreatedAt = utc(m.CreatedAt)
	return m, err
}

// AppendMessage stores m. The conversation row is locked by the UPDATE that
// allocates or checks the sequence number, so appends to one conversation
// are serialized; a resend of a client id then meets the partial unique
// index, does nothing, and the stored message is read back.
func (s *Store) AppendMessage(ctx context.Context, m memory.Message) (memory.Message, bool, error) {
	if err := validateMessage(m); err != nil {
		return memory.Message{}, false, wrap("append message", err)
	}
	if m.ClientID != "" {
		if old, err := s.messageByClientID(ctx, m.ConversationID, m.ClientID); err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return old, false, wrap("append message", err)
		}
	}
	now := s.stamp()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
	inserted := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var last int64
		q := "UPDATE conversations SET updated_at = $2 WHERE id = $1 RETURNING last_seq"
		if m.Seq == 0 {
			q = "UPDATE conversations SET updated_at = $2, last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq"
		}
		err := tx.QueryRow(ctx, q, m.ConversationID, now).Scan(&last)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("conversation %q: %w", m.ConversationID, memory.ErrNotFound)
		}
		if err != nil {
			return err
		}
		switch {
		case m.Seq == 0:
			m.Seq = last
		case m.Seq > last:
			return fmt.Errorf("seq %d was never reserved (last %d): %w", m.Seq, last, memory.ErrInvalid)
		}
		tag, err := tx.Exec(ctx, "INSERT INTO messages ("+msgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (conversation_id, client_id) WHERE client_id <> '' DO NOTHING`,
			m.ConversationID, m.Seq, string(m.Role), m.Text, m.ClientID, m.ReplyTo, m.CreatedAt)
		if err != nil {
			if wrapped := wrap("", err); errors.Is(wrapped, memory.ErrConflict) {
				return fmt.Errorf("seq %d already used: %w", m.Seq, memory.ErrConflict)
			}
			return err
		}
		if inserted = tag.RowsAffected() == 1; !inserted {
			return errLost // a concurrent resend won; undo our seq
		}
		return nil
	})
	if inserted && err == nil {
		return m, true, nil
	}
	if !errors.Is(err, errLost) {
		return memory.Message{}, false, wrap("append message", err)
	}
	old, err := s.messageByClientID(ctx, m.ConversationID, m.ClientID)
	return old, false, wrap("append message", err)
}

func (s *Store) messageByClientID(ctx context.Context, conv, clientID string) (memory.Message, error) {
	return scanMessage(s.pool.QueryRow(ctx, "SELECT "+msgColumns+" FROM messages WHERE conversation_id = $1 AND client_id = $2", conv, clientID))
}

// Messages returns up to limit messages with Seq > afterSeq, oldest first.
func (s *Store) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]memory.Message, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	out, err := s.messages(ctx, conversationID, "SELECT "+msgColumns+` FROM messages
		WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, conversationID, afterSeq, limit)
	return out, wrap("messages", err)
}

// LastMessages returns the last n messages, oldest first.
func (s *Store) LastMessages(ctx context.Context, conversationID string, n int) ([]memory.Message, error) {
	if n <= 0 {
		n = defaultLimit
	}
	out, err := s.messages(ctx, conversationID, "SELECT "+msgColumns+` FROM (SELECT * FROM messages
		WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2) last ORDER BY seq`, conversationID, n)
	return out, wrap("last messages", err)
}

// messages runs a transcript query; an empty result costs one more query
// to tell an empty conversation from an unknown one.
func (s *Store) messages(ctx context.Context, conversationID, query string, args ...any) ([]memory.Message, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (memory.Message, error) { return scanMessage(r) })
	if err != nil || len(out) > 0 {
		return out, err
	}
	if _, err := s.Conversation(ctx, conversationID); err != nil {
		return nil, err
	}
	return nil, nil
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
