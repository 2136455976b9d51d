package embedded

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

type convRec struct {
	CustomerID string    `json:"customer_id"`
	Channel    string    `json:"channel"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	LastSeq    int64     `json:"last_seq"`
	AckedSeq   int64     `json:"acked_seq"`
}

func (r convRec) conversation(id string) memory.Conversation {
	return memory.Conversation{ID: id, CustomerID: r.CustomerID, Channel: r.Channel, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, LastSeq: r.LastSeq, AckedSeq: r.AckedSeq}
}

func latestKey(customerID, channel string) []byte {
	return []byte(customerID + "\x00" + channel)
}

// CurrentConversation returns the customer's latest conversation on channel
// unless it was last updated before idleSince, in which case it starts one.
func (s *Store) CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (memory.Conversation, error) {
	if channel == "" {
		return memory.Conversation{}, fmt.Errorf("embedded: current conversation: empty channel: %w", memory.ErrInvalid)
	}
	if err := memory.CheckText(channel); err != nil {
		return memory.Conversation{}, wrap("current conversation", err)
	}
	var conv memory.Conversation
	err := s.db.Update(func(tx *bolt.Tx) error {
		customerID, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		lk := latestKey(customerID, channel)
		if id := tx.Bucket(bLatest).Get(lk); id != nil {
			rec, err := loadConv(tx, string(id))
			if err != nil {
				return err
			}
			if !rec.UpdatedAt.Before(idleSince) {
				conv = rec.conversation(string(id))
				return nil
			}
		}
		now := s.stamp()
		rec := convRec{CustomerID: customerID, Channel: channel, CreatedAt: now, UpdatedAt: now}
		conv = rec.conversation(memory.NewID("conv_"))
		if err := put(tx.Bucket(bConvs), []byte(conv.ID), rec); err != nil {
			return err
		}
		if err := tx.Bucket(bCustConvs).Put(custKey(customerID, []byte(conv.ID)), nil); err != nil {
			return err
		}
		return tx.Bucket(bLatest).Put(lk, []byte(conv.ID))
	})
	return conv, wrap("current conversation", err)
}

// Conversation returns one conversation, or ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (memory.Conversation, error) {
	var conv memory.Conversation
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := loadConv(tx, id)
		conv = rec.conversation(id)
		return err
	})
	if err != nil {
		return memory.Conversation{}, wrap("conversation", err)
	}
	return conv, nil
}

func loadConv(tx *bolt.Tx, id string) (convRec, error) {
	var rec convRec
	ok, err := get(tx.Bucket(bConvs), []byte(id), &rec)
	if err != nil {
		return rec, fmt.Errorf("conversation %q: %w", id, err)
	}
	if !ok {
		return rec, fmt.Errorf("conversation %q: %w", id, memory.ErrNotFound)
	}
	return rec, nil
}

// ReserveSeq hands out the next sequence number without storing a message.
func (s *Store) ReserveSeq(ctx context.Context, conversationID string) (int64, error) {
	var seq int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := loadConv(tx, conversationID)
		if err != nil {
			return err
		}
		rec.LastSeq++
		seq = rec.LastSeq
		return put(tx.Bucket(bConvs), []byte(conversationID), rec)
	})
	return seq, wrap("reserve seq", err)
}

// Ack records that a client received everything up to seq; it never moves
// the ack backwards.
func (s *Store) Ack(ctx context.Context, conversationID string, seq int64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := loadConv(tx, conversationID)
		if err != nil {
			return err
		}
		if seq < 0 || seq > rec.LastSeq {
			return fmt.Errorf("seq %d outside 0..%d: %w", seq, rec.LastSeq, memory.ErrInvalid)
		}
		if seq <= rec.AckedSeq {
			return nil
		}
		rec.AckedSeq = seq
		return put(tx.Bucket(bConvs), []byte(conversationID), rec)
	})
	return wrap(fmt.Sprintf("ack %s", conversationID), err)
}
