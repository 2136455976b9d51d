package handoff

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/memory"
)

// serve wraps a request handler: it bounds concurrency, decodes nothing
// itself, and always answers a request that has a reply subject (a
// malformed one with an error, never a crash).
func (s *Service) serve(subject string, h func(context.Context, []byte) Reply) nats.MsgHandler {
	return func(m *nats.Msg) {
		select {
		case s.sem <- struct{}{}:
		case <-s.ctx.Done():
			return
		}
		go func() {
			defer func() { <-s.sem }()
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("handoff request panicked", "subject", subject, "panic", p)
					s.reply(m, Reply{Error: CodeInternal})
				}
			}()
			ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
			defer cancel()
			r := h(ctx, m.Data)
			if !r.OK && r.Error == "" {
				r.Error = CodeInternal
			}
			if !r.OK {
				s.log.Info("handoff request refused", "subject", subject, "error", r.Error, "message", r.Message)
			}
			s.reply(m, r)
		}()
	}
}

func (s *Service) reply(m *nats.Msg, r Reply) {
	if m.Reply == "" {
		return
	}
	r.V = Version
	data, err := json.Marshal(r)
	if err != nil {
		s.log.Error("encode reply", "err", err)
		return
	}
	if err := m.Respond(data); err != nil {
		s.log.Warn("reply", "subject", m.Subject, "err", err)
	}
}

// fail turns an error into a reply.
func fail(err error) Reply {
	r := Reply{Error: codeOf(err)}
	var e *Error
	if r.Error != CodeInternal {
		if ok := asError(err, &e); ok {
			r.Message = e.Msg
		}
	}
	return r
}

