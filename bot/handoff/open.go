package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// OpenRequest asks for a conversation to be handed to a human.
type OpenRequest struct {
	ConversationID string
	CustomerID     string
	Channel        string
	Lang           string // the customer's language, "zh" or "en"
	// Decision is the policy's; Reason and Reasons are copied from it.
	Decision Decision
	// Insight is the last turn's reading, when there was one.
	Insight *insight.Insight
	// Question is the customer's latest message; ReplyTo its seq, which
	// the notice to the customer answers.
	Question string
	ReplyTo  int64
	// Queue is a queue asked for by name (a trigger's); otherwise the
	// intent decides.
	Queue   string
	Trigger string
	// Tier is the customer's tier when the caller knows it.
	Tier string
}

// packageTimeout bounds building the package: the customer is waiting for
// the notice.
const packageTimeout = 3 * time.Second

// Open hands a conversation to a human: it records the handoff (one open
// handoff per conversation: asking again returns the open one), builds the
// package, publishes kairos.handoff.requested and tells the customer what
// happens next and the expected wait — or, outside working hours, asks for
// details for a call back.
func (s *Service) Open(ctx context.Context, req OpenRequest) (Record, error) {
	if !ValidID(req.ConversationID) {
		return Record{}, errf(CodeInvalid, "conversation id %q", req.ConversationID)
	}
	if r, ok := s.Owner(req.ConversationID); ok {
		return r, nil
	}
	id := memory.NewID("h_")
	if _, err := s.state.Create(ctx, "c."+req.ConversationID, []byte(id)); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Record{}, fmt.Errorf("handoff: open: %w", err)
		}
		// Another node (or an earlier attempt) got there first; its
		// handoff stands if it is still open, else it is replaced.
		e, gerr := s.state.Get(ctx, "c."+req.ConversationID)
		if gerr != nil {
			return Record{}, fmt.Errorf("handoff: open: %w", gerr)
		}
		if r, gerr := s.get(ctx, string(e.Value())); gerr == nil && open(r.Status) {
			return r, nil
		}
		if _, err := s.state.Update(ctx, "c."+req.ConversationID, []byte(id), e.Revision()); err != nil {
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				return s.owned(ctx, req.ConversationID)
			}
			return Record{}, fmt.Errorf("handoff: open: %w", err)
		}
	}
	now := s.now().UTC()
	pkg := s.buildPackage(ctx, req, id, now)
	lang := req.Lang
	if lang == "" && pkg.Insight != nil {
		lang = pkg.Insight.Lang
	}
	if lang != "zh" {
		lang = "en"
	}
	r := Record{
		V: Version, HandoffID: id, ConversationID: req.ConversationID, CustomerID: req.CustomerID,
		Reason: req.Decision.Reason, Reasons: req.Decision.Reasons, CreatedAt: now, UpdatedAt: now,
		Status: StatusWaiting, Channel: req.Channel, Lang: lang, Trigger: req.Trigger, Tier: req.Tier,
		VIP: req.Decision.VIP || s.policy.IsVIP(req.Tier),
	}
	if r.Reason == "" {
		r.Reason = ReasonHumanRequest
		r.Reasons = []string{r.Reason}
	}
	var risk float64
	if in := req.Insight; in != nil {
		r.Intent, r.Need, r.Mood, risk = in.Intent, in.Need, in.Mood, in.Trajectory.EscalationRisk
		r.EscalationRisk = risk
	}
	if c := pkg.Customer; c != nil {
		if r.Tier == "" {
			r.Tier = c.Tier
		}
		r.CustomerName = c.Name
		r.VIP = r.VIP || c.VIP || s.policy.IsVIP(c.Tier)
	}
	r.Summary = pkg.Summary
	d := req.Decision
	d.VIP = r.VIP
	r.Queue = s.cfg.Routing.QueueFor(r.Intent, req.Queue)
	r.Priority = priority(d, risk)

	open := s.cfg.Hours.OpenAt(now)
	var due time.Time
	if open {
		due = now.Add(s.cfg.Routing.SLA)
	} else {
		r.Status = StatusCallback
		due = s.cfg.Hours.NextOpen(now).Add(s.cfg.Routing.SLA)
	}
	r.SLADueAt = &due
	r.Position = s.position(r)
	r.WaitEstimateS = s.waitFor(r.Queue, r.Position)

	pdata, err := json.Marshal(pkg)
	if err != nil {
		return Record{}, fmt.Errorf("handoff: open: encode package: %w", err)
	}
	if _, err := s.state.Put(ctx, "p."+id, pdata); err != nil {
		return Record{}, fmt.Errorf("handoff: open: store package: %w", err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return Record{}, fmt.Errorf("handoff: open: encode: %w", err)
	}
	rev, err := s.state.Create(ctx, "h."+id, data)
	if err != nil {
		return Record{}, fmt.Errorf("handoff: open: store: %w", err)
	}
	r.Revision = rev
	s.applyLocal(r)
	s.mu.Lock()
	s.convs[r.ConversationID] = id
	s.mu.Unlock()
	s.publish(ctx, r, EventRequested)
	if open {
		s.say(ctx, r.ConversationID, "handoff:"+id+":opened", noticeWaiting(lang, r.Position, r.WaitEstimateS), req.ReplyTo)
	} else {
		s.say(ctx, r.ConversationID, "handoff:"+id+":opened", noticeAfterHours(lang, s.cfg.Hours.NextOpen(now)), req.ReplyTo)
	}
	s.log.Info("handoff requested", "handoff", id, "conversation", r.ConversationID, "queue", r.Queue,
		"priority", r.Priority, "reason", r.Reason, "status", r.Status)
	return r, nil
}

