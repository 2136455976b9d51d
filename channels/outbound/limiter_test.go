package outbound

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when slept on.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return ctx.Err()
}

func TestLimiterBucket(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	l := NewLimiter(2, 3, LimiterOptions{Now: clk.now, Sleep: clk.sleep})
	for i := range 3 {
		if !l.Allow() {
			t.Fatalf("burst call %d refused", i)
		}
	}
	if l.Allow() {
		t.Fatal("fourth call allowed with an empty bucket")
	}
	clk.t = clk.t.Add(500 * time.Millisecond)
	if !l.Allow() || l.Allow() {
		t.Fatal("half a second at 2/s should give exactly one token")
	}
	start := clk.t
	for range 4 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Four more tokens at 2/s from empty take two seconds of (fake) time.
	if got := clk.t.Sub(start); got < 2*time.Second-time.Millisecond || got > 2*time.Second+time.Millisecond {
		t.Fatalf("waited %s for 4 tokens at 2/s", got)
	}
}

func TestLimiterDeadline(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	l := NewLimiter(1, 1, LimiterOptions{Now: clk.now, Sleep: clk.sleep})
	l.Allow()
	ctx, cancel := context.WithDeadline(context.Background(), clk.t.Add(100*time.Millisecond))
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// The refused caller took nothing: a second later a token is there.
	clk.t = clk.t.Add(time.Second)
	if !l.Allow() {
		t.Fatal("refused Wait consumed a token")
	}
}

func TestLimiterUnlimited(t *testing.T) {
	var l *Limiter
	if !l.Allow() || l.Wait(context.Background()) != nil {
		t.Fatal("nil limiter limits")
	}
	l = NewLimiter(0, 0, LimiterOptions{})
	for range 100 {
		if !l.Allow() {
			t.Fatal("rate 0 limits")
		}
	}
}