func asError(err error, target **Error) bool {
	for err != nil {
		if e, ok := err.(*Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func (s *Service) handleClaim(ctx context.Context, data []byte) Reply {
	var req ClaimRequest
	if err := decode(data, &req); err != nil {
		return fail(err)
	}
	if !ValidID(req.HandoffID) || !ValidID(req.AgentID) {
		return fail(errf(CodeInvalid, "handoff_id and agent_id must be 1-128 of A-Z a-z 0-9 _ -"))
	}
	r, err := s.Claim(ctx, req.HandoffID, req.AgentID)
	if err != nil {
		rep := fail(err)
		if rep.Error == CodeAlreadyClaimed {
			rep.AgentID = r.AgentID
		}
		return rep
	}
	return Reply{OK: true, Handoff: &r}
}

// Claim gives a waiting (or callback) handoff to agentID. Exactly one of
// any number of concurrent claims wins; the others get ErrAlreadyClaimed
// (with the record, whose AgentID is the winner). Claiming one's own
// handoff again succeeds without change.
func (s *Service) Claim(ctx context.Context, handoffID, agentID string) (Record, error) {
	now := s.now().UTC()
	r, changed, err := s.update(ctx, handoffID, func(r *Record) error {
		switch {
		case r.Status == StatusClaimed && r.AgentID == agentID:
			return errUnchanged
		case r.Status == StatusClaimed:
			return ErrAlreadyClaimed
		case !claimable(r.Status):
			return errf(CodeNotWaiting, "handoff %s is %s", r.HandoffID, r.Status)
		}
		if active, capacity := s.load(agentID); active >= capacity {
			return errf(CodeAtCapacity, "agent %s has %d of %d chats", agentID, active, capacity)
		}
		r.Status, r.AgentID, r.ClaimedAt, r.SLADueAt = StatusClaimed, agentID, &now, nil
		return nil
	})
	if err != nil {
		return r, err
	}
	if changed {
		s.applyLocal(r)
		s.publish(ctx, r, EventClaimed)
		s.say(ctx, r.ConversationID, "handoff:"+r.HandoffID+":claimed:"+agentID, noticeClaimed(r.Lang), 0)
	}
	return r, nil
}

// applyLocal puts a record this node wrote into its mirror at once, so the
// node reads its own writes before the watcher brings them.
func (s *Service) applyLocal(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.records[r.HandoffID]; ok && old.Revision >= r.Revision {
		return
	}
	s.records[r.HandoffID] = r
	s.noteLatest(r)
}

// load returns how many chats an agent has and may have. The count comes
// from the node's mirror, so two claims by one agent at the same instant
// may both pass: capacity is a routing aid, not a lock.
func (s *Service) load(agentID string) (active, capacity int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	capacity = s.cfg.Routing.MaxChats
	if p, ok := s.presence[agentID]; ok && p.MaxChats > 0 {
		capacity = p.MaxChats
	}
	for _, r := range s.records {
		if r.Status == StatusClaimed && r.AgentID == agentID {
			active++
		}
	}
	return active, capacity
}

func (s *Service) handleList(ctx context.Context, data []byte) Reply {
	var req ListRequest
	if err := decode(data, &req); err != nil {
		return fail(err)
	}
	if req.Limit <= 0 {
		req.Limit = 200
	}
	req.Limit = min(req.Limit, maxListed)
	if len(req.Status) == 0 {
		req.Status = []string{StatusWaiting, StatusCallback, StatusClaimed}
	}
	hs, qs, as := s.List(req)
	return Reply{OK: true, Handoffs: hs, Queues: qs, Agents: as}
}

// List is the node's view of the queues (see kairos.handoff.list).
func (s *Service) List(req ListRequest) ([]Record, []QueueStats, []AgentSummary) {
	s.mu.RLock()
	all := make([]Record, 0, len(s.records))
	for _, r := range s.records {
		all = append(all, r)
	}
	s.mu.RUnlock()
	sortQueue(all)
	var out []Record
	for _, r := range all {
		if len(out) >= req.Limit && req.Limit > 0 {
			break
		}
		if !slices.Contains(req.Status, r.Status) ||
			(len(req.Queues) > 0 && !slices.Contains(req.Queues, r.Queue)) ||
			(req.Mine && r.AgentID != req.AgentID) {
			continue
		}
		if claimable(r.Status) {
			r.Position = s.position(r)
		}
		out = append(out, r)
	}
	var qs []QueueStats
	for _, q := range s.cfg.Routing.Queues {
		qs = append(qs, s.queueStats(q))
	}
	return out, qs, s.agentSummaries()
}

// sortQueue orders handoffs as agents should take them: priority first,
// then the longest waiting.
func sortQueue(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.HandoffID, b.HandoffID)
	})
}

// position is r's place in its queue (1 = next).
func (s *Service) position(r Record) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 1
	for _, o := range s.records {
		if o.HandoffID == r.HandoffID || o.Queue != r.Queue || !claimable(o.Status) {
			continue
		}
		if o.Priority > r.Priority || (o.Priority == r.Priority && o.CreatedAt.Before(r.CreatedAt)) {
			n++
		}
	}
	return n
}

// online reports whether a presence counts now.
func (s *Service) online(p Presence) bool {
	return p.Status == "online" && s.now().Sub(p.At) < s.cfg.Routing.PresenceTTL
}

func serves(p Presence, queue string) bool {
	return len(p.Queues) == 0 || slices.Contains(p.Queues, queue)
}

func (s *Service) queueStats(q string) QueueStats {
	st, _, _ := s.queueLoad(q)
	return st
}

// queueLoad returns a queue's stats with the free and total chat slots of
// its online agents.
func (s *Service) queueLoad(q string) (QueueStats, int, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := QueueStats{Name: q}
	now := s.now()
	for _, r := range s.records {
		if r.Queue == q && claimable(r.Status) {
			st.Waiting++
			st.OldestWaitS = max(st.OldestWaitS, int(now.Sub(r.CreatedAt)/time.Second))
		}
	}
	slots := 0
	for id, p := range s.presence {
		if !s.online(p) || !serves(p, q) {
			continue
		}
		st.AgentsOnline++
		c := s.cfg.Routing.MaxChats
		if p.MaxChats > 0 {
			c = p.MaxChats
		}
		slots += c
		active := 0
		for _, r := range s.records {
			if r.Status == StatusClaimed && r.AgentID == id {
				active++
			}
		}
		st.FreeCapacity += max(0, c-active)
	}
	st.WaitEstimateS = s.cfg.Routing.estimate(st.Waiting+1, st.FreeCapacity, slots)
	return st, st.FreeCapacity, slots
}

