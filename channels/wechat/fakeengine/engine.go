// Package fakeengine is an in-memory stand-in for the dialogue engine,
// for channel adapter tests: it keeps customers, conversations and
// messages like bot.Engine does (a resend with the same client id is
// recorded once and answered once) and publishes its answers on the NATS
// relay, so adapters are tested the way they run.
package fakeengine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kairoscx/kairos/channels"
)

// Publisher publishes outbound messages; *relay.Relay is one.
type Publisher interface {
	Publish(ctx context.Context, out channels.Outbound) error
}

// Engine is the fake. Set Relay before use; the other fields are optional.
type Engine struct {
	Relay Publisher
	// Delay is how long an answer takes.
	Delay time.Duration
	// Answer makes the answer to a message (default "echo: " + text).
	Answer func(text string) string

	mu        sync.Mutex
	nextID    int
	customers map[channels.Identity]string
	convs     map[string]string // customer+channel -> conversation
	convOwner map[string]string // conversation -> customer
	msgs      map[string][]channels.Outbound
	clientIDs map[string]int64
	acked     map[string]int64
	received  []channels.Inbound
	events    []channels.Event
	connects  int
	wg        sync.WaitGroup
}

func (e *Engine) init() {
	if e.customers == nil {
		e.customers = map[channels.Identity]string{}
		e.convs = map[string]string{}
		e.convOwner = map[string]string{}
		e.msgs = map[string][]channels.Outbound{}
		e.clientIDs = map[string]int64{}
		e.acked = map[string]int64{}
	}
}

// Connect finds or creates the customer and their conversation.
func (e *Engine) Connect(ctx context.Context, channel string, id channels.Identity) (channels.Session, error) {
	if channel == "" || id.Kind == "" || id.Value == "" {
		return channels.Session{}, fmt.Errorf("connect: %w", channels.ErrInvalid)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.init()
	e.connects++
	cust, ok := e.customers[id]
	if !ok {
		e.nextID++
		cust = fmt.Sprintf("cus_%d", e.nextID)
		e.customers[id] = cust
	}
	conv, ok := e.convs[cust+"/"+channel]
	if !ok {
		e.nextID++
		conv = fmt.Sprintf("conv_%d", e.nextID)
		e.convs[cust+"/"+channel] = conv
		e.convOwner[conv] = cust
	}
	var last int64
	if m := e.msgs[conv]; len(m) > 0 {
		last = m[len(m)-1].Seq
	}
	return channels.Session{CustomerID: cust, ConversationID: conv, LastSeq: last, AckedSeq: e.acked[conv]}, nil
}

func (e *Engine) appendLocked(conv, role, text string, replyTo int64) channels.Outbound {
	seq := int64(len(e.msgs[conv]) + 1)
	out := channels.Outbound{V: channels.Version, Kind: channels.OutMessage, ConversationID: conv, Seq: seq,
		Role: role, Text: text, ReplyTo: replyTo, At: time.Now()}
	e.msgs[conv] = append(e.msgs[conv], out)
	return out
}

// Receive records a message and answers it after Delay.
func (e *Engine) Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error) {
	if strings.TrimSpace(in.Text) == "" || len([]rune(in.Text)) > 4000 {
		return channels.Receipt{}, fmt.Errorf("receive: %w", channels.ErrInvalid)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.init()
	if _, ok := e.convOwner[in.ConversationID]; !ok {
		return channels.Receipt{}, fmt.Errorf("receive: unknown conversation: %w", channels.ErrInvalid)
	}
	e.received = append(e.received, in)
	if in.ClientID != "" {
		if seq, ok := e.clientIDs[in.ConversationID+"/"+in.ClientID]; ok {
			return channels.Receipt{ClientID: in.ClientID, Seq: seq, Duplicate: true}, nil
		}
	}
	msg := e.appendLocked(in.ConversationID, "customer", in.Text, 0)
	if in.ClientID != "" {
		e.clientIDs[in.ConversationID+"/"+in.ClientID] = msg.Seq
	}
	answer := e.Answer
	if answer == nil {
		answer = func(t string) string { return "echo: " + t }
	}
	text := answer(in.Text)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		time.Sleep(e.Delay)
		e.Say(in.ConversationID, "bot", text, msg.Seq)
	}()
	return channels.Receipt{ClientID: in.ClientID, Seq: msg.Seq}, nil
}

// Say stores a message from role and publishes it; replyTo 0 makes it
// proactive.
func (e *Engine) Say(conversationID, role, text string, replyTo int64) channels.Outbound {
	e.mu.Lock()
	e.init()
	out := e.appendLocked(conversationID, role, text, replyTo)
	e.mu.Unlock()
	if e.Relay != nil {
		_ = e.Relay.Publish(context.Background(), out)
	}
	return out
}

// Replay returns stored messages after afterSeq.
func (e *Engine) Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []channels.Outbound
	for _, m := range e.msgs[conversationID] {
		if m.Seq > afterSeq && (limit <= 0 || len(out) < limit) {
			out = append(out, m)
		}
	}
	return out, nil
}

// Ack records the highest delivered seq.
func (e *Engine) Ack(ctx context.Context, conversationID string, seq int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.init()
	e.acked[conversationID] = max(e.acked[conversationID], seq)
	return nil
}

// Observe records an event.
func (e *Engine) Observe(ctx context.Context, ev channels.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
	return nil
}

// Identify links id to the customer of conversationID.
func (e *Engine) Identify(ctx context.Context, conversationID string, id channels.Identity) (channels.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.init()
	cust, ok := e.convOwner[conversationID]
	if !ok {
		return channels.Session{}, fmt.Errorf("identify: %w", channels.ErrInvalid)
	}
	e.customers[id] = cust
	return channels.Session{CustomerID: cust, ConversationID: conversationID}, nil
}

// Received is every Receive call, duplicates included.
func (e *Engine) Received() []channels.Inbound {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]channels.Inbound(nil), e.received...)
}

// Events is every observed event.
func (e *Engine) Events() []channels.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]channels.Event(nil), e.events...)
}

// Connects is how many times Connect was called.
func (e *Engine) Connects() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.connects
}

// Customer returns the customer an identity belongs to.
func (e *Engine) Customer(id channels.Identity) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.customers[id]
}

// Acked is the highest acked seq of a conversation.
func (e *Engine) Acked(conversationID string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acked[conversationID]
}

// Wait waits until every pending answer is published.
func (e *Engine) Wait() { e.wg.Wait() }
