package outcomes

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// behaviour reports whether an event is the customer doing something
// (not a record Kairos keeps about them).
func behaviour(typ string) bool {
	switch typ {
	case EventFiring, EventHandoff, EventOffered, EventFeedback:
		return false
	}
	return true
}

func (d *data) window(trigger string) (time.Duration, []string) {
	if s := d.specs[trigger]; s != nil {
		return cmp.Or(s.Outcome.Within.D(), proactive.DefaultAttribution), s.Outcome.Events
	}
	return proactive.DefaultAttribution, nil
}

// exposurePlan is the exposures of a period and the probes that read
// what followed them.
type exposurePlan struct {
	exps   []*exposure
	probes []Probe
	convAt []int // index of each exposure's conversion probe
	retAt  []int // …and of its retention probe, or -1
	// issues ask for the issue contacts after each exposure whose
	// trigger has issue intents (issueAt: its probe, or -1).
	issues  []IssueProbe
	issueAt []int
}

// planExposures builds each trigger's exposures (first sent or holdout
// firing of each customer in the period) and the probes for what followed
// them, which need nothing but the firings: load sends them off while it
// reads and folds the turns.
func (d *data) planExposures(p Params, firings []proactive.Firing) exposurePlan {
	trig := map[string]bool{}
	for id := range d.specs {
		trig[id] = true
	}
	first := make(map[[2]string]*exposure, len(firings))
	exps := make([]*exposure, 0, len(firings))
	for _, f := range firings {
		trig[f.Trigger] = true
		if f.Outcome != proactive.OutcomeSent && f.Outcome != proactive.OutcomeHoldout {
			continue
		}
		k := [2]string{f.Trigger, f.Customer}
		if e := first[k]; e != nil {
			if f.Outcome == proactive.OutcomeSent {
				e.sent++
			}
			continue
		}
		group := proactive.GroupTreatment
		if f.Outcome == proactive.OutcomeHoldout || f.Group == proactive.GroupHoldout {
			group = proactive.GroupHoldout
		}
		e := &exposure{trigger: f.Trigger, customer: f.Customer, group: group, channel: f.Channel, firingID: f.ID, at: f.At}
		if f.Outcome == proactive.OutcomeSent {
			e.sent = 1
		}
		first[k] = e
		exps = append(exps, e)
	}
	d.triggers = sortedKeys(trig)
	end := minTime(p.To, p.Now)
	probes := make([]Probe, 0, 2*len(exps)) // a conversion and a retention probe each
	convAt := make([]int, len(exps))
	retAt := make([]int, len(exps))
	for i, e := range exps {
		win, types := d.window(e.trigger)
		convAt[i] = len(probes)
		if len(types) == 0 {
			probes = append(probes, Probe{Customer: e.customer, From: e.at.Add(time.Nanosecond), To: e.at.Add(win), Types: recordTypes, Exclude: true})
		} else {
			probes = append(probes, Probe{Customer: e.customer, From: e.at.Add(time.Nanosecond), To: e.at.Add(win), Types: types})
		}
		retAt[i] = -1
		if e.retEligible = !e.at.Add(proactive.RetentionTo).After(end); e.retEligible {
			retAt[i] = len(probes)
			probes = append(probes, Probe{Customer: e.customer, From: e.at.Add(proactive.RetentionFrom), To: e.at.Add(proactive.RetentionTo), Types: recordTypes, Exclude: true})
		}
	}
	plan := exposurePlan{exps: exps, probes: probes, convAt: convAt, retAt: retAt, issueAt: make([]int, len(exps)),
		issues: make([]IssueProbe, 0, len(exps))}
	for i, e := range exps {
		plan.issueAt[i] = -1
		if is := p.Issues[e.trigger]; len(is) > 0 {
			win, _ := d.window(e.trigger)
			plan.issueAt[i] = len(plan.issues)
			plan.issues = append(plan.issues, IssueProbe{Customer: e.customer, From: e.at, To: e.at.Add(win), Intents: is})
		}
	}
	return plan
}

// settleExposures reads the probes' answers (found[i] for probes[i]) and
// the issue contacts (raised[i] for plan.issues[i]) into the exposures'
// outcomes.
func (d *data) settleExposures(plan exposurePlan, found []*memory.Event, raised []bool) {
	for i, e := range plan.exps {
		if ev := found[plan.convAt[i]]; ev != nil {
			e.converted, e.value = true, eventValue(ev.Props)
		}
		if plan.retAt[i] >= 0 {
			e.retained = found[plan.retAt[i]] != nil
		}
		if e.issueKnown = plan.issueAt[i] >= 0; e.issueKnown {
			e.issue = raised[plan.issueAt[i]]
		}
	}
	// Already in time order (firings are read sorted); kept so for the
	// scopes' binary search even if that changes.
	slices.SortStableFunc(plan.exps, func(a, b *exposure) int { return a.at.Compare(b.at) })
	d.exposures = plan.exps
}

