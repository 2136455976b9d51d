package seed

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// The outcome simulation: proactive firings with a treatment/holdout split
// and a known effect, support conversations as conversation.turn events
// (mood, repeats, interventions, response times), handoff records and
// next-best-action offers with known acceptance rates. It has its own
// random stream, so the rest of a customer's history is the same with or
// without it. Firings and handoffs are kept as record events
// (bot/outcomes reads them like the live firing log and handoff stream):
// props are the record's JSON.

// Record event types (bot/outcomes.EventFiring, EventHandoff).
const (
	evFiring  = "proactive.firing"
	evHandoff = "handoff.record"
	evTurn    = "conversation.turn"
	evBillPd  = "bill_paid"
	evOffered = "nba_offered"
	evFeedbk  = "nba_feedback"
)

// OutcomeTruth is the simulation's ground truth, for tests that check the
// reports recover it.
var OutcomeTruth = struct {
	// LiftTrigger converts (a bill_paid within 7 days) at LiftBase in the
	// holdout and LiftBase+Lift in the treatment; it halves the chance of
	// a payment_billing conversation within 7 days (IssueBase → IssueBase/2).
	LiftTrigger           string
	LiftBase, Lift        float64
	IssueBase, IssueTreat float64
	// NullTrigger has no effect: conversions are the customers' own orders.
	NullTrigger string
	// HoldoutShare of each trigger's customers.
	HoldoutShare float64
	// NBAAccept is each action's acceptance rate.
	NBAAccept map[string]float64
	// Recovery rates after a bot's or an agent's intervention.
	RecoverBot, RecoverAgent float64
}{
	LiftTrigger: "bill_instalment", LiftBase: 0.30, Lift: 0.20, IssueBase: 0.30, IssueTreat: 0.15,
	NullTrigger: "replenish_consumable", HoldoutShare: 0.25,
	NBAAccept:  map[string]float64{"coupon": 0.25, "tutorial": 0.40, "replenishment_reminder": 0.55, "exchange_offer": 0.30},
	RecoverBot: 0.60, RecoverAgent: 0.80,
}

type firingRecord struct {
	ID         string    `json:"id"`
	Trigger    string    `json:"trigger"`
	Occurrence string    `json:"occurrence"`
	At         time.Time `json:"at"`
	Group      string    `json:"group"`
	Outcome    string    `json:"outcome"`
	Channel    string    `json:"channel,omitempty"`
}

type handoffRecord struct {
	V               int        `json:"v"`
	HandoffID       string     `json:"handoff_id"`
	ConversationID  string     `json:"conversation_id"`
	Queue           string     `json:"queue"`
	Reason          string     `json:"reason"`
	CreatedAt       time.Time  `json:"created_at"`
	Status          string     `json:"status"`
	ClaimedAt       *time.Time `json:"claimed_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	Channel         string     `json:"channel,omitempty"`
	TransferredFrom string     `json:"transferred_from,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// inHoldout splits customers per trigger by a hash of both.
func inHoldout(trigger, key string) bool {
	sum := sha256.Sum256([]byte(trigger + "\x00" + key))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11)/float64(1<<53) < OutcomeTruth.HoldoutShare
}

// outcomes adds the outcome simulation to the customer's history.
func (s *sim) outcomes() {
	o := &outSim{sim: s, rng: rand.New(rand.NewPCG(uint64(s.cfg.Seed)^0x5eed0c0e, uint64(s.idx)))}
	o.liftTrigger()
	o.nullTrigger()
	o.conversations()
}

type outSim struct {
	*sim
	rng *rand.Rand
}

func (o *outSim) chance(p float64) bool { return o.rng.Float64() < p }

func (o *outSim) channel() string {
	if o.hasIdentity(memory.IdentityWeChatOpenID) && o.chance(0.5) {
		return "wechat"
	}
	return "web"
}

// randomAt is a daytime moment of a random day in [from, to) days, or
// false when the customer is not active through a week after it.
func (o *outSim) randomAt(from, to int) (time.Time, bool) {
	if to <= from {
		return time.Time{}, false
	}
	day := from + o.rng.IntN(to-from)
	at := o.dayStart(day).Add(time.Duration(9*60+o.rng.IntN(11*60)) * time.Minute)
	return at, o.activeAt(at.Add(7 * 24 * time.Hour))
}

func (o *outSim) fire(trigger string, at time.Time) bool {
	hold := inHoldout(trigger, o.c.Key)
	f := firingRecord{ID: fmt.Sprintf("seed-fire-%s-%s", trigger, o.c.Key), Trigger: trigger, Occurrence: "seed", At: at,
		Group: "treatment", Outcome: "sent", Channel: o.channel()}
	if hold {
		f.Group, f.Outcome = "holdout", "holdout"
	}
	o.emit(evFiring, at, f)
	return !hold
}

// liftTrigger: a third of the customers get a large bill's instalment
// offer; the treatment pays more often and asks about billing less.
func (o *outSim) liftTrigger() {
	if !o.chance(0.35) {
		return
	}
	at, ok := o.randomAt(o.joinDay, o.cfg.Days-10)
	if !ok {
		return
	}
	t := OutcomeTruth
	treated := o.fire(t.LiftTrigger, at)
	pay, issue := t.LiftBase, t.IssueBase
	if treated {
		pay, issue = t.LiftBase+t.Lift, t.IssueTreat
	}
	if o.chance(pay) {
		o.emit(evBillPd, at.Add(time.Duration(1+o.rng.IntN(140))*time.Hour), map[string]any{"amount": 1000 + o.rng.IntN(2000)})
	}
	if o.chance(issue) {
		o.conversation(at.Add(time.Duration(2+o.rng.IntN(140))*time.Hour), "payment_billing")
	}
}