// buildPackage asks the packager, within packageTimeout; a failure leaves
// a package with what the request itself knows.
func (s *Service) buildPackage(ctx context.Context, req OpenRequest, id string, now time.Time) Package {
	p := Package{}
	if s.cfg.Packager != nil {
		pctx, cancel := context.WithTimeout(ctx, packageTimeout)
		var err error
		p, err = s.cfg.Packager.HandoffPackage(pctx, PackageInput{
			ConversationID: req.ConversationID, CustomerID: req.CustomerID, Lang: req.Lang,
			Question: req.Question, Insight: req.Insight, Reason: req.Decision.Reason,
		})
		cancel()
		if err != nil {
			s.log.Warn("handoff package", "conversation", req.ConversationID, "err", err)
		}
	}
	p.V, p.HandoffID, p.CreatedAt = Version, id, now
	if p.Insight == nil && req.Insight != nil {
		in := req.Insight
		p.Insight = &PackageInsight{Intent: in.Intent, Need: in.Need, NeedReason: in.NeedReason, Mood: in.Mood, Lang: in.Lang, Trajectory: in.Trajectory}
	}
	if p.Summary == "" && req.Question != "" {
		p.Summary, p.SummarySource = clip(req.Question, 300), "extractive"
	}
	return p
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// Forward publishes a customer message of a conversation a human owns to
// kairos.conv.<id>.customer. The message must already be stored. Callers
// forward a conversation's messages in seq order. A callback handoff still
// waiting for details takes this message as the details.
func (s *Service) Forward(ctx context.Context, r Record, m memory.Message, channel, lang string) error {
	cm := CustomerMessage{V: Version, ConversationID: m.ConversationID, HandoffID: r.HandoffID, Seq: m.Seq,
		Text: m.Text, Channel: channel, Lang: lang, At: m.CreatedAt.UTC()}
	data, err := json.Marshal(cm)
	if err != nil {
		return fmt.Errorf("handoff: forward: %w", err)
	}
	if _, err := s.js.Publish(ctx, ConvSubject(m.ConversationID, "customer"), data,
		jetstream.WithMsgID(m.ConversationID+":"+fmt.Sprint(m.Seq))); err != nil {
		return fmt.Errorf("handoff: forward %s/%d: %w", m.ConversationID, m.Seq, err)
	}
	if r.Status == StatusCallback && r.Callback == nil {
		s.callbackDetails(ctx, r.HandoffID, m)
	}
	return nil
}

// callbackDetails records the first message after an after-hours handoff
// as the callback request.
func (s *Service) callbackDetails(ctx context.Context, id string, m memory.Message) {
	r, changed, err := s.update(ctx, id, func(r *Record) error {
		if r.Status != StatusCallback || r.Callback != nil {
			return errUnchanged
		}
		r.Callback = &Callback{Details: clip(m.Text, 1000), RequestedAt: s.now().UTC()}
		return nil
	})
	if err != nil {
		s.log.Warn("record callback", "handoff", id, "err", err)
		return
	}
	if changed {
		s.applyLocal(r)
		s.publish(ctx, r, EventCallback)
		s.say(ctx, r.ConversationID, "handoff:"+id+":callback", noticeCallbackNoted(r.Lang, s.cfg.Hours.NextOpen(s.now())), m.Seq)
	}
}

// RequestHandoff implements proactive.Handoff: a trigger's handoff action
// puts the customer's current conversation (the latest on the web channel,
// or a new one) in the queue the trigger names.
func (s *Service) RequestHandoff(ctx context.Context, hr proactive.HandoffRequest) error {
	if hr.Customer == "" {
		return errf(CodeInvalid, "handoff request without a customer")
	}
	at := hr.At
	if at.IsZero() {
		at = s.now()
	}
	conv, err := s.cfg.Store.CurrentConversation(ctx, hr.Customer, "web", at.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("handoff: trigger %s: conversation: %w", hr.Trigger, err)
	}
	reason := strings.TrimSpace(hr.Reason)
	d := Decision{Escalate: true, Reason: ReasonTrigger, Reasons: []string{ReasonTrigger}}
	_, err = s.Open(ctx, OpenRequest{ConversationID: conv.ID, CustomerID: conv.CustomerID, Channel: conv.Channel,
		Decision: d, Queue: hr.Queue, Trigger: hr.Trigger, Question: reason})
	return err
}

// slaLoop raises the priority of handoffs left unclaimed past their SLA.
// Every node runs it; the revision-checked update lets one node win each
// breach.
func (s *Service) slaLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Routing.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.CheckSLA(s.ctx)
		}
	}
}

