package outcomes

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// Record kinds the figures are computed from, each with what a breakdown
// needs (time, customer, channel, trigger, segment).

type conv struct {
	id, customer, channel, trigger, segment string
	start, end                              time.Time
	turns, repeats                          int
	negative, botIntervened                 bool
	negAt, interveneAt, recoveredAt         time.Time
	recovered                               bool
	handoff                                 *handoff.Record
	transfers                               int
	responseMS                              float64
	hasResponse                             bool
	tokens, cost                            float64
	hasTokens, hasCost                      bool
	returned, observable                    bool
}

func newConv(c Conversation) *conv {
	v := &conv{id: c.ID, customer: c.Customer, channel: c.Channel, start: c.Start, end: c.End, turns: c.Turns, repeats: c.Repeats,
		negative: c.Negative, negAt: c.NegativeAt, interveneAt: c.IntervenedAt, botIntervened: !c.IntervenedAt.IsZero(),
		recoveredAt: c.RecoveredAt}
	if c.ResponseMS >= 0 { // NaN (not recorded) is not >= 0
		v.responseMS, v.hasResponse = c.ResponseMS, true
	}
	if !math.IsNaN(c.Tokens) {
		v.tokens, v.hasTokens = c.Tokens, true
	}
	if !math.IsNaN(c.Cost) {
		v.cost, v.hasCost = c.Cost, true
	}
	return v
}

type survey struct {
	customer, channel, trigger, segment string
	at                                  time.Time
	csat, ces                           float64 // 0: not answered
}

type offer struct {
	id, action, customer, channel, trigger, segment, outcome string
	at                                                       time.Time
}

type exposure struct {
	trigger, customer, group, channel, segment string
	firingID                                   string
	at                                         time.Time
	converted                                  bool
	value                                      float64
	retEligible, retained                      bool
	issueKnown, issue                          bool
	sent                                       int // sent firings of the customer in the period
}

type churnSample struct {
	score   float64
	churned bool
	segment string
}

type data struct {
	// Conversations, surveys, offers and exposures are sorted by time
	// (report).
	convs      []*conv
	surveys    []survey
	offers     []offer
	exposures  []*exposure
	churn      []churnSample
	churnInfo  ChurnQuality
	churnNotes []string // written by the churn goroutine
	triggers   []string
	specs      map[string]*proactive.Spec
	notes      []string
}

func isNegative(mood string, valence float64) bool {
	return mood == "frustrated" || mood == "angry" || valence <= -0.4
}

func isRecovered(mood string, valence float64) bool {
	return mood != "frustrated" && mood != "angry" && valence >= 0
}

