package handoff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// convKind splits kairos.conv.<id>.<kind> into id and kind.
func convKind(subject string) (id, kind string, ok bool) {
	rest, ok := strings.CutPrefix(subject, "kairos.conv.")
	if !ok {
		return "", "", false
	}
	id, kind, ok = strings.Cut(rest, ".")
	if !ok || !ValidID(id) {
		return "", "", false
	}
	return id, kind, true
}

// handleConv processes one agent message, note or resolution from the
// conversation stream. Contract errors are answered on .agent.result and
// acknowledged (a bad payload is never redelivered); failures of the store
// or NATS are retried after a pause.
func (s *Service) handleConv(m jetstream.Msg) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handoff message panicked", "subject", m.Subject(), "panic", p)
			_ = m.Term()
		}
	}()
	conv, kind, ok := convKind(m.Subject())
	if !ok {
		s.log.Warn("handoff message on an unexpected subject", "subject", m.Subject())
		_ = m.Term()
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	var seq uint64
	if md, err := m.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	var (
		res Result
		err error
	)
	switch kind {
	case "agent":
		res, err = s.agentMessage(ctx, conv, m.Data(), seq)
	case "note":
		res, err = s.note(ctx, conv, m.Data())
	case "resolved":
		res, err = s.resolve(ctx, conv, m.Data())
	case "customer":
		// For the desks; the gateways forwarded it already.
		_ = m.Ack()
		return
	default:
		_ = m.Term()
		return
	}
	if err != nil && codeOf(err) == CodeInternal {
		md, _ := m.Metadata()
		if md != nil && md.NumDelivered < 20 {
			s.log.Warn("handoff message failed, retrying", "subject", m.Subject(), "err", err)
			_ = m.NakWithDelay(time.Second)
			return
		}
		s.log.Error("handoff message failed, giving up", "subject", m.Subject(), "err", err)
	}
	if err != nil {
		res.OK, res.Error = false, codeOf(err)
		s.log.Info("handoff message refused", "subject", m.Subject(), "error", res.Error, "err", err)
	} else {
		res.OK = true
	}
	s.result(conv, res)
	_ = m.Ack()
}

func (s *Service) result(conv string, r Result) {
	r.V = Version
	data, err := json.Marshal(r)
	if err != nil {
		return
	}
	if err := s.nc.Publish(ConvSubject(conv, "agent.result"), data); err != nil {
		s.log.Warn("publish agent result", "conversation", conv, "err", err)
	}
}

// owned reads the conversation's open handoff from the bucket (not the
// mirror: ownership decides who may talk).
func (s *Service) owned(ctx context.Context, conv string) (Record, error) {
	e, err := s.state.Get(ctx, "c."+conv)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, errf(CodeNotFound, "conversation %s has no open handoff", conv)
	}
	if err != nil {
		return Record{}, err
	}
	return s.get(ctx, string(e.Value()))
}

// agentMessage stores an agent's message (idempotent by client id, or by
// stream sequence when the desk gave none) and sends it to the customer.
func (s *Service) agentMessage(ctx context.Context, conv string, data []byte, streamSeq uint64) (Result, error) {
	var am AgentMessage
	if err := decode(data, &am); err != nil {
		return Result{}, err
	}
	res := Result{ClientID: am.ClientID}
	text, err := validText(am.Text)
	if err != nil {
		return res, err
	}
	if !ValidID(am.AgentID) {
		return res, errf(CodeInvalid, "agent_id")
	}
	if err := validClientID(am.ClientID); err != nil {
		return res, err
	}
	r, err := s.owned(ctx, conv)
	if err != nil {
		return res, err
	}
	if r.Status != StatusClaimed || r.AgentID != am.AgentID {
		return res, errf(CodeNotOwner, "handoff %s is %s by %q", r.HandoffID, r.Status, r.AgentID)
	}
	key := "agent-js:" + itoa(streamSeq)
	if am.ClientID != "" {
		key = clientKey("agent", am.AgentID, am.ClientID)
	}
	msg, created, err := s.cfg.Store.AppendMessage(ctx, memory.Message{
		ConversationID: conv, Role: memory.RoleAgent, Text: text, ClientID: key, CreatedAt: s.now(),
	})
	if err != nil {
		if errors.Is(err, memory.ErrInvalid) {
			return res, errf(CodeInvalid, "%v", err)
		}
		return res, err
	}
	// Sent again for a duplicate too: the first send may have been lost,
	// and a client drops a seq it already has.
	s.send(ctx, msg)
	res.Seq, res.Duplicate = msg.Seq, !created
	return res, nil
}

// clientKey is the stored client id of an agent's message: the desk's id
// scoped by agent, hashed when it would be too long.
func clientKey(kind, agent, id string) string {
	k := kind + ":" + agent + ":" + id
	if len(k) <= 128 {
		return k
	}
	h := sha256.Sum256([]byte(k))
	return kind + ":" + hex.EncodeToString(h[:20])
}

