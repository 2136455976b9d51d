package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// maxUpdateTries bounds the read-modify-write loop of one update; every
// conflict means another writer made progress, so it only runs out under
// extreme contention on one handoff.
const maxUpdateTries = 100

// get reads a handoff record with its revision.
func (s *Service) get(ctx context.Context, id string) (Record, error) {
	if !ValidID(id) {
		return Record{}, errf(CodeInvalid, "handoff_id %q", id)
	}
	e, err := s.state.Get(ctx, "h."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, errf(CodeNotFound, "handoff %s", id)
	}
	if err != nil {
		return Record{}, fmt.Errorf("handoff: read %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, fmt.Errorf("handoff: decode %s: %w", id, err)
	}
	r.Revision = e.Revision()
	return r, nil
}

// errUnchanged, returned by an update function, ends the update without
// writing: the record already is what the caller wants (a retried request).
var errUnchanged = errors.New("unchanged")

// update applies fn to the current record and writes it only if nobody
// wrote in between (the key's revision is unchanged), retrying on
// conflict. This is what makes a claim have exactly one winner. changed is
// false when fn returned errUnchanged.
func (s *Service) update(ctx context.Context, id string, fn func(*Record) error) (r Record, changed bool, err error) {
	for range maxUpdateTries {
		cur, err := s.get(ctx, id)
		if err != nil {
			return Record{}, false, err
		}
		next := cur
		if err := fn(&next); err != nil {
			if errors.Is(err, errUnchanged) {
				return cur, false, nil
			}
			return cur, false, err
		}
		next.V, next.UpdatedAt = Version, s.now().UTC()
		data, err := json.Marshal(next)
		if err != nil {
			return Record{}, false, fmt.Errorf("handoff: encode %s: %w", id, err)
		}
		rev, err := s.state.Update(ctx, "h."+id, data, cur.Revision)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return Record{}, false, fmt.Errorf("handoff: write %s: %w", id, err)
		}
		next.Revision = rev
		return next, true, nil
	}
	return Record{}, false, fmt.Errorf("handoff: write %s: too many concurrent updates", id)
}

// publish puts a record on the handoff stream: requested once (keyed by
// the handoff id), every change as updated (keyed by id and revision, so
// a retried publish is stored once).
func (s *Service) publish(ctx context.Context, r Record, event string) {
	r.V, r.Event = Version, event
	if claimable(r.Status) {
		r.Position = s.position(r)
	}
	data, err := json.Marshal(r)
	if err != nil {
		s.log.Error("encode handoff event", "handoff", r.HandoffID, "err", err)
		return
	}
	subj, msgID := SubjectUpdated, r.HandoffID+":"+strconv.FormatUint(r.Revision, 10)+":"+event
	if event == EventRequested {
		subj, msgID = SubjectRequested, r.HandoffID
	}
	if _, err := s.js.Publish(ctx, subj, data, jetstream.WithMsgID(msgID)); err != nil {
		s.log.Warn("publish handoff event", "handoff", r.HandoffID, "event", event, "err", err)
	}
}

// getPackage reads a handoff's package and its revision.
func (s *Service) getPackage(ctx context.Context, id string) (Package, uint64, error) {
	e, err := s.state.Get(ctx, "p."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Package{V: Version, HandoffID: id}, 0, nil
	}
	if err != nil {
		return Package{}, 0, fmt.Errorf("handoff: read package %s: %w", id, err)
	}
	var p Package
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return Package{}, 0, fmt.Errorf("handoff: decode package %s: %w", id, err)
	}
	return p, e.Revision(), nil
}

// addNote appends a note to the package, once per note id.
func (s *Service) addNote(ctx context.Context, id string, n Note) error {
	for range maxUpdateTries {
		p, rev, err := s.getPackage(ctx, id)
		if err != nil {
			return err
		}
		for _, old := range p.Notes {
			if n.ID != "" && old.ID == n.ID && old.AgentID == n.AgentID {
				return nil
			}
		}
		if len(p.Notes) >= maxNotes {
			return errf(CodeInvalid, "handoff %s already has %d notes", id, maxNotes)
		}
		p.Notes = append(p.Notes, n)
		data, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.state.Create(ctx, "p."+id, data)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
		} else {
			_, err = s.state.Update(ctx, "p."+id, data, rev)
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("handoff: write note: %w", err)
		}
		return nil
	}
	return fmt.Errorf("handoff: write note: too many concurrent updates")
}

// say stores a notice to the customer as a system message and sends it.
// key makes it idempotent: two nodes or a retry store it once.
func (s *Service) say(ctx context.Context, conversationID, key, text string, replyTo int64) {
	m, _, err := s.cfg.Store.AppendMessage(ctx, memory.Message{
		ConversationID: conversationID, Role: memory.RoleSystem, Text: text, ClientID: key,
		ReplyTo: replyTo, CreatedAt: s.now(),
	})
	if err != nil {
		s.log.Warn("store notice", "conversation", conversationID, "err", err)
		return
	}
	s.send(ctx, m)
}

// send publishes a stored message to the customer's node.
func (s *Service) send(ctx context.Context, m memory.Message) {
	out := channels.Outbound{V: channels.Version, Kind: channels.OutMessage, ConversationID: m.ConversationID,
		Seq: m.Seq, Role: string(m.Role), Text: m.Text, ReplyTo: m.ReplyTo, At: m.CreatedAt}
	if err := s.cfg.Outbox.Publish(ctx, out); err != nil {
		// Stored: the customer's client gets it by replay.
		s.log.Warn("deliver", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
	}
}
