package handoff

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
)

// Routing configures queues, priorities, agent capacity and SLA timers.
// Every field is a setting (handoff.routing.* in the gateway's
// configuration); zero values take the defaults.
type Routing struct {
	// Queues are the skill queues (default refunds, billing, technical,
	// general). DefaultQueue receives what no intent maps (default
	// "general", which must be one of Queues).
	Queues       []string
	DefaultQueue string
	// IntentQueues maps an insight intent to a queue; merged over
	// DefaultIntentQueues.
	IntentQueues map[string]string
	// SLA is how long a handoff may wait unclaimed before its priority is
	// raised, the desks are told and the customer's wait estimate is
	// updated; it repeats every SLA (default 60s).
	SLA time.Duration
	// MaxChats is an agent's capacity when its presence does not say
	// (default 5).
	MaxChats int
	// AvgHandle is the average time an agent spends on a chat, for wait
	// estimates (default 6 minutes); PickUp the expected time to claim
	// when an agent is free (default 30s).
	AvgHandle time.Duration
	PickUp    time.Duration
	// PresenceTTL is how long a presence counts without a heartbeat
	// (default 2 minutes).
	PresenceTTL time.Duration
	// CheckEvery is how often the SLA timers are checked (default 5s).
	CheckEvery time.Duration
}

// Default queues.
const (
	QueueRefunds   = "refunds"
	QueueBilling   = "billing"
	QueueTechnical = "technical"
	QueueGeneral   = "general"
)

// DefaultIntentQueues maps the insight taxonomy to the default queues.
var DefaultIntentQueues = map[string]string{
	insight.IntentRefund:             QueueRefunds,
	insight.IntentReturn:             QueueRefunds,
	insight.IntentExchange:           QueueRefunds,
	insight.IntentPaymentBilling:     QueueBilling,
	insight.IntentCancelSubscription: QueueBilling,
	insight.IntentMembership:         QueueBilling,
	insight.IntentTechSupport:        QueueTechnical,
}

func (r *Routing) defaults() error {
	if len(r.Queues) == 0 {
		r.Queues = []string{QueueRefunds, QueueBilling, QueueTechnical, QueueGeneral}
	}
	if r.DefaultQueue == "" {
		r.DefaultQueue = QueueGeneral
	}
	if !slices.Contains(r.Queues, r.DefaultQueue) {
		return fmt.Errorf("handoff: routing: default queue %q is not one of %v", r.DefaultQueue, r.Queues)
	}
	for _, q := range r.Queues {
		if !ValidID(q) {
			return fmt.Errorf("handoff: routing: queue name %q must be 1-128 of A-Z a-z 0-9 _ -", q)
		}
	}
	m := map[string]string{}
	for k, v := range DefaultIntentQueues {
		if slices.Contains(r.Queues, v) {
			m[k] = v
		}
	}
	for k, v := range r.IntentQueues {
		if !slices.Contains(r.Queues, v) {
			return fmt.Errorf("handoff: routing: intent %q maps to unknown queue %q", k, v)
		}
		m[k] = v
	}
	r.IntentQueues = m
	if r.SLA == 0 {
		r.SLA = time.Minute
	}
	if r.MaxChats == 0 {
		r.MaxChats = 5
	}
	if r.AvgHandle == 0 {
		r.AvgHandle = 6 * time.Minute
	}
	if r.PickUp == 0 {
		r.PickUp = 30 * time.Second
	}
	if r.PresenceTTL == 0 {
		r.PresenceTTL = 2 * time.Minute
	}
	if r.CheckEvery == 0 {
		r.CheckEvery = 5 * time.Second
	}
	if r.SLA < 0 || r.MaxChats < 0 || r.AvgHandle < 0 || r.PickUp < 0 || r.PresenceTTL < 0 || r.CheckEvery < 0 {
		return fmt.Errorf("handoff: routing: durations and capacities must not be negative")
	}
	return nil
}

// QueueFor returns the queue for an intent (asked is a queue the caller
// named, e.g. a trigger's, used when known).
func (r *Routing) QueueFor(intent, asked string) string {
	if asked != "" && slices.Contains(r.Queues, asked) {
		return asked
	}
	if q, ok := r.IntentQueues[intent]; ok {
		return q
	}
	return r.DefaultQueue
}

// Priorities.
const (
	PriorityBase = 3
	PriorityMax  = 9
)

// priority is a new handoff's priority: angry and VIP customers first.
func priority(d Decision, risk float64) int {
	p := PriorityBase
	if d.Angry {
		p += 2
	} else if risk >= insight.EscalateAt {
		p++
	}
	if d.VIP {
		p += 2
	}
	if d.Topic != "" {
		p++
	}
	return min(p, PriorityMax)
}

// estimate is the expected wait (seconds) of the position-th handoff in a
// queue whose online agents have free free slots and total slots in all.
// Each busy slot frees up every AvgHandle on average.
func (r *Routing) estimate(position, free, slots int) int {
	if position <= 0 {
		position = 1
	}
	pick := r.PickUp.Seconds()
	if position <= free {
		return int(math.Ceil(pick))
	}
	if slots <= 0 {
		// Nobody online: the SLA and a full handling time are the honest
		// guess until someone is.
		return int(math.Ceil(pick + r.AvgHandle.Seconds() + float64(position-1)*r.AvgHandle.Seconds()))
	}
	ahead := float64(position - free)
	return int(math.Ceil(pick + ahead*r.AvgHandle.Seconds()/float64(slots)))
}