// nullTrigger: a replenishment reminder that changes nothing; its
// conversions are the customers' own orders.
func (o *outSim) nullTrigger() {
	if o.cycle == 0 || !o.chance(0.6) {
		return
	}
	if at, ok := o.randomAt(o.joinDay, o.cfg.Days-10); ok {
		o.fire(OutcomeTruth.NullTrigger, at)
	}
}

var seedIntents = []string{"order_status", "shipping", "refund", "product_question", "size_fit", "payment_billing", "other"}

// conversations: about one support conversation a month per customer.
func (o *outSim) conversations() {
	for m := o.joinDay; m < o.cfg.Days; m += 30 {
		if !o.chance(0.5) {
			continue
		}
		at, _ := o.randomAt(m, min(m+30, o.cfg.Days))
		o.conversation(at, seedIntents[o.rng.IntN(len(seedIntents))])
	}
}

// conversation emits one conversation's turns, maybe a handoff record and
// an NBA offer with its feedback.
func (o *outSim) conversation(at time.Time, intent string) {
	if !o.activeAt(at) || at.After(o.cfg.End) {
		return
	}
	o.n++
	id := fmt.Sprintf("seedconv-%s-%d", o.c.Key, o.n)
	ch := o.channel()
	turns := 2 + o.rng.IntN(4)
	negAt := -1
	if o.chance(0.25) {
		negAt = 1
		turns = max(turns, 4)
	}
	botIntervene := negAt >= 0 && o.chance(0.6)
	handoff := (negAt >= 0 && !botIntervene && o.chance(0.7)) || (negAt < 0 && o.chance(0.08))
	recoverP := OutcomeTruth.RecoverBot
	if !botIntervene {
		recoverP = OutcomeTruth.RecoverAgent
	}
	recovers := negAt >= 0 && (botIntervene || handoff) && o.chance(recoverP)
	t := at
	var handAt time.Time
	asked := 0 // times the conversation's question came back
	for i := range turns {
		// Moods and trends as the insight analyzer names them; the risk
		// follows its calibration (one frustrated turn ≈ 0.4, a second
		// one without help crosses EscalateAt 0.6).
		mood, val, trend, risk := "calm", 0.1, "stable", 0.1
		switch {
		case negAt >= 0 && i == negAt:
			mood, val, trend, risk = "frustrated", -0.6, "worsening", 0.45
		case negAt >= 0 && i > negAt && !(recovers && i >= negAt+2):
			mood, val, trend, risk = "frustrated", -0.6, "stable", 0.65
		case recovers && i >= negAt+2:
			mood, val, trend, risk = "happy", 0.4, "improving", 0.15
		}
		props := map[string]any{"conversation_id": id, "seq": 2 * (i + 1), "intent": intent, "mood": mood, "valence": val,
			"trend": trend, "escalation_risk": risk, "repeats": 0, "channel": ch, "response_ms": 600 + o.rng.IntN(2400)}
		if i > 0 && o.chance(0.15) {
			asked++
			props["repeats"] = asked // how many times it was asked before
		}
		if botIntervene && i == negAt+1 {
			props["intervened"] = true
		}
		o.emit(evTurn, t, props)
		if handoff && handAt.IsZero() && (negAt < 0 && i == turns-1 || negAt >= 0 && i == negAt) {
			handAt = t.Add(10 * time.Second)
		}
		t = t.Add(time.Duration(20+o.rng.IntN(100)) * time.Second)
	}
	if handoff {
		claimed := handAt.Add(time.Duration(15+o.rng.IntN(300)) * time.Second)
		resolved := claimed.Add(time.Duration(3+o.rng.IntN(15)) * time.Minute)
		h := handoffRecord{V: 1, HandoffID: "seedh-" + id, ConversationID: id, Queue: "general", Reason: "seed", CreatedAt: handAt,
			Status: "resolved", ClaimedAt: &claimed, ResolvedAt: &resolved, Channel: ch, UpdatedAt: resolved}
		if o.chance(0.1) {
			h.TransferredFrom = "general"
		}
		o.emit(evHandoff, resolved, h)
	}
	if o.chance(0.5) {
		actions := []string{"coupon", "tutorial", "replenishment_reminder", "exchange_offer"}
		a := actions[o.rng.IntN(len(actions))]
		dec := "seeddec-" + id
		o.emit(evOffered, at, map[string]any{"decision_id": dec, "action": a, "arm": a, "context": "seed", "channel": ch})
		out := "declined"
		switch {
		case o.chance(OutcomeTruth.NBAAccept[a]):
			out = "accepted"
		case o.chance(0.5):
			out = "ignored"
		}
		o.emit(evFeedbk, at.Add(time.Duration(1+o.rng.IntN(60))*time.Minute), map[string]any{"decision_id": dec, "action": a, "arm": a, "context": "seed", "outcome": out})
	}
}
