package proactive

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// History is what the engine reads from the system of record:
// memory.Store provides it.
type History interface {
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
	Profile(ctx context.Context, customerID string) (memory.Profile, error)
}

// Insight is what conditions see of the customer's latest conversation
// insight (bot/insight's Insight and Trajectory, reduced to what triggers
// ask about), as insight.mood, insight.trend, insight.escalation_risk ...
type Insight struct {
	Intent         string  // bot/insight intent of the latest turn
	Mood           string  // calm, happy, confused, anxious, frustrated, angry
	Valence        float64 // -1..1
	Arousal        float64 // 0..1
	Trend          string  // improving, stable, worsening
	Forecast       string  // the expected mood of the next turn
	EscalationRisk float64 // 0..1
	Escalate       bool    // the trajectory calls for intervention
	Repeats        int     // customer turns repeating an earlier question
	Lang           string  // "zh", "en" or ""
	At             time.Time
}

// InsightSource gives the latest insight of a customer's conversations;
// ok is false when there is none. The gateway adapts bot/insight to it.
type InsightSource interface {
	LatestInsight(ctx context.Context, customerID string) (in Insight, ok bool, err error)
}

// ChurnSource gives a customer's churn risk, 0..1 (bot/predict).
type ChurnSource interface {
	ChurnRisk(ctx context.Context, customerID string) (float64, error)
}

// Timer is a pending time-trigger check for one customer.
type Timer struct {
	Trigger  string    `json:"trigger"`
	Customer string    `json:"customer"`
	Due      time.Time `json:"due"`
	// Origin is the event that armed the timer; conditions see it as
	// `event`.
	Origin Event `json:"origin"`
}

// Timers keeps time-trigger checks durably and hands each due timer to
// Engine.HandleTimer once. There is at most one pending timer per
// (trigger, customer): Arm replaces it, or with ifIdle leaves a pending
// one as it is.
type Timers interface {
	Arm(ctx context.Context, t Timer, ifIdle bool) error
}

// Config configures an Engine.
type Config struct {
	// State is the durable state (required): stream.NewState in
	// production, NewMemState for tests and backtests.
	State State
	// History reads stored events (to rebuild a customer's window after a
	// restart) and profiles. Optional: without it windows start empty and
	// profile is empty.
	History   History
	Insights  InsightSource // optional
	Churn     ChurnSource   // optional
	Deliverer Deliverer     // optional: without it message actions fail (recorded)
	Drafter   Drafter       // optional: LLM drafting of messages with a brief
	Handoff   Handoff       // optional: without it handoff actions fail (recorded)
	Timers    Timers        // optional: without it time triggers are not armed
	Guard     Guard
	// HTTPClient sends webhooks (default: a client without redirects).
	HTTPClient *http.Client
	// Secret returns a webhook secret by the name a trigger gives in
	// secret_env (default os.Getenv). DefaultSecret signs webhooks whose
	// trigger names none.
	Secret        func(name string) string
	DefaultSecret string
	// DefaultLang is used when neither the customer's nor the trigger's
	// language is known (default "zh").
	DefaultLang string
	// Lookback is how much of a customer's history windows hold (default
	// 35 days); MaxEvents bounds each window (default 1000) and
	// MaxCustomers the windows kept (default 200,000).
	Lookback     time.Duration
	MaxEvents    int
	MaxCustomers int
	// MaxLag: events older than this when they arrive update windows but
	// fire nothing (default 1h), so a back-fill never messages customers
	// about last week. Negative: no limit (backtests).
	MaxLag time.Duration
	// NoHoldout puts every customer in the treatment group (demos, where a
	// visitor trying a scenario must see it act). Reports then have no
	// holdout to compare with.
	NoHoldout bool
	// DryRun records what would be done without delivering, calling
	// webhooks or handing off (backtests).
	DryRun bool
	Logger *slog.Logger
	Now    func() time.Time
}

