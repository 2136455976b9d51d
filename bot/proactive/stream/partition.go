package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// Acknowledgements of a source message, sent by the partition that
// evaluated its ticket (the bodies JetStream understands).
var (
	ackDone  = []byte("+ACK")
	ackTerm  = []byte("+TERM")
	ackRetry = fmt.Appendf(nil, `-NAK {"delay": %d}`, (2 * time.Second).Nanoseconds())
)

// partitionBatch is how many batches of tickets a partition pulls at
// once: enough to keep the engine busy between pulls, few enough that a
// node that stops leaves little to be routed again.
const partitionBatch = 16

// partition processes one partition's tickets (events and fired timers)
// in order, while this node holds the partition's pin, and acknowledges
// each ticket's source message once the engine has evaluated it.
func (r *Runner) partition(ctx context.Context, p int, cons jetstream.Consumer) error {
	pin := ""
	var batch []ticket
	names := interner{}
	// The handler runs on the subscription's goroutine, one batch at a
	// time, in order.
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if id := m.Headers().Get("Nats-Pin-Id"); id != pin {
			// The partition is (again) this node's. Windows kept from an
			// earlier turn miss what another node saw meanwhile: they
			// are rebuilt from the store on first sight.
			r.cfg.Engine.Forget(func(customer string) bool { return Partition(customer, r.cfg.Partitions) == p })
			r.logger.Debug("partition pinned to this node", "partition", p, "pin", id)
			pin = id
		}
		var err error
		batch, err = decodeTickets(m.Data(), batch[:0], names)
		if err != nil {
			// The sources of the rest cannot be told; they are routed
			// again when their ack wait ends.
			r.logger.Warn("malformed ticket dropped", "partition", p)
		}
		// One deadline for the batch: it bounds what a ticket may wait
		// for durable state or the store (a timer per ticket costs more
		// than the evaluation of many).
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second+time.Duration(len(batch))*time.Second)
		for i := range batch {
			r.process(bctx, p, &batch[i])
		}
		cancel()
		clear(batch)
	}, jetstream.PullPriorityGroup(PartitionGroup), jetstream.PullMaxMessages(partitionBatch),
		// Pull requests are renewed well within the pin's TTL, so an idle
		// partition keeps its node.
		jetstream.PullExpiry(min(pullExpiry, max(r.cfg.PinnedTTL/3, time.Second))),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			r.logger.Debug("partition pull", "partition", p, "err", err)
		}))
	if err != nil {
		return fmt.Errorf("proactive stream: partition %d: %w", p, err)
	}
	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	return nil
}

// process evaluates a ticket and acknowledges its source.
func (r *Runner) process(ctx context.Context, p int, t *ticket) {
	if r.beforeEval != nil && !r.beforeEval(p) {
		return
	}
	err := r.evaluate(ctx, p, t)
	if r.beforeAck != nil && !r.beforeAck(p, err) {
		return
	}
	if t.reply == "" {
		return
	}
	ack := ackDone
	switch {
	case errors.Is(err, memory.ErrInvalid):
		ack = ackTerm
	case err != nil:
		r.logger.Warn("proactive state unavailable; redelivering", "partition", p, "err", err)
		ack = ackRetry
	}
	if err := r.cfg.JS.Conn().Publish(t.reply, ack); err != nil {
		r.logger.Debug("acknowledge source", "partition", p, "err", err)
	}
}

// evaluate hands a ticket to the engine.
func (r *Runner) evaluate(ctx context.Context, p int, t *ticket) error {
	if t.timer == nil {
		return r.cfg.Engine.HandleEvent(ctx, t.ev)
	}
	var tm proactive.Timer
	if json.Unmarshal(t.timer, &tm) != nil || tm.Trigger == "" || tm.Customer == "" {
		r.logger.Warn("malformed timer dropped", "partition", p)
		return fmt.Errorf("timer: %w", memory.ErrInvalid)
	}
	return r.cfg.Engine.HandleTimer(ctx, tm)
}
