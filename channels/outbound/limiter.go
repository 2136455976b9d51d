package outbound

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Limiter is a token bucket: it allows Rate calls per second on average and
// bursts of up to Burst. Give each platform account its own, sized to the
// platform's quota divided by the number of gateway nodes (the bucket is
// per process; the platform's own "too many requests" codes remain the
// final word).
//
// It is safe for concurrent use.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// LimiterOptions configures a Limiter beyond its rate.
type LimiterOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits d or until ctx is done (default SleepContext).
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter returns a Limiter allowing rate calls per second with bursts
// of burst (at least 1). The bucket starts full. A rate ≤ 0 means no limit.
func NewLimiter(rate float64, burst int, o LimiterOptions) *Limiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = SleepContext
	}
	b := float64(max(burst, 1))
	return &Limiter{rate: rate, burst: b, now: o.Now, sleep: o.Sleep, tokens: b, last: o.Now()}
}

// Allow takes a token if one is available now and reports whether it did.
func (l *Limiter) Allow() bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refillLocked()
	if l.tokens >= 1 {
		l.tokens--
		return true
	}
	return false
}

// Wait takes a token, waiting until one is available or ctx is done. A
// caller whose deadline comes before its token is refused at once and
// takes nothing.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil || l.rate <= 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.refillLocked()
	l.tokens-- // reserve: later callers queue behind this one
	wait := time.Duration(0)
	if l.tokens < 0 {
		wait = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	if dl, ok := ctx.Deadline(); ok && wait > 0 && l.now().Add(wait).After(dl) {
		l.tokens++
		l.mu.Unlock()
		return fmt.Errorf("rate limit: next slot in %s is after the deadline: %w", wait, context.DeadlineExceeded)
	}
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.mu.Lock()
		l.tokens++ // give the reservation back
		l.mu.Unlock()
		return err
	}
	return nil
}

func (l *Limiter) refillLocked() {
	now := l.now()
	if el := now.Sub(l.last); el > 0 {
		l.tokens = min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
}