// waitFor estimates the wait of a handoff at position in queue q.
func (s *Service) waitFor(q string, position int) int {
	_, free, slots := s.queueLoad(q)
	return s.cfg.Routing.estimate(position, free, slots)
}

func (s *Service) agentSummaries() []AgentSummary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []AgentSummary
	for id, p := range s.presence {
		a := AgentSummary{AgentID: id, Name: p.Name, Status: p.Status, Queues: p.Queues, MaxChats: p.MaxChats}
		if !s.online(p) && p.Status == "online" {
			a.Status = "offline"
		}
		if a.MaxChats == 0 {
			a.MaxChats = s.cfg.Routing.MaxChats
		}
		for _, r := range s.records {
			if r.Status == StatusClaimed && r.AgentID == id {
				a.Active++
			}
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b AgentSummary) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out
}

func (s *Service) handleGet(ctx context.Context, data []byte) Reply {
	var req GetRequest
	if err := decode(data, &req); err != nil {
		return fail(err)
	}
	r, err := s.get(ctx, req.HandoffID)
	if err != nil {
		return fail(err)
	}
	p, _, err := s.getPackage(ctx, req.HandoffID)
	if err != nil {
		return fail(err)
	}
	if claimable(r.Status) {
		r.Position = s.position(r)
	}
	return Reply{OK: true, Handoff: &r, Package: &p}
}

func (s *Service) handleTranscript(ctx context.Context, data []byte) Reply {
	var req TranscriptRequest
	if err := decode(data, &req); err != nil {
		return fail(err)
	}
	if !ValidID(req.ConversationID) || req.AfterSeq < 0 {
		return fail(errf(CodeInvalid, "conversation_id and after_seq"))
	}
	if req.Limit <= 0 {
		req.Limit = 100
	}
	req.Limit = min(req.Limit, maxMessages)
	ms, err := s.cfg.Store.Messages(ctx, req.ConversationID, req.AfterSeq, req.Limit)
	if err != nil {
		if isNotFound(err) {
			return fail(errf(CodeNotFound, "conversation %s", req.ConversationID))
		}
		s.log.Warn("transcript", "conversation", req.ConversationID, "err", err)
		return fail(err)
	}
	rep := Reply{OK: true, Messages: toMessages(ms)}
	if c, err := s.cfg.Store.Conversation(ctx, req.ConversationID); err == nil {
		rep.LastSeq = c.LastSeq
	}
	if rep.Messages == nil {
		rep.Messages = []Message{}
	}
	return rep
}

func toMessages(ms []memory.Message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, Message{Seq: m.Seq, Role: string(m.Role), Text: m.Text, At: m.CreatedAt, ClientID: m.ClientID})
	}
	return out
}

func (s *Service) handleTransfer(ctx context.Context, data []byte) Reply {
	var req TransferRequest
	if err := decode(data, &req); err != nil {
		return fail(err)
	}
	switch {
	case !ValidID(req.HandoffID) || !ValidID(req.AgentID):
		return fail(errf(CodeInvalid, "handoff_id and agent_id"))
	case (req.ToQueue == "") == (req.ToAgent == ""):
		return fail(errf(CodeInvalid, "exactly one of to_queue and to_agent"))
	case req.ToAgent != "" && !ValidID(req.ToAgent):
		return fail(errf(CodeInvalid, "to_agent"))
	case req.ToQueue != "" && !slices.Contains(s.cfg.Routing.Queues, req.ToQueue):
		return fail(errf(CodeUnknownQueue, "%q", req.ToQueue))
	}
	r, err := s.Transfer(ctx, req)
	if err != nil {
		return fail(err)
	}
	return Reply{OK: true, Handoff: &r}
}

