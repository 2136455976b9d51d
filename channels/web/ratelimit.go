package web

import "time"

// bucket is a token bucket: it holds up to burst tokens and gains rate per
// second. It is not safe for concurrent use; each connection's reader owns
// its buckets.
type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds of the last refill
}

// Per-connection limits: a person types far slower than this; a script
// flooding the engine does not.
const (
	messageRate  = 5
	messageBurst = 10
	eventRate    = 10
	eventBurst   = 30
	// A page identifies once per load (and after reconnects); a script
	// guessing signatures gets a handful of tries a minute.
	identifyRate  = 0.1
	identifyBurst = 5
)

func newBucket(burst float64, now time.Time) bucket {
	return bucket{tokens: burst, last: now.UnixNano()}
}

// allow takes one token if there is one.
func (b *bucket) allow(now time.Time, rate, burst float64) bool {
	n := now.UnixNano()
	if n > b.last {
		b.tokens += float64(n-b.last) / float64(time.Second) * rate
		if b.tokens > burst {
			b.tokens = burst
		}
		b.last = n
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
