package web_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

// fakeEngine keeps conversations in memory and answers every customer
// message with "echo: <text>", published through a relay connected to a
// different NATS connection than the web handler's (another "node").
type fakeEngine struct {
	relay *relay.Relay
	now   func() time.Time

	mu        sync.Mutex
	customers map[channels.Identity]string
	convs     map[string]*fakeConv // by conversation id
	byCust    map[string]string    // customer id → conversation id
	events    []channels.Event
	inbounds  []channels.Inbound // every Receive call, as received
	ackCalls  int
	quiet     bool // when set, messages get no reply
	// identifies records Identify calls; identifyErr, when set, fails them.
	identifies  []identifyCall
	identifyErr error
}

type identifyCall struct {
	conversation string
	id           channels.Identity
}

type fakeConv struct {
	id, customer string
	msgs         []channels.Outbound
	byClient     map[string]int64
	last, acked  int64
}

func newFakeEngine(r *relay.Relay, now func() time.Time) *fakeEngine {
	return &fakeEngine{relay: r, now: now, customers: map[channels.Identity]string{},
		convs: map[string]*fakeConv{}, byCust: map[string]string{}}
}

func (e *fakeEngine) Connect(_ context.Context, channel string, id channels.Identity) (channels.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cust, ok := e.customers[id]
	if !ok {
		cust = fmt.Sprintf("cus_%d", len(e.customers)+1)
		e.customers[id] = cust
		conv := &fakeConv{id: fmt.Sprintf("conv_%d", len(e.convs)+1), customer: cust, byClient: map[string]int64{}}
		e.convs[conv.id] = conv
		e.byCust[cust] = conv.id
	}
	c := e.convs[e.byCust[cust]]
	return channels.Session{CustomerID: cust, ConversationID: c.id, LastSeq: c.last, AckedSeq: c.acked}, nil
}

func (e *fakeEngine) Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error) {
	e.mu.Lock()
	e.inbounds = append(e.inbounds, in)
	c, ok := e.convs[in.ConversationID]
	if !ok || c.customer != in.CustomerID {
		e.mu.Unlock()
		return channels.Receipt{}, errors.New("fake: no such conversation")
	}
	if seq, dup := c.byClient[in.ClientID]; dup {
		e.mu.Unlock()
		return channels.Receipt{ClientID: in.ClientID, Seq: seq, Duplicate: true}, nil
	}
	c.last++
	seq := c.last
	c.byClient[in.ClientID] = seq
	c.msgs = append(c.msgs, channels.Outbound{V: 1, Kind: channels.OutMessage, ConversationID: c.id, Seq: seq,
		Role: "customer", Text: in.Text, At: in.At})
	quiet := e.quiet
	e.mu.Unlock()
	if !quiet {
		if _, err := e.say(ctx, in.ConversationID, "echo: "+in.Text, seq); err != nil {
			return channels.Receipt{}, err
		}
	}
	return channels.Receipt{ClientID: in.ClientID, Seq: seq}, nil
}

// say stores a bot message and publishes it, as the engine does after a
// turn (or a proactive trigger does at any time).
func (e *fakeEngine) say(ctx context.Context, convID, text string, replyTo int64) (channels.Outbound, error) {
	e.mu.Lock()
	c := e.convs[convID]
	c.last++
	out := channels.Outbound{V: 1, Kind: channels.OutMessage, ConversationID: convID, Seq: c.last, Role: "bot",
		Text: text, ReplyTo: replyTo, At: e.now()}
	c.msgs = append(c.msgs, out)
	e.mu.Unlock()
	return out, e.relay.Publish(ctx, out)
}

func (e *fakeEngine) Replay(_ context.Context, convID string, after int64, limit int) ([]channels.Outbound, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var res []channels.Outbound
	for _, m := range e.convs[convID].msgs {
		if m.Seq > after && len(res) < limit {
			res = append(res, m)
		}
	}
	return res, nil
}

func (e *fakeEngine) Ack(_ context.Context, convID string, seq int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ackCalls++
	c := e.convs[convID]
	if seq > c.last {
		return errors.New("fake: ack beyond last seq")
	}
	if seq > c.acked {
		c.acked = seq
	}
	return nil
}

func (e *fakeEngine) Observe(_ context.Context, ev channels.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
	return nil
}

// Identify links id to the conversation's customer; when id belongs to
// another customer already, the conversation moves to that customer (the
// visitor merges into the known user).
func (e *fakeEngine) Identify(_ context.Context, convID string, id channels.Identity) (channels.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.identifies = append(e.identifies, identifyCall{convID, id})
	if e.identifyErr != nil {
		return channels.Session{}, e.identifyErr
	}
	c, ok := e.convs[convID]
	if !ok {
		return channels.Session{}, errors.New("fake: no such conversation")
	}
	if owner, ok := e.customers[id]; ok {
		c.customer = owner
	} else {
		e.customers[id] = c.customer
	}
	return channels.Session{CustomerID: c.customer, ConversationID: c.id, LastSeq: c.last, AckedSeq: c.acked}, nil
}

func (e *fakeEngine) identifyCalls() []identifyCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]identifyCall(nil), e.identifies...)
}

func (e *fakeEngine) setIdentifyErr(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.identifyErr = err
}

func (e *fakeEngine) setQuiet() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.quiet = true
}

func (e *fakeEngine) acked(convID string) (seq int64, calls int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.convs[convID].acked, e.ackCalls
}

func (e *fakeEngine) customerCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.customers)
}

func (e *fakeEngine) observed() []channels.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]channels.Event(nil), e.events...)
}

// clock is a settable clock for tokens and rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fakeSubscriber struct{}

func (fakeSubscriber) Subscribe(context.Context, string, relay.Receiver) (*relay.Subscription, error) {
	return nil, errors.New("fake: no relay")
}