// scanAll reads q's events grouped per customer, in time order.
func scanAll(ctx context.Context, s EventScanner, q Scan) (map[string][]memory.Event, error) {
	out := map[string][]memory.Event{}
	err := s.ScanEvents(ctx, q, func(ev memory.Event) error {
		out[ev.CustomerID] = append(out[ev.CustomerID], ev)
		return nil
	})
	for _, evs := range out {
		slices.SortFunc(evs, func(a, b memory.Event) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
	}
	return out, err
}

// load reads every record the figures need; segments only when asked
// (see readSegments).
func load(ctx context.Context, src Sources, p Params, segments bool) (*data, error) {
	if src.Events == nil {
		return nil, fmt.Errorf("outcomes: no event source: %w", ErrInvalid)
	}
	d := &data{specs: map[string]*proactive.Spec{}}
	for i := range src.Triggers {
		d.specs[src.Triggers[i].ID] = &src.Triggers[i]
	}
	// Records and experience: the period, plus a week before (for the
	// trigger a conversation follows) and the return window after.
	// …and the longest attribution window after, for issue contacts.
	after := max(p.ReturnWindow, proactive.DefaultAttribution)
	for _, s := range d.specs {
		after = max(after, s.Outcome.Within.D())
	}
	recFrom, recTo := p.From.Add(-attributionLookback), p.To.Add(after)
	var churnErr error
	churnDone := make(chan struct{})
	go func() { // independent of the records: overlaps its reads with theirs
		defer close(churnDone)
		churnErr = d.churnQuality(ctx, src, p)
	}()
	defer func() { <-churnDone }()
	// Turns, surveys, offers and feedback: read apart (and meanwhile) when
	// the scanner can read their fields, else parsed from the events.
	types := []string{EventFiring, EventHandoff}
	var turns map[string][]Turn // none with a ConversationScanner
	var convs []Conversation
	var fields []Record
	var turnsErr, convsErr, fieldsErr error
	turnsDone, convsDone, fieldsDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	cs, convScan := src.Events.(ConversationScanner)
	if convScan {
		go func() {
			defer close(convsDone)
			convs, convsErr = scanConversations(ctx, cs, recFrom, recTo)
		}()
		defer func() { <-convsDone }()
		close(turnsDone)
	} else if _, ok := src.Events.(TurnScanner); ok {
		close(convsDone)
		go func() {
			defer close(turnsDone)
			turns, turnsErr = scanTurns(ctx, src.Events, recFrom, recTo, nil)
		}()
		defer func() { <-turnsDone }()
	} else {
		types = append(types, EventTurn)
		close(convsDone)
		close(turnsDone)
	}
	if _, ok := src.Events.(RecordScanner); ok {
		go func() {
			defer close(fieldsDone)
			fields, fieldsErr = scanRecords(ctx, src.Events, recFrom, recTo, nil)
		}()
		defer func() { <-fieldsDone }()
	} else {
		types = append(types, recordFieldTypes...)
		close(fieldsDone)
	}
	recs, err := scanAll(ctx, src.Events, Scan{From: recFrom, To: recTo, Types: types})
	if err != nil {
		return nil, fmt.Errorf("outcomes: read events: %w", err)
	}
	firings, handoffs, err := d.records(ctx, src, p, recs)
	if err != nil {
		return nil, err
	}
	// What followed each exposure: asked meanwhile.
	plan := d.planExposures(p, firings)
	var found []*memory.Event
	var raised []bool
	var probeErr, issueErr error
	probed, issued := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(probed)
		found, probeErr = firstEvents(ctx, src.Events, plan.probes)
	}()
	defer func() { <-probed }()
	if convScan {
		go func() {
			defer close(issued)
			raised, issueErr = cs.IssueContacts(ctx, plan.issues)
		}()
		defer func() { <-issued }()
	} else {
		close(issued)
	}
	if <-turnsDone; !convScan && turns == nil && turnsErr == nil {
		turns, turnsErr = scanTurns(ctx, src.Events, recFrom, recTo, recs)
	}
	if turnsErr != nil {
		return nil, fmt.Errorf("outcomes: read turns: %w", turnsErr)
	}
	if <-convsDone; convsErr != nil {
		return nil, fmt.Errorf("outcomes: read conversations: %w", convsErr)
	}
	if convs == nil {
		convs = summarize(turns)
	}
	if <-fieldsDone; fields == nil && fieldsErr == nil {
		fields, fieldsErr = scanRecords(ctx, src.Events, recFrom, recTo, recs)
	}
	if fieldsErr != nil {
		return nil, fmt.Errorf("outcomes: read surveys and offers: %w", fieldsErr)
	}
	sentBy := sentFirings(firings)
	d.conversations(p, convs, handoffs, sentBy)
	d.surveysAndOffers(p, fields, sentBy)
	// Segments: read while the probes are answered.
	var segs map[string]string
	var segErr error
	segDone := make(chan struct{})
	if segments {
		exps := slices.Clone(plan.exps) // settleExposures sorts plan.exps meanwhile
		go func() {
			defer close(segDone)
			segs, segErr = d.readSegments(ctx, src, exps)
		}()
		defer func() { <-segDone }()
	} else {
		close(segDone)
	}
	if <-probed; probeErr != nil {
		return nil, fmt.Errorf("outcomes: events after exposure: %w", probeErr)
	}
	if <-issued; issueErr != nil {
		return nil, fmt.Errorf("outcomes: issue contacts after exposure: %w", issueErr)
	}
	if !convScan {
		raised = issueContacts(plan.issues, turns)
	}
	d.settleExposures(plan, found, raised)
	<-churnDone
	if churnErr != nil {
		return nil, churnErr
	}
	d.notes = append(d.notes, d.churnNotes...)
	if <-segDone; segErr != nil {
		return nil, segErr
	}
	if segments {
		if src.Profiles == nil {
			d.notes = append(d.notes, "no profile source: segments unknown")
		}
		d.assignSegments(segs)
	}
	return d, nil
}

