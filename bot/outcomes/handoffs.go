package outcomes

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/handoff"
)

// HandoffLog reads handoff records from the KAIROS_HANDOFF stream (kept
// 30 days): a HandoffReader. Each handoff's latest record wins; a record
// with event "transferred" marks the handoff transferred.
type HandoffLog struct {
	JS jetstream.JetStream
}

// Handoffs implements HandoffReader: handoffs created in [from, to).
func (l HandoffLog) Handoffs(ctx context.Context, from, to time.Time) ([]handoff.Record, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{handoff.SubjectRequested, handoff.SubjectUpdated}}
	if !from.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
	}
	cons, err := l.JS.OrderedConsumer(ctx, handoff.HandoffStream, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("handoff log: %w", err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff log: %w", err)
	}
	latest := map[string]handoff.Record{}
	transferred := map[string]string{} // handoff id → the queue it left
	for pending := ci.NumPending; pending > 0; {
		batch, err := cons.Fetch(int(min(pending, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("handoff log: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
			var r handoff.Record
			if json.Unmarshal(m.Data(), &r) != nil || r.HandoffID == "" {
				continue
			}
			if r.Event == handoff.EventTransferred || r.TransferredFrom != "" {
				transferred[r.HandoffID] = cmp.Or(r.TransferredFrom, transferred[r.HandoffID], "(transferred)")
			}
			if old, ok := latest[r.HandoffID]; !ok || r.Revision >= old.Revision {
				latest[r.HandoffID] = r
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("handoff log: %w", err)
		}
		if n == 0 {
			break
		}
	}
	var out []handoff.Record
	for _, id := range sortedKeys(latest) {
		r := latest[id]
		if r.CreatedAt.Before(from) || (!to.IsZero() && !r.CreatedAt.Before(to)) {
			continue
		}
		if t, ok := transferred[id]; ok && r.TransferredFrom == "" {
			r.TransferredFrom = t
		}
		out = append(out, r)
	}
	return out, nil
}
