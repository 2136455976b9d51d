package proactive

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Message is a proactive message for a customer.
type Message struct {
	Trigger    string
	Customer   string
	Occurrence string
	// Kind is ActOpenConversation (start a conversation: the widget
	// opens) or ActSendMessage (a message in the current conversation).
	Kind string
	Text string
	Lang string
	// HumanOption: the text ends with an offer to talk to a person.
	HumanOption bool
	At          time.Time
}

// Delivery is where a message went.
type Delivery struct {
	Channel        string // "web", "wechat", ...
	ConversationID string
	// Stored is true when no channel could reach the customer now: the
	// message is kept and shown at their next visit.
	Stored bool
}

// Deliverer sends a proactive message on the customer's best reachable
// channel, respecting each channel's rules (WeChat's 48-hour window, ...),
// and stores it for the next visit when nothing is reachable. The gateway
// implements it (WebDeliverer covers the website).
type Deliverer interface {
	Deliver(ctx context.Context, m Message) (Delivery, error)
}

// DraftRequest asks a language model to write a proactive message.
type DraftRequest struct {
	Trigger  string
	Customer string
	Lang     string
	// Brief says what the message is for; Template is the offline text,
	// which the model may follow or improve.
	Brief    string
	Template string
	Profile  map[string]any
	Event    Event
}

// Drafter writes a message with "slow thinking" (draft, check, revise);
// bot/llm's Deliberate implements it. On error the template text is used.
type Drafter interface {
	Draft(ctx context.Context, r DraftRequest) (string, error)
}

// HandoffRequest asks for a human to take over, with context.
type HandoffRequest struct {
	Customer string
	Queue    string
	Reason   string
	Trigger  string
	At       time.Time
	// Recent are the customer's last events (at most 20), oldest first.
	Recent []Event
}

// Handoff puts a customer in a human queue (the handoff issue implements
// it).
type Handoff interface {
	RequestHandoff(ctx context.Context, r HandoffRequest) error
}

// Human-option lines, appended when an action sets human_option.
var humanLine = map[string]string{
	"zh": "如需人工客服，直接回复“转人工”即可。",
	"en": `Prefer a person? Reply "human" and we'll connect you.`,
}

// plan is a firing's actions made concrete while the customer's window is
// at hand: texts rendered, webhook data evaluated.
type plan struct {
	steps []step
}

type step struct {
	Action
	text, lang string
	data       map[string]any
	recent     []Event
	event      Event
	profile    map[string]any
	customer   string
	at         time.Time
	idemKey    string
	err        error
}

func (p plan) hasMessage() bool {
	for _, s := range p.steps {
		if s.Type == ActOpenConversation || s.Type == ActSendMessage {
			return true
		}
	}
	return false
}

// lang picks the customer's language: their stored one, then the
// conversation's, then the trigger's, then the engine's default.
func (e *Engine) lang(t *Trigger, env *Env, cs *CustomerState) string {
	for _, l := range []string{cs.Lang, langOf(env.Insight), t.Lang, e.cfg.DefaultLang} {
		if l == "zh" || l == "en" {
			return l
		}
	}
	return "zh"
}

func langOf(m map[string]any) string {
	s, _ := m["lang"].(string)
	return s
}

func (e *Engine) plan(ctx context.Context, t *Trigger, env *Env, w *window, cs *CustomerState, occ string) plan {
	var p plan
	lang := e.lang(t, env, cs)
	needProfile := false
	for _, a := range t.Actions {
		needProfile = needProfile || len(a.Text) > 0
	}
	if needProfile && env.Profile == nil {
		env.Profile = e.profileMap(ctx, w, env.Customer.ID, env.Now)
	}
	for i, a := range t.Actions {
		s := step{Action: a, customer: env.Customer.ID, at: env.Now, event: env.Event, profile: env.Profile,
			idemKey: key("webhook", t.ID, env.Customer.ID, occ, fmt.Sprint(i))}
		switch a.Type {
		case ActOpenConversation, ActSendMessage:
			s.lang = lang
			tpl := t.texts[i][lang]
			if tpl == nil { // fall back to the other language
				for l, x := range t.texts[i] {
					s.lang, tpl = l, x
					break
				}
			}
			var b strings.Builder
			data := map[string]any{"event": env.Event, "profile": env.Profile, "customer": env.Customer, "now": env.Now}
			if err := tpl.Execute(&b, data); err != nil {
				s.err = fmt.Errorf("text template: %w", err)
			}
			s.text = strings.TrimSpace(b.String())
		case ActWebhook:
			s.data = map[string]any{}
			for k, prog := range t.data[i] {
				v, err := prog.run(env)
				if err != nil {
					e.EvalErrors.Add(1)
					e.logger.Warn("webhook data expression failed", "trigger", t.ID, "field", k, "err", err)
					continue
				}
				s.data[k] = v
			}
		case ActHandoff:
			all := w.recent("*", env.Now.Add(-e.cfg.Lookback), env.Now)
			for _, ev := range all[max(0, len(all)-20):] {
				c := *ev
				c.memo, c.pathOf, c.path = memo{}, "", nil // the window's caches stay with the window
				s.recent = append(s.recent, c)
			}
		case ActSchedule:
			e.armTimer(ctx, Timer{Trigger: a.Trigger, Customer: env.Customer.ID, Due: env.Now.Add(a.After.D()), Origin: env.Event}, false)
		}
		p.steps = append(p.steps, s)
	}
	return p
}