// attributionLookback is how long after a proactive contact a
// conversation or survey is attributed to its trigger.
const attributionLookback = 7 * 24 * time.Hour

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// records gathers firings (record events and the live log, by firing id)
// and handoffs (record events and the live reader, latest per handoff).
func (d *data) records(ctx context.Context, src Sources, p Params, recs map[string][]memory.Event) ([]proactive.Firing, map[string]handoff.Record, error) {
	n := 0
	for _, evs := range recs {
		n += len(evs)
	}
	seen := make(map[string]bool, n)
	firings := make([]proactive.Firing, 0, n)
	handoffs := map[string]handoff.Record{} // by conversation id
	add := func(f proactive.Firing) {
		key := f.ID
		if key == "" {
			key = f.Trigger + "\x00" + f.Customer + "\x00" + f.Occurrence + "\x00" + f.At.String()
		}
		if seen[key] {
			return
		}
		seen[key] = true
		firings = append(firings, f)
	}
	addH := func(h handoff.Record) {
		if h.ConversationID == "" {
			return
		}
		if old, ok := handoffs[h.ConversationID]; ok && !h.UpdatedAt.After(old.UpdatedAt) {
			if h.TransferredFrom != "" && old.TransferredFrom == "" {
				old.TransferredFrom = h.TransferredFrom
				handoffs[h.ConversationID] = old
			}
			return
		}
		handoffs[h.ConversationID] = h
	}
	bad := 0
	for _, customer := range sortedKeys(recs) {
		for _, ev := range recs[customer] {
			switch ev.Type {
			case EventFiring:
				var f proactive.Firing
				if decodeRecord(ev.Props, &f) != nil || f.Trigger == "" || f.At.IsZero() {
					bad++
					continue
				}
				f.Customer = ev.CustomerID // the store's (merged) id wins
				if !f.At.Before(p.From) && f.At.Before(p.To) {
					add(f)
				}
			case EventHandoff:
				var h handoff.Record
				if decodeRecord(ev.Props, &h) != nil || h.CreatedAt.IsZero() {
					bad++
					continue
				}
				h.CustomerID = ev.CustomerID
				addH(h)
			}
		}
	}
	if bad > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%d malformed record events skipped", bad))
	}
	if src.Firings != nil {
		for _, id := range sortedKeys(d.specs) {
			fs, err := src.Firings.Firings(ctx, id, p.From, p.To)
			if err != nil {
				return nil, nil, fmt.Errorf("outcomes: firings of %s: %w", id, err)
			}
			for _, f := range fs {
				add(f)
			}
		}
	} else {
		d.notes = append(d.notes, "no firing log wired: proactive figures from recorded firing events only")
	}
	if src.Handoffs != nil {
		hs, err := src.Handoffs.Handoffs(ctx, recFromFor(p), p.To.Add(p.ReturnWindow))
		if err != nil {
			return nil, nil, fmt.Errorf("outcomes: handoffs: %w", err)
		}
		for _, h := range hs {
			addH(h)
		}
	}
	sortByTime(firings, func(f *proactive.Firing) time.Time { return f.At }, func(a, b *proactive.Firing) int { return strings.Compare(a.ID, b.ID) })
	return firings, handoffs, nil
}