// issueContacts answers issue probes from the turns (grouped per
// customer).
func issueContacts(probes []IssueProbe, turns map[string][]Turn) []bool {
	out := make([]bool, len(probes))
	for i, pr := range probes {
		for _, t := range turns[pr.Customer] {
			if t.At.After(pr.From) && t.At.Before(pr.To) && slices.Contains(pr.Intents, t.Intent) {
				out[i] = true
				break
			}
		}
	}
	return out
}

// recordTypes are the events that are Kairos's records, not the
// customer's behaviour.
var recordTypes = []string{EventFiring, EventHandoff, EventOffered, EventFeedback}

// firstEvents answers probes with the scanner's Prober, or by scanning the
// probed customers' events.
func firstEvents(ctx context.Context, s EventScanner, probes []Probe) ([]*memory.Event, error) {
	if pr, ok := s.(Prober); ok {
		return pr.FirstEvents(ctx, probes)
	}
	found := make([]*memory.Event, len(probes))
	if len(probes) == 0 {
		return found, nil
	}
	byCustomer := map[string][]int{}
	from, to := probes[0].From, probes[0].To
	for i, pr := range probes {
		byCustomer[pr.Customer] = append(byCustomer[pr.Customer], i)
		from, to = minTime(from, pr.From), maxTime(to, pr.To)
	}
	evs, err := scanAll(ctx, s, Scan{From: from, To: to, Customers: sortedKeys(byCustomer)})
	if err != nil {
		return nil, err
	}
	for c, idx := range byCustomer {
		for _, i := range idx {
			pr := probes[i]
			for _, ev := range evs[c] {
				if !ev.At.Before(pr.From) && ev.At.Before(pr.To) && (len(pr.Types) == 0 || slices.Contains(pr.Types, ev.Type) != pr.Exclude) {
					found[i] = &ev
					break
				}
			}
		}
	}
	return found, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eventValue is an outcome event's money value: total, amount or value.
func eventValue(props json.RawMessage) float64 {
	var v struct {
		Total, Amount, Value *float64
	}
	if json.Unmarshal(props, &v) != nil {
		return 0
	}
	for _, x := range []*float64{v.Total, v.Amount, v.Value} {
		if x != nil && *x >= 0 && *x < 1e12 {
			return *x
		}
	}
	return 0
}

// churnHistory is how much history before the cut-off the churn features
// are rebuilt from.
const churnHistory = 365 * 24 * time.Hour

// churnQuality scores the churn model at the cut-off against the churn
// observed after it.
func (d *data) churnQuality(ctx context.Context, src Sources, p Params) error {
	cutoff := p.To.Add(-p.ChurnHorizon)
	if cutoff.Before(p.From) {
		cutoff = p.From
	}
	obsEnd := minTime(cutoff.Add(p.ChurnHorizon), minTime(p.To, p.Now))
	q := &d.churnInfo
	q.Cutoff, q.Horizon, q.Model = cutoff, obsEnd.Sub(cutoff).String(), "default"
	model := src.Churn
	if model == nil {
		model = churn.Default()
	} else if model.Trained != nil {
		q.Model = "trained"
	}
	lister, ok := src.Events.(CustomerLister)
	if !ok {
		d.churnNotes = append(d.churnNotes, "the event source cannot list customers: no churn evaluation")
		return nil
	}
	if !obsEnd.After(cutoff) {
		d.churnNotes = append(d.churnNotes, "no time after the churn cut-off to observe churn in")
		return nil
	}
	all, err := lister.CustomerIDs(ctx)
	if err != nil {
		return fmt.Errorf("outcomes: list customers: %w", err)
	}
	ids := sample(all, p.ChurnSample)
	// The history before the cut-off is replayed; after it only whether
	// there was any behaviour is asked (probes, not a third of the events).
	evs, err := scanAll(ctx, src.Events, Scan{From: cutoff.Add(-churnHistory), To: cutoff, Customers: ids})
	if err != nil {
		return fmt.Errorf("outcomes: events for churn: %w", err)
	}
	probes := make([]Probe, len(ids))
	for i, id := range ids {
		probes[i] = Probe{Customer: id, From: cutoff, To: obsEnd, Types: recordTypes, Exclude: true}
	}
	afterCutoff, err := firstEvents(ctx, src.Events, probes)
	if err != nil {
		return fmt.Errorf("outcomes: events after the churn cut-off: %w", err)
	}
	var profiles map[string]memory.Profile
	if src.Profiles != nil {
		if profiles, err = src.Profiles.Profiles(ctx, ids); err != nil {
			return fmt.Errorf("outcomes: profiles for churn: %w", err)
		}
	}
	var before, recent []memory.Event // reused: neither AsOf nor Features keeps them
	for i, id := range ids {
		es := evs[id]
		before = before[:0]
		active, after := false, afterCutoff[i] != nil
		for _, ev := range es {
			if !behaviour(ev.Type) {
				continue
			}
			before = append(before, ev)
			if !ev.At.Before(cutoff.Add(-p.ChurnLookback)) {
				active = true
			}
		}
		if !active {
			continue
		}
		prof := churn.AsOf(profiles[id], before, cutoff)
		prof.CustomerID = id
		recent = recent[:0]
		for _, ev := range before {
			if !ev.At.Before(cutoff.Add(-churn.RecentWindow)) {
				recent = append(recent, ev)
			}
		}
		if recent == nil {
			recent = []memory.Event{}
		}
		score := model.Risk(churn.Features(churn.Input{Profile: prof, Events: recent}, cutoff))
		seg := unknownSegment
		if pr, ok := profiles[id]; ok {
			seg = segmentOf(pr.Business.Tier, pr.Business.Stage)
		}
		d.churn = append(d.churn, churnSample{score: score, churned: !after, segment: seg})
	}
	return nil
}

// sample keeps at most n ids, chosen by a hash of the id (the same ids
// every run), in id order.
func sample(ids []string, n int) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) <= n {
		return ids
	}
	type h struct {
		id string
		v  uint64
	}
	hs := make([]h, len(ids))
	for i, id := range ids {
		f := fnv.New64a()
		f.Write([]byte(id))
		hs[i] = h{id, f.Sum64()}
	}
	slices.SortFunc(hs, func(a, b h) int { return cmp.Compare(a.v, b.v) })
	out := make([]string, n)
	for i := range out {
		out[i] = hs[i].id
	}
	slices.Sort(out)
	return out
}

