package nba

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/kairoscx/kairos/memory"
)

// Arm is one arm's outcomes in one context.
type Arm struct {
	Accepted int `json:"a"`
	Declined int `json:"d"`
	Ignored  int `json:"i"`
}

// Arms are a context's arms by arm key (Decision.Arm).
type Arms map[string]Arm

// State holds the arms, shared by every node. Implementations are safe for
// concurrent use.
type State interface {
	// Arms returns a context's arms (empty when none were recorded).
	Arms(ctx context.Context, context string) (Arms, error)
	// Record adds one outcome to an arm (Decision.Arm), atomically with
	// respect to other nodes' records.
	Record(ctx context.Context, context, arm, outcome string) error
}

func (a *Arm) add(outcome string) {
	switch outcome {
	case Accepted:
		a.Accepted++
	case Declined:
		a.Declined++
	default:
		a.Ignored++
	}
}

// MemoryState is a State in this process only, for tests, simulations and
// single-node use without NATS.
type MemoryState struct {
	mu   sync.Mutex
	arms map[string]Arms
}

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{arms: map[string]Arms{}} }

// Arms implements State.
func (m *MemoryState) Arms(_ context.Context, c string) (Arms, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(Arms, len(m.arms[c]))
	for k, v := range m.arms[c] {
		out[k] = v
	}
	return out, nil
}

// Record implements State.
func (m *MemoryState) Record(_ context.Context, c, action, outcome string) error {
	if err := checkRecord(c, action, outcome); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.arms[c] == nil {
		m.arms[c] = Arms{}
	}
	a := m.arms[c][action]
	a.add(outcome)
	m.arms[c][action] = a
	return nil
}

func checkRecord(c, action, outcome string) error {
	switch {
	case !validContext(c):
		return fmt.Errorf("nba: context %q: %w", clip(c), memory.ErrInvalid)
	case !validArm(action):
		return fmt.Errorf("nba: arm %q: %w", clip(action), memory.ErrInvalid)
	case outcome != Accepted && outcome != Declined && outcome != Ignored:
		return fmt.Errorf("nba: outcome %q: want accepted, declined or ignored: %w", clip(outcome), memory.ErrInvalid)
	}
	return nil
}

// validArm accepts an action, optionally qualified: "coupon",
// "replenishment_reminder/due".
func validArm(arm string) bool {
	a, q, ok := strings.Cut(arm, "/")
	if !ValidAction(a) {
		return false
	}
	if !ok {
		return true
	}
	if q == "" || len(q) > 16 {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < 'a' || q[i] > 'z' {
			return false
		}
	}
	return true
}

// validContext accepts what Bucket produces: three dot-separated parts of
// lower-case letters.
func validContext(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	dots := 0
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; {
		case ch == '.':
			if i == 0 || i == len(c)-1 || c[i-1] == '.' {
				return false
			}
			dots++
		case ch < 'a' || ch > 'z':
			return false
		}
	}
	return dots == 2
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
