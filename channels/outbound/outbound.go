// Package outbound holds what every platform adapter (WeChat, WeCom, Douyin)
// needs to talk back to its platform: an HTTP JSON client that retries
// transient failures with backoff, a per-platform rate limit, a splitter
// that cuts long answers to a platform's size limit, the channel's
// capabilities (may it initiate, its reply window, its limits) and the
// opt-out keyword check.
//
// Nothing here knows a particular platform: adapters pass in how to read
// their business error codes and which limits apply.
package outbound

import (
	"errors"
	"time"
)

// ErrTemporary marks an error worth retrying: a 5xx status, a timeout, a
// network failure, or a platform business error the adapter declared
// transient with Temporary.
var ErrTemporary = errors.New("temporary failure")

// temporary wraps an error so that errors.Is(err, ErrTemporary) holds
// while Error() and Unwrap still reach the original.
type temporary struct{ err error }

func (t temporary) Error() string   { return t.err.Error() }
func (t temporary) Unwrap() []error { return []error{t.err, ErrTemporary} }

// Temporary marks err as worth retrying. Adapters wrap the platform business
// errors they know to be transient (a "system busy" code) with it in their
// Check function; everything else a Check returns is final.
func Temporary(err error) error {
	if err == nil {
		return nil
	}
	return temporary{err}
}

// IsTemporary reports whether err is worth retrying.
func IsTemporary(err error) bool { return errors.Is(err, ErrTemporary) }

// Capabilities is what a channel can do, for the engine and the trigger
// matrix to respect: whether Kairos may write first, how long after the
// customer's last message it may still write, how long a message may be
// and which media it carries.
type Capabilities struct {
	// CanInitiate is true when Kairos may message a customer who never
	// wrote (or whose window has closed), e.g. through templates.
	CanInitiate bool `json:"can_initiate"`
	// ReplyWindow is how long after the customer's last inbound message
	// free-form messages may be sent; zero means no limit.
	ReplyWindow time.Duration `json:"reply_window"`
	// MaxText is the longest text message in TextUnit; zero means no limit.
	MaxText int `json:"max_text"`
	// TextUnit is what MaxText counts.
	TextUnit Unit `json:"text_unit"`
	// Media lists the message kinds the channel can send besides text
	// ("image", "voice", "video", "card", ...).
	Media []string `json:"media,omitempty"`
}

// WithinWindow reports whether a free-form message may be sent at now to a
// customer whose last inbound message arrived at lastInbound. With no
// window every time is within it; with one, a customer who never wrote
// (zero lastInbound) is outside it. A lastInbound slightly in the future
// (clocks of two nodes) counts as just now.
func (c Capabilities) WithinWindow(lastInbound, now time.Time) bool {
	if c.ReplyWindow <= 0 {
		return true
	}
	if lastInbound.IsZero() {
		return false
	}
	return now.Sub(lastInbound) < c.ReplyWindow
}

// Splitter returns the splitter that cuts text to the channel's MaxText.
func (c Capabilities) Splitter() Splitter {
	return Splitter{Max: c.MaxText, Unit: c.TextUnit}
}