// CheckSLA escalates every handoff past its SLA once; the loop calls it
// every Routing.CheckEvery, tests call it directly.
func (s *Service) CheckSLA(ctx context.Context) {
	now := s.now()
	s.mu.RLock()
	var due []string
	for id, r := range s.records {
		if claimable(r.Status) && r.SLADueAt != nil && !now.Before(*r.SLADueAt) {
			due = append(due, id)
		}
	}
	s.mu.RUnlock()
	for _, id := range due {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		s.escalate(cctx, id, now)
		cancel()
	}
}

func (s *Service) escalate(ctx context.Context, id string, now time.Time) {
	r, changed, err := s.update(ctx, id, func(r *Record) error {
		if !claimable(r.Status) || r.SLADueAt == nil || now.Before(*r.SLADueAt) {
			return errUnchanged
		}
		next := now.Add(s.cfg.Routing.SLA).UTC()
		r.SLADueAt = &next
		r.Escalations++
		r.Priority = min(r.Priority+1, PriorityMax)
		return nil
	})
	if err != nil {
		s.log.Warn("sla escalation", "handoff", id, "err", err)
		return
	}
	if !changed {
		return
	}
	r.Position = s.position(r)
	r.WaitEstimateS = s.waitFor(r.Queue, r.Position)
	s.applyLocal(r)
	s.publish(ctx, r, EventEscalated)
	if r.Status == StatusWaiting {
		s.say(ctx, r.ConversationID, "handoff:"+id+":sla:"+fmt.Sprint(r.Escalations), noticeSLA(r.Lang, r.WaitEstimateS), 0)
	}
	s.log.Info("handoff past its SLA", "handoff", id, "priority", r.Priority, "escalations", r.Escalations)
}