// execute runs a firing's plan and records the firing with each action's
// result.
func (e *Engine) execute(ctx context.Context, t *Trigger, p plan, f Firing) {
	f.Outcome = OutcomeSent
	for _, s := range p.steps {
		r := ActionResult{Type: s.Type, OK: true}
		switch s.Type {
		case ActOpenConversation, ActSendMessage:
			if s.err != nil {
				r.OK, r.Error = false, s.err.Error()
				break
			}
			text := e.draft(ctx, t, s)
			if s.HumanOption {
				text += "\n" + humanLine[s.lang]
			}
			m := Message{Trigger: t.ID, Customer: s.customer, Occurrence: f.Occurrence, Kind: s.Type, Text: text,
				Lang: s.lang, HumanOption: s.HumanOption, At: s.at}
			if t.Guardrails.Approval {
				d := Draft{ID: "drf_" + key(t.ID, s.customer, f.Occurrence, s.Type), Trigger: t.ID, Customer: s.customer,
					Occurrence: f.Occurrence, Kind: s.Type, Lang: s.lang, Text: text, Human: s.HumanOption,
					Status: DraftPending, CreatedAt: e.now()}
				if err := e.state.PutDraft(ctx, d); err != nil {
					r.OK, r.Error = false, "store draft: "+err.Error()
				} else {
					r.Detail = d.ID
					f.Outcome = OutcomeDraft
				}
				break
			}
			if e.cfg.Deliverer == nil {
				r.OK, r.Error = false, "no deliverer configured"
				break
			}
			d, err := e.cfg.Deliverer.Deliver(ctx, m)
			if err != nil {
				r.OK, r.Error = false, err.Error()
				break
			}
			f.Channel, f.Stored = d.Channel, d.Stored
			r.Detail = d.ConversationID
		case ActHandoff:
			if e.cfg.Handoff == nil {
				r.OK, r.Error = false, "no handoff configured"
				break
			}
			err := e.cfg.Handoff.RequestHandoff(ctx, HandoffRequest{Customer: s.customer, Queue: s.Queue, Reason: s.Reason,
				Trigger: t.ID, At: s.at, Recent: s.recent})
			if err != nil {
				r.OK, r.Error = false, err.Error()
			}
		case ActWebhook:
			r = e.hooks.send(ctx, t.ID, s)
		}
		f.Actions = append(f.Actions, r)
	}
	if f.Outcome == OutcomeSent {
		for _, r := range f.Actions {
			if !r.OK {
				f.Outcome, f.Reason = OutcomeFailed, r.Type+": "+r.Error
				break
			}
		}
	}
	e.record(ctx, f)
	if f.Outcome == OutcomeFailed {
		e.logger.Warn("trigger action failed", "trigger", t.ID, "customer", f.Customer, "reason", f.Reason)
	}
}

// draft asks the Drafter for the message when the action has a brief,
// falling back to the template text.
func (e *Engine) draft(ctx context.Context, t *Trigger, s step) string {
	if e.cfg.Drafter == nil || s.Brief == "" {
		return s.text
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := e.cfg.Drafter.Draft(dctx, DraftRequest{Trigger: t.ID, Customer: s.customer, Lang: s.lang, Brief: s.Brief,
		Template: s.text, Profile: s.profile, Event: s.event})
	if err != nil || strings.TrimSpace(out) == "" {
		e.logger.Warn("drafter failed; the template text is used", "trigger", t.ID, "err", err)
		return s.text
	}
	return strings.TrimSpace(out)
}
