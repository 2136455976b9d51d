package nba

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Options configure a Bandit.
type Options struct {
	// State holds the arms; required.
	State State
	// Events records adoption (nba_offered, nba_feedback); nil records
	// nothing, and then only Learn (not Feedback) teaches the bandit.
	Events EventLog
	Policy Policy
	// Rand drives the Thompson draws (default: seeded from crypto/rand).
	Rand *rand.Rand
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Bandit chooses next best actions. It is safe for concurrent use.
type Bandit struct {
	state  State
	events EventLog
	policy Policy
	now    func() time.Time
	logger *slog.Logger

	mu        sync.Mutex // guards rng and the exploration counters
	rng       *rand.Rand
	decisions int // this node's decisions with a choice to make
	explored  int // of which exploratory
}

// New returns a Bandit.
func New(o Options) (*Bandit, error) {
	if o.State == nil {
		return nil, errors.New("nba: a State is required")
	}
	if o.Rand == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		o.Rand = rand.New(rand.NewChaCha8(seed))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Bandit{state: o.State, events: o.Events, policy: o.Policy.withDefaults(), now: o.Now,
		logger: o.Logger.With("component", "nba"), rng: o.Rand}, nil
}

// Decide chooses the next best action for s: the guardrails exclude what
// may not be offered, the rule prior what does not fit, Thompson sampling
// picks among the rest (falling back to the best expected action when
// this node's exploration share is used up). With an EventLog, the offer
// is recorded as an nba_offered event before Decide returns; a failed
// record is an error (the caller then answers without an offer), so
// adoption reports never miss an offer that was made. When the shared
// state cannot be read, the decision rests on the prior alone (Degraded).
func (b *Bandit) Decide(ctx context.Context, s Situation) (Decision, error) {
	if s.CustomerID == "" && b.events != nil {
		return Decision{}, fmt.Errorf("nba: decide: customer id is required: %w", memory.ErrInvalid)
	}
	now := b.now().UTC()
	d := Decision{ID: newID(), CustomerID: s.CustomerID, Context: Bucket(s), At: now}
	arms, err := b.state.Arms(ctx, d.Context)
	if err != nil {
		b.logger.Warn("arms unavailable; deciding from the rules alone", "context", d.Context, "err", err)
		arms, d.Degraded = Arms{}, true
	}
	p := b.policy
	for _, a := range Actions {
		if why := guard(a, s, p, now); why != "" {
			d.block(a, why)
			continue
		}
		pr := prior(a, s)
		if pr < p.MinPrior {
			d.block(a, BlockLowPrior)
			continue
		}
		arm := arms[armKey(a, s)]
		alpha := 1 + pr*p.PriorStrength + float64(arm.Accepted)
		beta := 1 + (1-pr)*p.PriorStrength + float64(arm.Declined+arm.Ignored)
		d.Candidates = append(d.Candidates, Candidate{Action: a, Arm: armKey(a, s), Prior: pr, Mean: alpha / (alpha + beta)})
	}
	if len(d.Candidates) == 0 {
		// Everything blocked (e.g. escalation with humans off in a
		// proactive decision): the safe default.
		fallback := AnswerOnly
		if s.Proactive {
			fallback = DoNothing
		}
		delete(d.Blocked, fallback)
		d.Candidates = []Candidate{{Action: fallback, Arm: armKey(fallback, s), Prior: prior(fallback, s), Mean: prior(fallback, s)}}
	}
	chosen := b.choose(&d, arms, p)
	d.Action, d.Arm = chosen.Action, chosen.Arm
	if b.events != nil {
		if _, err := b.events.AppendEvents(ctx, []memory.Event{offeredEvent(d, s, chosen)}); err != nil {
			return Decision{}, fmt.Errorf("nba: record offer to %s: %w", s.CustomerID, err)
		}
	}
	return d, nil
}

func (d *Decision) block(a, why string) {
	if d.Blocked == nil {
		d.Blocked = map[string]string{}
	}
	d.Blocked[a] = why
}

// choose draws each candidate's acceptance from its Beta posterior and
// takes the best draw, unless that is exploratory (not the best expected
// action) and this node has explored its share already.
func (b *Bandit) choose(d *Decision, arms Arms, p Policy) Candidate {
	b.mu.Lock()
	defer b.mu.Unlock()
	best, greedy := 0, 0
	for i := range d.Candidates {
		c := &d.Candidates[i]
		arm := arms[c.Arm]
		alpha := 1 + c.Prior*p.PriorStrength + float64(arm.Accepted)
		beta := 1 + (1-c.Prior)*p.PriorStrength + float64(arm.Declined+arm.Ignored)
		c.Sample = betaSample(b.rng, alpha, beta)
		if c.Sample > d.Candidates[best].Sample {
			best = i
		}
		if c.Mean > d.Candidates[greedy].Mean {
			greedy = i
		}
	}
	if len(d.Candidates) > 1 {
		b.decisions++
		if best != greedy {
			if float64(b.explored) < p.MaxExploreShare*float64(b.decisions) {
				b.explored++
				d.Explored = true
			} else {
				best = greedy
			}
		}
	}
	return d.Candidates[best]
}

// ExploreShare reports this node's exploratory decisions so far and all
// decisions that had a choice.
func (b *Bandit) ExploreShare() (explored, decisions int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.explored, b.decisions
}

// Learn teaches the bandit the outcome of decision d without recording an
// event: for simulations, and for callers that record adoption
// themselves.
func (b *Bandit) Learn(ctx context.Context, d Decision, outcome string) error {
	return b.state.Record(ctx, d.Context, d.Arm, outcome)
}

// Feedback records the customer's response to an offer (accepted, declined
// or ignored) as an nba_feedback event and teaches the bandit. The offer
// must be one this customer was made within FeedbackWindow (ErrNotFound
// otherwise: a forged or stale decision id teaches nothing). A decision's
// first outcome counts; later ones for the same decision are ignored and
// reported with recorded false.
func (b *Bandit) Feedback(ctx context.Context, customerID, decisionID, outcome string) (recorded bool, err error) {
	if b.events == nil {
		return false, errors.New("nba: feedback needs an event log")
	}
	if outcome != Accepted && outcome != Declined && outcome != Ignored {
		return false, fmt.Errorf("nba: outcome %q: want accepted, declined or ignored: %w", clip(outcome), memory.ErrInvalid)
	}
	if !validID(decisionID) {
		return false, fmt.Errorf("nba: decision id %q: %w", clip(decisionID), memory.ErrInvalid)
	}
	now := b.now().UTC()
	offer, op, err := findOffer(ctx, b.events, customerID, decisionID, now)
	if err != nil {
		return false, err
	}
	props, _ := json.Marshal(FeedbackProps{DecisionID: decisionID, Action: op.Action, Arm: op.Arm, Context: op.Context, Outcome: outcome,
		LatencyS: math.Round(max(0, now.Sub(offer.At).Seconds()))})
	// Stored under the customer the offer was stored under (the survivor
	// when customerID was merged).
	created, err := b.events.AppendEvents(ctx, []memory.Event{{ID: "nba-feedback-" + decisionID, CustomerID: offer.CustomerID,
		Type: TypeFeedback, Source: EventSource, Props: props, At: now}})
	if err != nil {
		return false, fmt.Errorf("nba: record feedback on %s: %w", decisionID, err)
	}
	if len(created) == 0 || !created[0] {
		return false, nil
	}
	// Event first, then the arm: a crash in between loses one lesson but
	// never teaches one twice.
	if err := b.state.Record(ctx, op.Context, op.Arm, outcome); err != nil {
		return true, err
	}
	return true, nil
}

func newID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID accepts decision ids as newID makes them.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// betaSample draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~
// Gamma(b).
func betaSample(r *rand.Rand, a, b float64) float64 {
	x := gammaSample(r, a)
	y := gammaSample(r, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// gammaSample draws from Gamma(k, 1) by Marsaglia and Tsang's method
// (k < 1 boosted by U^(1/k)).
func gammaSample(r *rand.Rand, k float64) float64 {
	if k < 1 {
		return gammaSample(r, k+1) * math.Pow(r.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
