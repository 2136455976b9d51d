package platform

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// DeliveryWorkers bound a node's concurrent queue deliveries per channel.
const DeliveryWorkers = 8

// Worker runs an adapter's background work until Stop, and holds the
// node's place in the delivery queue group. Call Start before use.
type Worker struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sub    *nats.Subscription
}

// Start makes the context background work runs under.
func (w *Worker) Start() { w.ctx, w.cancel = context.WithCancel(context.Background()) }

// Context is cancelled by Stop.
func (w *Worker) Context() context.Context { return w.ctx }

// Go runs f in the background until Stop.
func (w *Worker) Go(f func(ctx context.Context)) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f(w.ctx)
	}()
}

// JoinQueue takes this node's share of subject in queue group and hands
// each message to handle on one of DeliveryWorkers goroutines. name
// prefixes errors.
func (w *Worker) JoinQueue(nc *nats.Conn, name, subject, group string, handle func(context.Context, *nats.Msg)) error {
	jobs := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanQueueSubscribe(subject, group, jobs)
	if err != nil {
		return fmt.Errorf("%s: join delivery queue: %w", name, err)
	}
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("%s: join delivery queue: %w", name, err)
	}
	w.sub = sub
	for range DeliveryWorkers {
		w.Go(func(ctx context.Context) {
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-jobs:
					handle(ctx, m)
				}
			}
		})
	}
	return nil
}

// Stop leaves the queue group and stops background work, waiting for it
// to return.
func (w *Worker) Stop() {
	if w.sub != nil {
		_ = w.sub.Drain()
	}
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}
