package nba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultBucket is the JetStream key-value bucket of the arms.
const DefaultBucket = "kairos_nba"

// KVState keeps the arms in a NATS JetStream key-value bucket, one key per
// context ("arms.<context>") holding every action's counts, so a decision
// costs one read. Records use optimistic concurrency: read the revision,
// write with it, and start again when another node wrote first.
type KVState struct {
	kv jetstream.KeyValue
}

// maxAttempts bounds the compare-and-set retries of one record.
const maxAttempts = 32

// OpenKVState creates or opens the bucket (file storage, one revision of
// history) and returns the state kept in it.
func OpenKVState(ctx context.Context, js jetstream.JetStream, bucket string) (*KVState, error) {
	if bucket == "" {
		bucket = DefaultBucket
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "Kairos next-best-action bandit arms",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("nba: open key-value bucket %s: %w", bucket, err)
	}
	return &KVState{kv: kv}, nil
}

func armsKey(c string) string { return "arms." + c }

// Arms implements State.
func (s *KVState) Arms(ctx context.Context, c string) (Arms, error) {
	arms, _, err := s.get(ctx, c)
	return arms, err
}

func (s *KVState) get(ctx context.Context, c string) (Arms, uint64, error) {
	if !validContext(c) {
		return nil, 0, checkRecord(c, AnswerOnly, Accepted)
	}
	e, err := s.kv.Get(ctx, armsKey(c))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Arms{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("nba: read arms of %s: %w", c, err)
	}
	arms := Arms{}
	if err := json.Unmarshal(e.Value(), &arms); err != nil {
		// A corrupt value must not stop decisions; it is replaced by the
		// next record.
		return Arms{}, e.Revision(), nil
	}
	for a := range arms {
		if !validArm(a) {
			delete(arms, a)
		}
	}
	return arms, e.Revision(), nil
}

// Record implements State.
func (s *KVState) Record(ctx context.Context, c, action, outcome string) error {
	if err := checkRecord(c, action, outcome); err != nil {
		return err
	}
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("nba: record arm %s/%s: %w", c, action, err)
			}
		}
		arms, rev, err := s.get(ctx, c)
		if err != nil {
			return err
		}
		a := arms[action]
		a.add(outcome)
		arms[action] = a
		b, err := json.Marshal(arms)
		if err != nil {
			return fmt.Errorf("nba: encode arms: %w", err)
		}
		if rev == 0 {
			_, err = s.kv.Create(ctx, armsKey(c), b)
		} else {
			_, err = s.kv.Update(ctx, armsKey(c), b, rev)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another node wrote first
		}
		return fmt.Errorf("nba: record arm %s/%s: %w", c, action, err)
	}
	return fmt.Errorf("nba: record arm %s/%s: %d conflicting writes in a row: %w", c, action, maxAttempts, errConflict)
}

var errConflict = errors.New("too much contention")

// backoff waits a random time that grows with the attempt (up to about
// 50 ms), so nodes that collided do not collide again in lock step.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(5*time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