func (s *Service) note(ctx context.Context, conv string, data []byte) (Result, error) {
	var am AgentMessage
	if err := decode(data, &am); err != nil {
		return Result{}, err
	}
	res := Result{ClientID: am.ClientID}
	text, err := validText(am.Text)
	if err != nil {
		return res, err
	}
	if !ValidID(am.AgentID) {
		return res, errf(CodeInvalid, "agent_id")
	}
	if err := validClientID(am.ClientID); err != nil {
		return res, err
	}
	r, err := s.owned(ctx, conv)
	if err != nil {
		return res, err
	}
	if err := s.addNote(ctx, r.HandoffID, Note{AgentID: am.AgentID, Text: text, At: s.now().UTC(), ID: am.ClientID}); err != nil {
		return res, err
	}
	s.publish(ctx, r, EventNote)
	return res, nil
}

// resolve hands the conversation back to the bot: the handoff is marked
// resolved, what the agent settled goes to long-term memory, ownership is
// cleared and the customer is told.
func (s *Service) resolve(ctx context.Context, conv string, data []byte) (Result, error) {
	var rs Resolution
	if err := decode(data, &rs); err != nil {
		return Result{}, err
	}
	res := Result{ClientID: rs.ClientID}
	if !ValidID(rs.AgentID) || (rs.HandoffID != "" && !ValidID(rs.HandoffID)) {
		return res, errf(CodeInvalid, "agent_id or handoff_id")
	}
	if err := validClientID(rs.ClientID); err != nil {
		return res, err
	}
	summary := strings.TrimSpace(rs.Summary)
	if summary != "" {
		var err error
		if summary, err = validText(summary); err != nil {
			return res, err
		}
	}
	if len(rs.Settled) > maxSettled {
		return res, errf(CodeInvalid, "at most %d settled items", maxSettled)
	}
	var settled []string
	for _, x := range rs.Settled {
		t, err := validText(x)
		if err != nil {
			return res, err
		}
		settled = append(settled, t)
	}
	id := rs.HandoffID
	if id == "" {
		r, err := s.owned(ctx, conv)
		if err != nil {
			return res, err
		}
		id = r.HandoffID
	}
	now := s.now().UTC()
	r, changed, err := s.update(ctx, id, func(r *Record) error {
		switch {
		case r.ConversationID != conv:
			return errf(CodeNotFound, "handoff %s is not of conversation %s", id, conv)
		case r.Status == StatusResolved && r.AgentID == rs.AgentID:
			return errUnchanged
		case r.Status != StatusClaimed:
			return errf(CodeNotWaiting, "handoff %s is %s", id, r.Status)
		case r.AgentID != rs.AgentID:
			return ErrNotOwner
		}
		r.Status, r.ResolvedAt, r.SLADueAt = StatusResolved, &now, nil
		if summary != "" {
			r.Summary = summary
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	s.applyLocal(r)
	// Ownership ends only if the conversation still points at this
	// handoff (never delete a newer one's pointer).
	if e, err := s.state.Get(ctx, "c."+conv); err == nil && string(e.Value()) == id {
		if err := s.state.Delete(ctx, "c."+conv, jetstream.LastRevision(e.Revision())); err != nil {
			s.log.Warn("release conversation", "conversation", conv, "err", err)
		}
	}
	s.mu.Lock()
	if s.convs[conv] == id {
		delete(s.convs, conv)
	}
	s.mu.Unlock()
	if changed {
		if s.cfg.Remember != nil {
			err := s.cfg.Remember(ctx, Resolved{HandoffID: id, ConversationID: conv, CustomerID: r.CustomerID, AgentID: rs.AgentID,
				Lang: r.Lang, Summary: summary, Settled: settled, At: now})
			if err != nil {
				s.log.Warn("remember resolution", "handoff", id, "err", err)
			}
		}
		s.publish(ctx, r, EventResolved)
	}
	s.say(ctx, conv, "handoff:"+id+":resolved", noticeResolved(r.Lang), 0)
	return res, nil
}

// handleTyping forwards the owner's typing indicator to the customer.
func (s *Service) handleTyping(m *nats.Msg) {
	conv, _, ok := convKind(m.Subject)
	if !ok {
		return
	}
	var t Typing
	if err := decode(m.Data, &t); err != nil {
		s.log.Debug("typing refused", "subject", m.Subject, "err", err)
		return
	}
	if t.Who != "agent" || (t.State != "start" && t.State != "stop") {
		return
	}
	r, ok := s.Owner(conv)
	if !ok || r.Status != StatusClaimed || r.AgentID != t.AgentID {
		return
	}
	if t.State == "stop" {
		// The outbound contract has no "stopped typing": the indicator
		// ends with the next message or times out on the client.
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	out := channels.Outbound{V: channels.Version, Kind: channels.OutTyping, ConversationID: conv, Role: string(memory.RoleAgent), At: s.now()}
	if err := s.cfg.Outbox.Publish(ctx, out); err != nil {
		s.log.Debug("agent typing", "err", err)
	}
}

// CustomerTyping tells the conversation's agent that the customer is
// typing; channels that can tell call it (best effort).
func (s *Service) CustomerTyping(conversationID string, typing bool) {
	if _, ok := s.Owner(conversationID); !ok {
		return
	}
	st := "stop"
	if typing {
		st = "start"
	}
	data, _ := json.Marshal(Typing{V: Version, Who: "customer", State: st})
	_ = s.nc.Publish(ConvSubject(conversationID, "typing"), data)
}