// Transfer moves a handoff to another queue (waiting again, fresh SLA) or
// to another agent (still claimed).
func (s *Service) Transfer(ctx context.Context, req TransferRequest) (Record, error) {
	now := s.now().UTC()
	r, changed, err := s.update(ctx, req.HandoffID, func(r *Record) error {
		if !open(r.Status) {
			return errf(CodeNotWaiting, "handoff %s is %s", r.HandoffID, r.Status)
		}
		if r.Status == StatusClaimed && r.AgentID != req.AgentID {
			return ErrNotOwner
		}
		if req.ToQueue != "" {
			if r.Queue == req.ToQueue && claimable(r.Status) {
				return errUnchanged
			}
			r.TransferredFrom = "queue:" + r.Queue
			if r.Status == StatusClaimed {
				r.TransferredFrom = "agent:" + r.AgentID
			}
			due := now.Add(s.cfg.Routing.SLA)
			r.Queue, r.Status, r.AgentID, r.ClaimedAt, r.SLADueAt = req.ToQueue, StatusWaiting, "", nil, &due
			r.WaitEstimateS = s.waitFor(r.Queue, s.position(*r))
			return nil
		}
		if r.AgentID == req.ToAgent && r.Status == StatusClaimed {
			return errUnchanged
		}
		if active, capacity := s.load(req.ToAgent); active >= capacity {
			return errf(CodeAtCapacity, "agent %s has %d of %d chats", req.ToAgent, active, capacity)
		}
		r.TransferredFrom = "agent:" + r.AgentID
		if r.AgentID == "" {
			r.TransferredFrom = "queue:" + r.Queue
		}
		r.Status, r.AgentID, r.ClaimedAt, r.SLADueAt = StatusClaimed, req.ToAgent, &now, nil
		return nil
	})
	if err != nil {
		return r, err
	}
	if req.Note != "" {
		if text, err := validText(req.Note); err == nil {
			if err := s.addNote(ctx, r.HandoffID, Note{AgentID: req.AgentID, Text: text, At: now}); err != nil {
				s.log.Warn("transfer note", "handoff", r.HandoffID, "err", err)
			}
		}
	}
	if changed {
		s.applyLocal(r)
		s.publish(ctx, r, EventTransferred)
		s.say(ctx, r.ConversationID, "handoff:"+r.HandoffID+":transfer:"+itoa(r.Revision), noticeTransferred(r.Lang), 0)
	}
	return r, nil
}

func (s *Service) handlePresence(ctx context.Context, data []byte) Reply {
	var p Presence
	if err := decode(data, &p); err != nil {
		return fail(err)
	}
	switch {
	case !ValidID(p.AgentID):
		return fail(errf(CodeInvalid, "agent_id"))
	case p.Status != "online" && p.Status != "away" && p.Status != "offline":
		return fail(errf(CodeInvalid, "status must be online, away or offline"))
	case p.MaxChats < 0 || p.MaxChats > 50:
		return fail(errf(CodeInvalid, "max_chats must be 1-50"))
	case len(p.Queues) > 32 || len(p.Name) > 128:
		return fail(errf(CodeInvalid, "too many queues or name too long"))
	}
	for _, q := range p.Queues {
		if !slices.Contains(s.cfg.Routing.Queues, q) {
			return fail(errf(CodeUnknownQueue, "%q", q))
		}
	}
	p.V, p.At = Version, s.now().UTC()
	data, _ = json.Marshal(p)
	if _, err := s.agents.Put(ctx, "a."+p.AgentID, data); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	s.presence[p.AgentID] = p
	s.mu.Unlock()
	return Reply{OK: true}
}

// AgentsOnline is how many agents are online now (by their presence
// heartbeats, as this node has seen them).
func (s *Service) AgentsOnline() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, p := range s.presence {
		if s.online(p) {
			n++
		}
	}
	return n
}