// segmentOf is the segment of a customer's profile: tier/stage.
func segmentOf(tier, stage string) string {
	return cmp.Or(tier, "none") + "/" + cmp.Or(stage, "unknown")
}

// unknownSegment is the segment of a customer without a profile.
const unknownSegment = "none/unknown"

// readSegments reads the segment of every customer with a conversation,
// survey, offer or exposure (exps) from the profiles. Only a report by
// segment and the ledger's entries show segments; other reports skip it
// (reading 100,000 profiles is a large part of a report). The churn
// samples have theirs from the profiles churnQuality reads.
func (d *data) readSegments(ctx context.Context, src Sources, exps []*exposure) (map[string]string, error) {
	ids := map[string]bool{}
	for _, c := range d.convs {
		ids[c.customer] = true
	}
	for _, s := range d.surveys {
		ids[s.customer] = true
	}
	for _, o := range d.offers {
		ids[o.customer] = true
	}
	for _, e := range exps {
		ids[e.customer] = true
	}
	seg := make(map[string]string, len(ids))
	if len(ids) == 0 || src.Profiles == nil {
		return seg, nil
	}
	if sr, ok := src.Profiles.(SegmentReader); ok {
		ss, err := sr.Segments(ctx, sortedKeys(ids))
		if err != nil {
			return nil, fmt.Errorf("outcomes: segments: %w", err)
		}
		names := map[Segment]string{} // a few segments, 100,000 customers
		for id, s := range ss {
			name, ok := names[s]
			if !ok {
				name = segmentOf(s.Tier, s.Stage)
				names[s] = name
			}
			seg[id] = name
		}
		return seg, nil
	}
	ps, err := src.Profiles.Profiles(ctx, sortedKeys(ids))
	if err != nil {
		return nil, fmt.Errorf("outcomes: profiles: %w", err)
	}
	for id, p := range ps {
		seg[id] = segmentOf(p.Business.Tier, p.Business.Stage)
	}
	return seg, nil
}

// assignSegments fills the segment of every record from seg (by customer).
func (d *data) assignSegments(seg map[string]string) {
	get := func(id string) string { return cmp.Or(seg[id], unknownSegment) }
	for _, c := range d.convs {
		c.segment = get(c.customer)
	}
	for i := range d.surveys {
		d.surveys[i].segment = get(d.surveys[i].customer)
	}
	for i := range d.offers {
		d.offers[i].segment = get(d.offers[i].customer)
	}
	for _, e := range d.exposures {
		e.segment = get(e.customer)
	}
}