// Engine evaluates the trigger matrix. It is safe for concurrent use;
// events of one customer are evaluated one at a time.
type Engine struct {
	cfg    Config
	state  State
	guard  Guard
	logger *slog.Logger
	now    func() time.Time
	matrix atomic.Pointer[Matrix]
	wins   *windows
	hooks  *webhooks
	wg     sync.WaitGroup

	// evalHook, when set, sees every condition evaluation (check).
	evalHook func(trigger string, fired bool)

	// Counters for metrics and benchmarks.
	Evaluated, Fired, EvalErrors atomic.Int64
}

// New returns an Engine running m (which may be replaced by SetMatrix).
func New(cfg Config, m *Matrix) (*Engine, error) {
	if cfg.State == nil {
		return nil, errors.New("proactive: new: State is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Secret == nil {
		cfg.Secret = os.Getenv
	}
	cfg.DefaultLang = cmp.Or(cfg.DefaultLang, "zh")
	cfg.Lookback = cmp.Or(cfg.Lookback, 35*24*time.Hour)
	cfg.MaxEvents = cmp.Or(cfg.MaxEvents, 1000)
	cfg.MaxCustomers = cmp.Or(cfg.MaxCustomers, 200_000)
	cfg.MaxLag = cmp.Or(cfg.MaxLag, time.Hour)
	cfg.Guard.defaults()
	e := &Engine{cfg: cfg, state: cfg.State, guard: cfg.Guard, logger: cfg.Logger.With("component", "proactive"),
		now: cfg.Now, wins: newWindows(cfg.MaxCustomers)}
	e.hooks = newWebhooks(cfg.HTTPClient, cfg.Secret, cfg.DefaultSecret)
	if m == nil {
		m = &Matrix{byType: map[string][]*Trigger{}, byID: map[string]*Trigger{}}
	}
	e.matrix.Store(m)
	return e, nil
}

// SetMatrix replaces the running matrix (hot reload).
func (e *Engine) SetMatrix(m *Matrix) { e.matrix.Store(m) }

// Matrix returns the running matrix.
func (e *Engine) Matrix() *Matrix { return e.matrix.Load() }

// Forget drops the windows of the customers match selects; they are
// rebuilt from History when their customer's next event or timer comes.
// A runner calls it when a partition comes (back) to this engine, whose
// windows of it may miss what another engine saw meanwhile.
func (e *Engine) Forget(match func(customer string) bool) { e.wins.dropWhere(match) }

// Wait waits for actions running in the background (webhooks,
// deliveries) to finish.
func (e *Engine) Wait() { e.wg.Wait() }

// DecodeEvent turns a stored event into what conditions see. Props that
// are not a JSON object are dropped (and reported).
func DecodeEvent(ev memory.Event) (Event, error) {
	out := Event{ID: ev.ID, Type: ev.Type, At: ev.At, Source: ev.Source}
	if len(ev.Props) > 0 {
		props, err := decodeProps(ev.Props)
		if err != nil {
			return out, fmt.Errorf("event %s: props: %w", ev.ID, err)
		}
		out.Props = props
	}
	return out, nil
}

// HandleEvent takes one event of a customer: it joins the customer's
// window (once, however often it is delivered), arms the time triggers it
// wakes, and evaluates the event triggers it wakes; the best firing that
// passes the guardrails acts. Expression errors are logged with the
// trigger id and skip that trigger for this event. The returned error is
// only about durable state (the caller should retry the event later).
func (e *Engine) HandleEvent(ctx context.Context, mev memory.Event) error {
	if mev.CustomerID == "" || mev.ID == "" || mev.At.IsZero() {
		return fmt.Errorf("proactive: event %q: customer, id and time are required: %w", mev.ID, memory.ErrInvalid)
	}
	ev, err := DecodeEvent(mev)
	if err != nil {
		e.logger.Warn("event props ignored", "event", mev.ID, "err", err)
	}
	m := e.matrix.Load()
	woken := m.woken(ev.Type)
	var outErr error
	e.wins.with(mev.CustomerID, e.now(), func(w *window) {
		e.loadHistory(ctx, w, mev.CustomerID, ev.At)
		if !w.add(&ev, true) {
			return // a duplicate or a redelivery: evaluated already
		}
		w.trim(e.cfg.Lookback, e.cfg.MaxEvents)
		if len(woken) == 0 {
			return
		}
		if e.cfg.MaxLag > 0 && e.now().Sub(ev.At) > e.cfg.MaxLag {
			return // a late back-fill: it counts in windows, but fires nothing
		}
		e.Evaluated.Add(1)
		env := newEnv(ev, ev.At, mev.CustomerID, w)
		defer env.release()
		e.loadContext(ctx, env, w, woken)
		var fired []*Trigger
		for _, t := range woken {
			if t.Timed() {
				e.arm(ctx, t, env)
				continue
			}
			ok, err := t.cond.bool(env)
			if err != nil {
				e.EvalErrors.Add(1)
				e.logger.Warn("trigger condition failed; skipped for this event", "trigger", t.ID, "event", ev.ID, "err", err)
				continue
			}
			if e.evalHook != nil {
				e.evalHook(t.ID, ok)
			}
			if ok {
				fired = append(fired, t)
			}
		}
		if len(fired) > 0 {
			outErr = e.decide(ctx, env, w, fired, ev.ID, nil)
		}
	})
	return outErr
}

// HandleTimer takes a due timer: its trigger's condition is checked with
// the event that armed it, and a periodic trigger is armed again.
func (e *Engine) HandleTimer(ctx context.Context, tm Timer) error {
	m := e.matrix.Load()
	t, ok := m.Trigger(tm.Trigger)
	if !ok {
		e.logger.Info("due timer of a trigger no longer loaded; dropped", "trigger", tm.Trigger, "customer", tm.Customer)
		return nil
	}
	var outErr error
	e.wins.with(tm.Customer, e.now(), func(w *window) {
		e.loadHistory(ctx, w, tm.Customer, tm.Due)
		env := newEnv(tm.Origin, tm.Due, tm.Customer, w)
		defer env.release()
		e.loadContext(ctx, env, w, []*Trigger{t})
		e.Evaluated.Add(1)
		fire := true
		if t.cond != nil {
			ok, err := t.cond.bool(env)
			if err != nil {
				e.EvalErrors.Add(1)
				e.logger.Warn("trigger condition failed; timer skipped", "trigger", t.ID, "customer", tm.Customer, "err", err)
				ok = false
			}
			fire = ok
		}
		if e.evalHook != nil {
			e.evalHook(t.ID, fire)
		}
		if t.Every > 0 {
			active := cmp.Or(t.ActiveFor.D(), 8*7*24*time.Hour)
			if last := w.last(t.On, tm.Due); !last.IsZero() && tm.Due.Sub(last) <= active {
				next := tm
				next.Due = tm.Due.Add(t.Every.D())
				e.armTimer(ctx, next, false)
			}
		}
		if fire {
			occ := fmt.Sprintf("%s@%d", tm.Origin.ID, tm.Due.Unix())
			outErr = e.decide(ctx, env, w, []*Trigger{t}, occ, &tm)
		}
	})
	return outErr
}

// loadHistory reads the customer's stored events once per window, so that
// a restarted engine (or a new partition owner) sees the same window.
func (e *Engine) loadHistory(ctx context.Context, w *window, customer string, at time.Time) {
	if w.loaded || e.cfg.History == nil {
		w.loaded = true
		return
	}
	evs, err := e.cfg.History.Events(ctx, customer, memory.EventQuery{Since: at.Add(-e.cfg.Lookback), Limit: e.cfg.MaxEvents, Desc: true})
	if err != nil && !errors.Is(err, memory.ErrNotFound) {
		e.logger.Warn("customer history not loaded; window starts empty", "customer", customer, "err", err)
		return // try again on the next event
	}
	w.loaded = true
	for _, mev := range evs {
		ev, _ := DecodeEvent(mev)
		w.add(&ev, false)
	}
}

const contextTTL = 30 * time.Second

// loadContext fills the profile, insight and churn risk when a trigger
// to evaluate reads them.
func (e *Engine) loadContext(ctx context.Context, env *Env, w *window, ts []*Trigger) {
	var u uses
	for _, t := range ts {
		u = u.or(t.uses)
	}
	if u.profile {
		env.Profile = e.profileMap(ctx, w, env.Customer.ID, env.Now)
	}
	if u.insight && e.cfg.Insights != nil {
		in, ok, err := e.cfg.Insights.LatestInsight(ctx, env.Customer.ID)
		if err != nil {
			e.logger.Warn("insight not loaded", "customer", env.Customer.ID, "err", err)
		} else if ok {
			env.Insight = insightMap(in)
		}
	}
	if u.churn && e.cfg.Churn != nil {
		r, err := e.cfg.Churn.ChurnRisk(ctx, env.Customer.ID)
		if err != nil {
			e.logger.Warn("churn risk not loaded", "customer", env.Customer.ID, "err", err)
		}
		env.Churn = r
	}
}

func (e *Engine) profileMap(ctx context.Context, w *window, customer string, now time.Time) map[string]any {
	if w.profile != nil && e.now().Sub(w.profileAt) < contextTTL {
		return w.profile
	}
	if e.cfg.History == nil {
		return map[string]any{}
	}
	p, err := e.cfg.History.Profile(ctx, customer)
	if err != nil {
		e.logger.Warn("profile not loaded", "customer", customer, "err", err)
		return map[string]any{}
	}
	p.Business.Stage = profile.Stage(&p, now)
	var m map[string]any
	if b, err := json.Marshal(p); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	w.profile, w.profileAt = m, e.now()
	return m
}

func insightMap(in Insight) map[string]any {
	return map[string]any{
		"intent": in.Intent, "mood": in.Mood, "valence": in.Valence, "arousal": in.Arousal,
		"trend": in.Trend, "forecast": in.Forecast, "escalation_risk": in.EscalationRisk,
		"escalate": in.Escalate, "repeats": in.Repeats, "lang": in.Lang, "at": in.At,
	}
}

// arm evaluates a time trigger's `at` for the event in env and arms its
// timer.
func (e *Engine) arm(ctx context.Context, t *Trigger, env *Env) {
	out, err := t.at.run(env)
	if err != nil {
		e.EvalErrors.Add(1)
		e.logger.Warn("trigger `at` failed; not armed for this event", "trigger", t.ID, "event", env.Event.ID, "err", err)
		return
	}
	due, ok := out.(time.Time)
	if !ok {
		if out != nil {
			e.logger.Warn("trigger `at` gave no time; not armed", "trigger", t.ID, "got", fmt.Sprintf("%T", out))
		}
		return
	}
	e.armTimer(ctx, Timer{Trigger: t.ID, Customer: env.Customer.ID, Due: due.UTC(), Origin: env.Event}, t.Every > 0)
}

func (e *Engine) armTimer(ctx context.Context, tm Timer, ifIdle bool) {
	if e.cfg.Timers == nil {
		e.logger.Debug("no timers configured; time trigger not armed", "trigger", tm.Trigger)
		return
	}
	if err := e.cfg.Timers.Arm(ctx, tm, ifIdle); err != nil {
		e.logger.Error("arm timer", "trigger", tm.Trigger, "customer", tm.Customer, "err", err)
	}
}

// inHoldout assigns a customer to a trigger's holdout by a stable hash of
// both ids, so assignment survives restarts and is the same on every node.
func inHoldout(trigger, customer string, share float64) bool {
	if share <= 0 {
		return false
	}
	h := sha256.Sum256([]byte(trigger + "\x00" + customer))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	return u < share
}

// key hashes the parts of an idempotency key or record id.
func key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// decide applies the guardrails to simultaneous firings, lets the best
// passing one act (or withholds it for the holdout, or drafts it for
// approval) and records the rest as suppressed.
func (e *Engine) decide(ctx context.Context, env *Env, w *window, fired []*Trigger, occ string, tm *Timer) error {
	e.Fired.Add(int64(len(fired)))
	cust, now := env.Customer.ID, env.Now
	slices.SortFunc(fired, func(a, b *Trigger) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	cs, err := e.state.Customer(ctx, cust)
	if err != nil {
		return fmt.Errorf("proactive: customer state %s: %w", cust, err)
	}
	env.Customer.Tags, env.Customer.Lang = cs.Tags, cs.Lang
	var winner *Trigger
	for _, t := range fired {
		reason := GuardSuperseded
		if winner == nil {
			reason = e.guard.check(t, &cs, now)
			if reason == GuardQuietHours && tm != nil {
				// A time trigger waits for the morning instead.
				next := *tm
				next.Due = e.guard.quietEnd(&cs, now)
				e.armTimer(ctx, next, false)
			}
			if reason == "" {
				winner = t
				continue
			}
		}
		e.record(ctx, Firing{ID: key(t.ID, cust, occ, OutcomeSuppressed), Trigger: t.ID, Customer: cust, Occurrence: occ, At: now,
			Group: e.groupOf(t, cust), Outcome: OutcomeSuppressed, Reason: reason})
	}
	if winner == nil {
		return nil
	}
	t := winner
	claimed, err := e.state.Claim(ctx, key("claim", t.ID, cust, occ))
	if err != nil {
		return fmt.Errorf("proactive: claim %s for %s: %w", t.ID, cust, err)
	}
	if !claimed {
		return nil // acted on before: a redelivered event or timer
	}
	group := e.groupOf(t, cust)
	holdout := group == GroupHoldout
	cs, err = e.state.UpdateCustomer(ctx, cust, func(c *CustomerState) error {
		addSend(c, Send{Trigger: t.ID, At: now, Facing: t.facing, Holdout: holdout})
		if !holdout {
			for _, a := range t.Actions {
				if a.Type == ActTag && !slices.Contains(c.Tags, a.Tag) {
					c.Tags = append(c.Tags, a.Tag)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("proactive: record send of %s to %s: %w", t.ID, cust, err)
	}
	f := Firing{ID: key(t.ID, cust, occ, "act"), Trigger: t.ID, Customer: cust, Occurrence: occ, At: now, Group: group}
	if holdout {
		f.Outcome = OutcomeHoldout
		e.record(ctx, f)
		return nil
	}
	plan := e.plan(ctx, t, env, w, &cs, occ)
	if e.cfg.DryRun {
		f.Outcome = OutcomeSent
		if t.Guardrails.Approval && plan.hasMessage() {
			f.Outcome = OutcomeDraft
		}
		e.record(ctx, f)
		return nil
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		e.execute(actx, t, plan, f)
	}()
	return nil
}

func (e *Engine) groupOf(t *Trigger, customer string) string {
	if !e.cfg.NoHoldout && inHoldout(t.ID, customer, t.Holdout) {
		return GroupHoldout
	}
	return GroupTreatment
}

func (e *Engine) record(ctx context.Context, f Firing) {
	if err := e.state.Record(ctx, f); err != nil {
		e.logger.Error("firing not recorded", "trigger", f.Trigger, "customer", f.Customer, "outcome", f.Outcome, "err", err)
	}
}

// InHoldout reports whether a customer is in a trigger's holdout group for
// the given share: a stable hash of both ids, the same on every node and
// after restarts.
func InHoldout(trigger, customer string, share float64) bool {
	return inHoldout(trigger, customer, share)
}