func recFromFor(p Params) time.Time { return p.From.Add(-attributionLookback) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// sentFirings are each customer's sent firings, oldest first.
func sentFirings(fs []proactive.Firing) map[string][]proactive.Firing {
	out := map[string][]proactive.Firing{}
	for _, f := range fs {
		if f.Outcome == proactive.OutcomeSent {
			out[f.Customer] = append(out[f.Customer], f)
		}
	}
	return out
}

// attributed is the trigger that contacted customer within the week
// before at, or "".
func attributed(sent map[string][]proactive.Firing, customer string, at time.Time) string {
	fs := sent[customer]
	i, _ := slices.BinarySearchFunc(fs, at, func(f proactive.Firing, t time.Time) int { return f.At.Compare(t) })
	if i > 0 && at.Sub(fs[i-1].At) <= attributionLookback {
		return fs[i-1].Trigger
	}
	return ""
}

// conversations takes each customer's conversations (by start) that
// start in the period, with their handoffs, recovery and the 72-hour
// return check.
func (d *data) conversations(p Params, convs []Conversation, handoffs map[string]handoff.Record, sent map[string][]proactive.Firing) {
	d.convs = make([]*conv, 0, len(convs))
	for lo, hi := 0, 0; lo < len(convs); lo = hi {
		customer := convs[lo].Customer
		for hi = lo + 1; hi < len(convs) && convs[hi].Customer == customer; hi++ {
		}
		order := convs[lo:hi]
		for i := range order {
			if order[i].Start.Before(p.From) || !order[i].Start.Before(p.To) {
				continue
			}
			c := newConv(order[i])
			if h, ok := handoffs[c.id]; ok {
				h := h
				c.handoff = &h
				c.channel = cmp.Or(c.channel, h.Channel)
				if h.TransferredFrom != "" {
					c.transfers = 1
				}
			}
			c.recovery()
			// Returned: another conversation of the customer starts within
			// the window after this one's last turn (one that starts
			// before this one cannot start after its end).
			deadline := c.end.Add(p.ReturnWindow)
			c.observable = !deadline.After(p.Now)
			for j := range order {
				if o := &order[j]; j != i && o.Start.After(c.end) && !o.Start.After(deadline) {
					c.returned = true
					break
				}
			}
			c.trigger = attributed(sent, customer, c.start)
			d.convs = append(d.convs, c)
		}
	}
	sortByTime(d.convs, func(c **conv) time.Time { return (*c).start }, func(a, b **conv) int { return strings.Compare((*a).id, (*b).id) })
}

// recovery: after the first negative turn, the intervention is the first
// turn marked intervened (the bot's), else the handoff's creation when it
// came at or after that turn (an agent's); the conversation recovered when
// a turn after the intervention is not negative and has valence ≥ 0.
func (c *conv) recovery() {
	if !c.negative {
		return
	}
	if c.botIntervened {
		c.recovered = c.recoveredAt.After(c.interveneAt)
		return
	}
	if c.handoff == nil || c.handoff.CreatedAt.Before(c.negAt) {
		return
	}
	c.interveneAt = c.handoff.CreatedAt
	c.recovered = c.recoveredAt.After(c.interveneAt)
}

func (c *conv) intervened() bool { return c.negative && !c.interveneAt.IsZero() }

func (d *data) surveysAndOffers(p Params, recs []Record, sent map[string][]proactive.Firing) {
	// An offer's outcome is its customer's last feedback on the decision
	// (by time, then id).
	type decision struct{ customer, id string }
	feedback := map[decision]*Record{}
	keep := make([]*Record, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Type == EventFeedback && r.DecisionID != "":
			k := decision{r.Customer, r.DecisionID}
			if f := feedback[k]; f == nil || cmp.Or(r.At.Compare(f.At), strings.Compare(r.ID, f.ID)) > 0 {
				feedback[k] = r
			}
		case r.Type == EventSurvey || r.Type == EventOffered:
			if !r.At.Before(p.From) && r.At.Before(p.To) {
				keep = append(keep, r)
			}
		}
	}
	// By time, then customer and id: every scope sums in this order.
	sortByTime(keep, func(r **Record) time.Time { return (*r).At }, func(a, b **Record) int {
		return cmp.Or(strings.Compare((*a).Customer, (*b).Customer), strings.Compare((*a).ID, (*b).ID))
	})
	for _, r := range keep {
		switch r.Type {
		case EventSurvey:
			sv := survey{customer: r.Customer, at: r.At, channel: r.Channel, trigger: attributed(sent, r.Customer, r.At)}
			if r.CSAT >= 1 && r.CSAT <= 5 { // NaN (absent) is neither
				sv.csat = r.CSAT
			}
			if r.CES >= 1 && r.CES <= 7 {
				sv.ces = r.CES
			}
			if sv.csat > 0 || sv.ces > 0 {
				d.surveys = append(d.surveys, sv)
			}
		case EventOffered:
			if r.DecisionID == "" || r.Action == "" {
				continue
			}
			o := offer{id: r.DecisionID, action: r.Action, customer: r.Customer, at: r.At,
				channel: r.Channel, trigger: attributed(sent, r.Customer, r.At)}
			if f := feedback[decision{r.Customer, r.DecisionID}]; f != nil {
				o.outcome = f.Outcome
			}
			d.offers = append(d.offers, o)
		}
	}
}

// sortByTime sorts xs by time, then by tie (when not nil), then by their
// order in xs. It sorts small keys and moves each record once: sorting
// 100,000 records of a hundred bytes and more by time.Time.Compare was a
// tenth of a report's time in Go.
func sortByTime[T any](xs []T, at func(*T) time.Time, tie func(a, b *T) int) {
	type key struct {
		sec  int64
		nsec int32
		i    int32
	}
	keys := make([]key, len(xs))
	for i := range xs {
		t := at(&xs[i])
		keys[i] = key{t.Unix(), int32(t.Nanosecond()), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.sec != b.sec {
			return cmp.Compare(a.sec, b.sec)
		}
		if a.nsec != b.nsec {
			return cmp.Compare(a.nsec, b.nsec)
		}
		if tie != nil {
			if c := tie(&xs[a.i], &xs[b.i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.i, b.i)
	})
	sorted := make([]T, len(xs))
	for k, key := range keys {
		sorted[k] = xs[key.i]
	}
	copy(xs, sorted)
}
