package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

const (
	// defaultLimit bounds Messages and LastMessages when the caller gives
	// no limit: a transcript read must never be unbounded.
	defaultLimit = 200
)

type messageRec struct {
	Role      memory.Role `json:"role"`
	Text      string      `json:"text"`
	ClientID  string      `json:"client_id,omitempty"`
	ReplyTo   int64       `json:"reply_to,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

func (r messageRec) message(conv string, seq int64) memory.Message {
	return memory.Message{ConversationID: conv, Seq: seq, Role: r.Role, Text: r.Text, ClientID: r.ClientID, ReplyTo: r.ReplyTo, CreatedAt: r.CreatedAt}
}

// Keys: messages are convID NUL seq(8, big endian), so a cursor walks a
// transcript in order; client ids are convID NUL clientID → seq; replies are
// convID NUL replyTo(8) seq(8), so the earliest answer sorts first.
func convPrefix(conv string) []byte { return []byte(conv + "\x00") }

func messageKey(conv string, seq int64) []byte {
	return binary.BigEndian.AppendUint64(convPrefix(conv), uint64(seq))
}

func clientKey(conv, clientID string) []byte { return append(convPrefix(conv), clientID...) }

func replyKey(conv string, replyTo, seq int64) []byte {
	return binary.BigEndian.AppendUint64(messageKey(conv, replyTo), uint64(seq))
}

// AppendMessage stores m under its reserved or the next sequence number.
// The whole check-and-write runs in one bbolt write transaction, which
// bbolt serializes, so client-id idempotency holds under concurrency.
func (s *Store) AppendMessage(ctx context.Context, m memory.Message) (memory.Message, bool, error) {
	if err := memory.ValidateMessage(m); err != nil {
		return memory.Message{}, false, wrap("append message", err)
	}
	var stored memory.Message
	created := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		conv, err := loadConv(tx, m.ConversationID)
		if err != nil {
			return err
		}
		if m.ClientID != "" {
			if seq := tx.Bucket(bClientIDs).Get(clientKey(m.ConversationID, m.ClientID)); seq != nil {
				stored, err = loadMessage(tx, m.ConversationID, int64(binary.BigEndian.Uint64(seq)))
				return err
			}
		}
		msgs := tx.Bucket(bMessages)
		switch {
		case m.Seq == 0:
			conv.LastSeq++
			m.Seq = conv.LastSeq
		case m.Seq > conv.LastSeq:
			return fmt.Errorf("seq %d was never reserved (last %d): %w", m.Seq, conv.LastSeq, memory.ErrInvalid)
		case msgs.Get(messageKey(m.ConversationID, m.Seq)) != nil:
			return fmt.Errorf("seq %d already used: %w", m.Seq, memory.ErrConflict)
		}
		now := s.stamp()
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
		rec := messageRec{Role: m.Role, Text: m.Text, ClientID: m.ClientID, ReplyTo: m.ReplyTo, CreatedAt: m.CreatedAt}
		if err := put(msgs, messageKey(m.ConversationID, m.Seq), rec); err != nil {
			return err
		}
		if m.ClientID != "" {
			if err := tx.Bucket(bClientIDs).Put(clientKey(m.ConversationID, m.ClientID), binary.BigEndian.AppendUint64(nil, uint64(m.Seq))); err != nil {
				return err
			}
		}
		if m.ReplyTo > 0 && (m.Role == memory.RoleBot || m.Role == memory.RoleAgent) {
			if err := tx.Bucket(bReplies).Put(replyKey(m.ConversationID, m.ReplyTo, m.Seq), nil); err != nil {
				return err
			}
		}
		conv.UpdatedAt = now
		stored, created = rec.message(m.ConversationID, m.Seq), true
		return put(tx.Bucket(bConvs), []byte(m.ConversationID), conv)
	})
	if err != nil {
		return memory.Message{}, false, wrap("append message", err)
	}
	return stored, created, nil
}

func loadMessage(tx *bolt.Tx, conv string, seq int64) (memory.Message, error) {
	var rec messageRec
	ok, err := get(tx.Bucket(bMessages), messageKey(conv, seq), &rec)
	if err != nil {
		return memory.Message{}, fmt.Errorf("message %s/%d: %w", conv, seq, err)
	}
	if !ok {
		return memory.Message{}, fmt.Errorf("message %s/%d: %w", conv, seq, memory.ErrNotFound)
	}
	return rec.message(conv, seq), nil
}

// Messages returns up to limit messages with Seq > afterSeq, oldest first.
func (s *Store) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]memory.Message, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	var out []memory.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := loadConv(tx, conversationID); err != nil {
			return err
		}
		prefix := convPrefix(conversationID)
		c := tx.Bucket(bMessages).Cursor()
		for k, v := c.Seek(messageKey(conversationID, max(afterSeq+1, 0))); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			m, err := decodeMessage(conversationID, prefix, k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("messages", err)
	}
	return out, nil
}

// LastMessages returns the last n messages, oldest first.
func (s *Store) LastMessages(ctx context.Context, conversationID string, n int) ([]memory.Message, error) {
	if n <= 0 {
		n = defaultLimit
	}
	var out []memory.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := loadConv(tx, conversationID); err != nil {
			return err
		}
		prefix := convPrefix(conversationID)
		c := tx.Bucket(bMessages).Cursor()
		// Seek just past the conversation's keys, then walk back.
		k, v := c.Seek(append(convPrefix(conversationID), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, v = c.Prev() {
			m, err := decodeMessage(conversationID, prefix, k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("last messages", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func decodeMessage(conv string, prefix, k, v []byte) (memory.Message, error) {
	if len(k) != len(prefix)+8 {
		return memory.Message{}, fmt.Errorf("message key %q: bad length", k)
	}
	var rec messageRec
	if err := json.Unmarshal(v, &rec); err != nil {
		return memory.Message{}, fmt.Errorf("message %q: %w", k, err)
	}
	return rec.message(conv, int64(binary.BigEndian.Uint64(k[len(prefix):]))), nil
}

// ReplyTo returns the earliest bot or agent message answering seq.
func (s *Store) ReplyTo(ctx context.Context, conversationID string, seq int64) (memory.Message, error) {
	var m memory.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := messageKey(conversationID, seq)
		k, _ := tx.Bucket(bReplies).Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
			return fmt.Errorf("reply to %s/%d: %w", conversationID, seq, memory.ErrNotFound)
		}
		var err error
		m, err = loadMessage(tx, conversationID, int64(binary.BigEndian.Uint64(k[len(prefix):])))
		return err
	})
	if err != nil {
		return memory.Message{}, wrap("reply to", err)
	}
	return m, nil
}
