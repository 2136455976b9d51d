package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// MaxRunes is the longest customer message accepted, in characters.
const MaxRunes = 4000

// turnKey names one customer message.
type turnKey struct {
	conversation string
	seq          int64
}

// job is a customer message waiting for its turn.
type job struct {
	in  channels.Inbound
	msg memory.Message // the stored customer message
	// resend is true when the message had been stored before: its turn
	// checks once more that no reply exists before answering.
	resend bool
}

// queue holds one conversation's waiting turns. A goroutine drains it and
// exits when it is empty, so idle conversations cost nothing.
type queue struct {
	jobs []job
}

// Receive records a customer message and schedules its answer. It returns
// as soon as the message is stored; the reply arrives through the Outbox.
// Empty or overlong text is an error wrapping memory.ErrInvalid. A resend of
// a message (same ClientID) is answered only if it never was.
func (e *Engine) Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error) {
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.ConversationID == "":
		return channels.Receipt{}, fmt.Errorf("bot: receive: conversation id is required: %w", errInvalid)
	case in.Text == "":
		return channels.Receipt{}, fmt.Errorf("bot: receive: empty message: %w", errInvalid)
	case utf8.RuneCountInString(in.Text) > MaxRunes:
		return channels.Receipt{}, fmt.Errorf("bot: receive: message longer than %d characters: %w", MaxRunes, errInvalid)
	case !utf8.ValidString(in.Text):
		return channels.Receipt{}, fmt.Errorf("bot: receive: message is not valid UTF-8: %w", errInvalid)
	}
	if err := e.admit(in.ConversationID); err != nil {
		return channels.Receipt{}, err
	}
	// The channel's timestamp is kept when it is plausible; a zero or
	// future one (a skewed or hostile client) becomes the server's time.
	at, now := in.At, e.now()
	if at.IsZero() || at.After(now) {
		at = now
	}
	record := memory.Message{
		ConversationID: in.ConversationID, Role: memory.RoleCustomer, Text: in.Text, ClientID: in.ClientID, CreatedAt: at,
	}
	if k := e.handoff(); k != nil {
		// While a human owns the conversation the message goes to them,
		// not to a turn.
		if r, ok := k.h.Owner(in.ConversationID); ok {
			receipt, err := e.receiveForHuman(ctx, k, r, in, record)
			if err != nil {
				return channels.Receipt{}, fmt.Errorf("bot: receive: record message: %w", err)
			}
			return receipt, nil
		}
	}
	msg, created, err := e.cfg.Store.AppendMessage(ctx, record)
	if err != nil {
		return channels.Receipt{}, fmt.Errorf("bot: receive: record message: %w", err)
	}
	e.acks.saw(msg.ConversationID, msg.Seq)
	receipt := channels.Receipt{ClientID: in.ClientID, Seq: msg.Seq, Duplicate: !created}
	if !created {
		// The resend may be of a message whose turn was lost (a crash
		// between recording and answering): answer it unless a turn is
		// under way or a reply exists.
		if e.isBusy(turnKey{msg.ConversationID, msg.Seq}) {
			return receipt, nil
		}
		answered, err := e.answered(ctx, msg)
		if err != nil {
			return channels.Receipt{}, fmt.Errorf("bot: receive: %w", err)
		}
		if answered {
			return receipt, nil
		}
	}
	if err := e.enqueue(job{in: in, msg: msg, resend: !created}); err != nil {
		return channels.Receipt{}, err
	}
	return receipt, nil
}

// admit refuses a message when the engine is closed or the conversation's
// queue is full, before anything is stored.
func (e *Engine) admit(conversationID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fmt.Errorf("bot: receive: %w", ErrClosed)
	}
	if q := e.queues[conversationID]; q != nil && len(q.jobs) >= e.cfg.MaxQueue {
		return fmt.Errorf("bot: receive: conversation %s: %w", conversationID, ErrBusy)
	}
	return nil
}

// answered reports whether msg has a stored reply.
func (e *Engine) answered(ctx context.Context, msg memory.Message) (bool, error) {
	_, err := e.cfg.Store.ReplyTo(ctx, msg.ConversationID, msg.Seq)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, memory.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up reply to %d: %w", msg.Seq, err)
}

func (e *Engine) isBusy(k turnKey) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.busy[k]
}

// enqueue appends j to its conversation's queue, starting the queue's
// goroutine when there is none. A message already queued is not queued
// twice.
func (e *Engine) enqueue(j job) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		// Stored but not answered: a resend after restart answers it.
		return fmt.Errorf("bot: receive: %w", ErrClosed)
	}
	k := turnKey{j.msg.ConversationID, j.msg.Seq}
	if e.busy[k] {
		return nil
	}
	e.busy[k] = true
	q := e.queues[k.conversation]
	if q == nil {
		q = &queue{}
		e.queues[k.conversation] = q
		e.wg.Add(1)
		go e.drain(k.conversation, q)
	}
	q.jobs = append(q.jobs, j)
	return nil
}

// drain runs a conversation's turns one at a time, in arrival order, and
// exits when none is left.
func (e *Engine) drain(conversationID string, q *queue) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(q.jobs) == 0 {
			delete(e.queues, conversationID)
			e.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs = q.jobs[1:]
		e.mu.Unlock()

		// A human may own the conversation (or the message may call for
		// one): then the message goes to them instead of a turn.
		if !e.handoffBefore(j) {
			e.turn(j)
			e.handoffAfter(j)
		}

		e.mu.Lock()
		delete(e.busy, turnKey{j.msg.ConversationID, j.msg.Seq})
		e.mu.Unlock()
	}
}
