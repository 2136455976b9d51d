package outcomes

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/proactive"
)

// Compute returns every figure for p's period from src: overall, per
// group of p.By, and per bucket of p.Interval. Bad parameters are
// ErrInvalid; a failing source is returned as is.
func Compute(ctx context.Context, src Sources, p Params) (Report, error) {
	if err := p.normalize(); err != nil {
		return Report{}, err
	}
	d, err := load(ctx, src, p, p.By == BySegment)
	if err != nil {
		return Report{}, err
	}
	return d.report(p), nil
}

// Build is Compute and Ledger from one read of the sources.
func Build(ctx context.Context, src Sources, p Params) (Report, []Entry, error) {
	if err := p.normalize(); err != nil {
		return Report{}, nil, err
	}
	d, err := load(ctx, src, p, true)
	if err != nil {
		return Report{}, nil, err
	}
	es, _ := d.ledger(p, true)
	return d.report(p), es, nil
}

func (d *data) report(p Params) Report {
	rep := Report{From: p.From, To: p.To, By: p.By, Interval: p.Interval, Generated: time.Now().UTC(), Notes: d.notes}
	all := scope{from: p.From, to: p.To, churn: true}
	rep.Overall = d.figures(p, all)
	if p.By != ByNone {
		parts := d.partition(p.By)
		for _, k := range d.keys(p.By) {
			part := parts[k]
			if part == nil {
				part = d.share()
			}
			rep.Groups = append(rep.Groups, Group{Key: k, Figures: part.figures(p, scope{from: p.From, to: p.To, by: p.By, key: k, churn: p.By == BySegment})})
		}
	}
	for _, b := range buckets(p.From, p.To, p.Interval) {
		rep.Series = append(rep.Series, Bucket{From: b[0], To: b[1], Figures: d.figures(p, scope{from: b[0], to: b[1]})})
	}
	_, rep.Ledger = d.ledger(p, false)
	return rep
}

// none is the group of records a dimension does not apply to.
const none = "(none)"

type scope struct {
	from, to time.Time
	by, key  string
	churn    bool // the churn figures apply (whole period)
}

func (s scope) has(t time.Time, trigger, channel, segment string) bool {
	if t.Before(s.from) || !t.Before(s.to) {
		return false
	}
	var v string
	switch s.by {
	case ByNone:
		return true
	case ByTrigger:
		v = trigger
	case ByChannel:
		v = channel
	case BySegment:
		v = segment
	}
	return cmp.Or(v, none) == s.key
}

// keys are the values of a dimension in the records, sorted.
func (d *data) keys(by string) []string {
	set := map[string]bool{}
	add := func(trigger, channel, segment string) {
		switch by {
		case ByTrigger:
			set[cmp.Or(trigger, none)] = true
		case ByChannel:
			set[cmp.Or(channel, none)] = true
		case BySegment:
			set[cmp.Or(segment, none)] = true
		}
	}
	for _, c := range d.convs {
		add(c.trigger, c.channel, c.segment)
	}
	for _, s := range d.surveys {
		add(s.trigger, s.channel, s.segment)
	}
	for _, o := range d.offers {
		add(o.trigger, o.channel, o.segment)
	}
	for _, e := range d.exposures {
		add(e.trigger, e.channel, e.segment)
	}
	if by == ByTrigger {
		for _, t := range d.triggers {
			set[t] = true
		}
	}
	if by == BySegment {
		for _, c := range d.churn {
			set[c.segment] = true
		}
	}
	return sortedKeys(set)
}

func (d *data) figures(p Params, s scope) Figures {
	var f Figures
	f.Prediction.Churn = ChurnQuality{Cutoff: d.churnInfo.Cutoff, Horizon: d.churnInfo.Horizon, Model: d.churnInfo.Model}
	if s.churn {
		var smp []churnSample
		for _, c := range d.churn {
			if s.by == ByNone || c.segment == s.key {
				smp = append(smp, c)
			}
		}
		f.Prediction.Churn = churnFigures(f.Prediction.Churn, smp, p.K, p.MinGroup)
	} else {
		f.Prediction.Churn = ChurnQuality{}
	}
	f.Prediction.NBA = d.adoption(s)
	f.Proactive = d.effects(p, s)
	f.Experience, f.Operations = d.experience(p, s)
	return f
}

// churnFigures are AUC and precision@k of samples.
func churnFigures(q ChurnQuality, smp []churnSample, k, minGroup int) ChurnQuality {
	scores := make([]float64, len(smp))
	labels := make([]bool, len(smp))
	for i, s := range smp {
		scores[i], labels[i] = s.score, s.churned
		if s.churned {
			q.Churned++
		}
	}
	q.Customers = len(smp)
	if q.Customers == 0 {
		return q
	}
	q.BaseRate = ptr(float64(q.Churned) / float64(q.Customers))
	if k <= 0 {
		k = q.Churned
	}
	q.K = min(k, len(smp))
	if q.K > 0 {
		prec := churn.PrecisionAtK(scores, labels, q.K)
		hits := int(prec*float64(q.K) + 0.5)
		q.PrecisionAtK = rateOf(hits, q.K)
		q.PrecisionAtK.Value = ptr(prec) // exact, ties in proportion
	}
	if a := churn.AUC(scores, labels); q.Churned > 0 && q.Churned < q.Customers {
		lo, hi := aucInterval(a, q.Churned, q.Customers-q.Churned)
		q.AUC, q.AUCLow, q.AUCHigh = ptr(a), ptr(lo), ptr(hi)
	}
	q.Inconclusive = q.Churned < minGroup || q.Customers-q.Churned < minGroup
	return q
}

func (d *data) adoption(s scope) []Adoption {
	by := map[string]*Adoption{}
	offers := within(d.offers, s.from, s.to, func(o offer) time.Time { return o.at })
	for i := range offers {
		o := &offers[i]
		if !s.has(o.at, o.trigger, o.channel, o.segment) {
			continue
		}
		a := by[o.action]
		if a == nil {
			a = &Adoption{Action: o.action}
			by[o.action] = a
		}
		a.Offered++
		switch o.outcome {
		case "accepted":
			a.Accepted++
		case "declined":
			a.Declined++
		case "ignored":
			a.Ignored++
		}
	}
	out := []Adoption{}
	for _, k := range sortedKeys(by) {
		a := by[k]
		a.Rate = rateOf(a.Accepted, a.Offered)
		out = append(out, *a)
	}
	return out
}

func (d *data) effects(p Params, s scope) []Effect {
	out := []Effect{}
	for _, t := range d.triggers {
		if s.by == ByTrigger && s.key != t {
			continue
		}
		win, types := d.window(t)
		e := Effect{Trigger: t, OutcomeEvents: types, Attribution: win.String()}
		if e.OutcomeEvents == nil {
			e.OutcomeEvents = []string{}
		}
		var c [2]struct{ n, conv, retN, ret, issue int }
		for _, x := range within(d.exposures, s.from, s.to, func(x *exposure) time.Time { return x.at }) {
			if x.trigger != t || !s.has(x.at, x.trigger, x.channel, x.segment) {
				continue
			}
			g := &c[0]
			if x.group == proactive.GroupHoldout {
				g = &c[1]
			}
			g.n++
			if x.converted {
				g.conv++
			}
			if x.retEligible {
				g.retN++
				if x.retained {
					g.ret++
				}
			}
			if x.issue {
				g.issue++
			}
		}
		issues := p.Issues[t]
		for i, g := range []*GroupCounts{&e.Treatment, &e.Holdout} {
			g.Customers = c[i].n
			g.Conversion = rateOf(c[i].conv, c[i].n)
			g.Retention = rateOf(c[i].ret, c[i].retN)
			if len(issues) > 0 {
				g.IssueRate = rateOf(c[i].issue, c[i].n)
			}
		}
		t0, h0 := c[0], c[1]
		e.Conversion = uplift(t0.conv, t0.n, h0.conv, h0.n, p.MinGroup, "conversion", 1)
		e.Retention = uplift(t0.ret, t0.retN, h0.ret, h0.retN, p.MinGroup, "retention", 1)
		e.Prevention.Issue = slices.Clone(issues)
		if e.Prevention.Issue == nil {
			e.Prevention.Issue = []string{}
			e.Prevention.Reduction = Uplift{Verdict: VerdictNoData, Reason: "no issue intents known for this trigger", Method: "newcombe-wilson-95"}
		} else {
			e.Prevention.Prevented = rateOf(t0.n-t0.issue, t0.n)
			e.Prevention.Reduction = uplift(t0.issue, t0.n, h0.issue, h0.n, p.MinGroup, "issue contacts", -1)
			if h0.n > 0 && h0.issue > 0 && t0.n > 0 {
				e.Prevention.Ratio = ptr(1 - (float64(t0.issue)/float64(t0.n))/(float64(h0.issue)/float64(h0.n)))
			}
		}
		out = append(out, e)
	}
	return out
}

func (d *data) experience(p Params, s scope) (Experience, Operations) {
	var x Experience
	var o Operations
	var ces, csat, turns, repeats, transfers, ttr, wait, first []float64
	for _, v := range within(d.surveys, s.from, s.to, func(v survey) time.Time { return v.at }) {
		if !s.has(v.at, v.trigger, v.channel, v.segment) {
			continue
		}
		if v.ces > 0 {
			ces = append(ces, v.ces)
		}
		if v.csat > 0 {
			csat = append(csat, v.csat)
		}
	}
	var rec, recN, recBot, recBotN, recAg, recAgN, handed, resolved, resolvedN, tokN, costN int
	var tokens, cost float64
	for _, c := range within(d.convs, s.from, s.to, func(c *conv) time.Time { return c.start }) {
		if !s.has(c.start, c.trigger, c.channel, c.segment) {
			continue
		}
		o.Conversations++
		turns = append(turns, float64(c.turns))
		repeats = append(repeats, float64(c.repeats))
		end := c.end
		if c.handoff != nil {
			handed++
			transfers = append(transfers, float64(c.transfers))
			if c.handoff.ClaimedAt != nil && !c.handoff.ClaimedAt.Before(c.handoff.CreatedAt) {
				w := c.handoff.ClaimedAt.Sub(c.handoff.CreatedAt).Seconds()
				wait = append(wait, w)
				if !c.hasResponse {
					first = append(first, w)
				}
			}
			end = time.Time{}
			if c.handoff.ResolvedAt != nil {
				end = *c.handoff.ResolvedAt
			}
		}
		if !end.IsZero() && !end.Before(c.start) {
			ttr = append(ttr, end.Sub(c.start).Seconds())
		}
		if c.hasResponse {
			first = append(first, c.responseMS/1000)
		}
		if c.negative {
			x.NegativeTurned++
		}
		if c.intervened() {
			recN++
			if c.botIntervened {
				recBotN++
			} else {
				recAgN++
			}
			if c.recovered {
				rec++
				if c.botIntervened {
					recBot++
				} else {
					recAg++
				}
			}
		}
		if c.observable {
			resolvedN++
			if c.handoff == nil && !c.returned {
				resolved++
				if c.hasTokens {
					tokN++
					tokens += c.tokens
				}
				if c.hasCost {
					costN++
					cost += c.cost
				}
			}
		}
	}
	x.CES, x.CSAT = meanOf(ces), meanOf(csat)
	x.Turns, x.Repeats, x.Transfers = meanOf(turns), meanOf(repeats), meanOf(transfers)
	x.TimeToResolution = distOf(ttr)
	x.Recovery, x.RecoveryBot, x.RecoveryAgent = rateOf(rec, recN), rateOf(recBot, recBotN), rateOf(recAg, recAgN)
	o.BotResolution = rateOf(resolved, resolvedN)
	o.HandoffRate = rateOf(handed, o.Conversations)
	o.QueueWait, o.FirstResponse = distOf(wait), distOf(first)
	o.TokensRecorded, o.CostRecorded = tokN, costN
	if tokN > 0 {
		o.TokensPerResolved = ptr(tokens / float64(tokN))
	}
	if costN > 0 {
		o.CostPerResolved = ptr(cost / float64(costN))
	}
	return x, o
}

// Ledger returns the outcome ledger of p's period (resolutions and
// proactive actions, oldest first) and its totals.
func Ledger(ctx context.Context, src Sources, p Params) ([]Entry, LedgerTotals, error) {
	if err := p.normalize(); err != nil {
		return nil, LedgerTotals{}, err
	}
	d, err := load(ctx, src, p, true)
	if err != nil {
		return nil, LedgerTotals{}, err
	}
	es, tot := d.ledger(p, true)
	return es, tot, nil
}

// ledger returns the entries (when asked for) and their totals.
func (d *data) ledger(p Params, entries bool) ([]Entry, LedgerTotals) {
	var out []Entry
	var t LedgerTotals
	for _, c := range d.convs {
		if !c.observable || c.handoff != nil || c.returned {
			continue
		}
		t.Resolutions++
		t.AgentMinutesSaved += p.AgentMinutes
		if !entries {
			continue
		}
		out = append(out, Entry{Kind: EntryResolution, ID: c.id, At: c.start, Customer: c.customer, Trigger: c.trigger,
			Channel: c.channel, Segment: c.segment, AgentMinutesSaved: p.AgentMinutes})
	}
	// The share of a converted value the holdout says was caused.
	share := map[string]float64{}
	for _, e := range d.effects(p, scope{from: p.From, to: p.To}) {
		u, r := e.Conversion.Diff, e.Treatment.Conversion.Value
		if u != nil && r != nil && *u > 0 && *r > 0 && e.Conversion.Verdict == VerdictHelps {
			share[e.Trigger] = min(1, *u / *r)
		}
	}
	for _, e := range d.exposures {
		if e.group != proactive.GroupTreatment || e.sent == 0 {
			continue
		}
		en := Entry{Kind: EntryProactive, ID: e.firingID, At: e.at, Customer: e.customer, Trigger: e.trigger, Channel: e.channel,
			Segment: e.segment, Converted: e.converted, ConversionValue: e.value, IncrementalValue: e.value * share[e.trigger]}
		if e.retEligible {
			r := e.retained
			en.Retained = &r
			if r {
				t.Retained++
			}
		}
		if entries {
			out = append(out, en)
		}
		t.ProactiveActions++
		if e.converted {
			t.Conversions++
		}
		t.ConversionValue += en.ConversionValue
		t.IncrementalValue += en.IncrementalValue
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out, t
}

// A report computes its figures for the whole period and again for every
// bucket of its series (up to 400): each scope reads only the records of
// its time range. Conversations, exposures, surveys and offers are kept
// sorted by time and cut by binary search, so every sum adds in the same
// order whatever the scope.

// within is the part of xs (sorted by at) with from ≤ at < to.
func within[T any](xs []T, from, to time.Time, at func(T) time.Time) []T {
	cmpAt := func(x T, t time.Time) int { return at(x).Compare(t) }
	lo, _ := slices.BinarySearchFunc(xs, from, cmpAt)
	hi, _ := slices.BinarySearchFunc(xs, to, cmpAt)
	return xs[lo:max(lo, hi)]
}

// share is an empty data with d's triggers, specs and churn facts: the
// frame a part of d's records is figured in.
func (d *data) share() *data {
	return &data{triggers: d.triggers, specs: d.specs, churnInfo: d.churnInfo}
}

// partition splits d's records by their value of the dimension by, each
// part in d's order: a group's figures then read its own records, not
// every record of the period (a report by segment has a dozen groups).
// Churn samples are split only by segment, the one dimension they have.
func (d *data) partition(by string) map[string]*data {
	parts := map[string]*data{}
	part := func(trigger, channel, segment string) *data {
		var k string
		switch by {
		case ByTrigger:
			k = trigger
		case ByChannel:
			k = channel
		case BySegment:
			k = segment
		}
		k = cmp.Or(k, none)
		p := parts[k]
		if p == nil {
			p = d.share()
			parts[k] = p
		}
		return p
	}
	for _, c := range d.convs {
		p := part(c.trigger, c.channel, c.segment)
		p.convs = append(p.convs, c)
	}
	for _, s := range d.surveys {
		p := part(s.trigger, s.channel, s.segment)
		p.surveys = append(p.surveys, s)
	}
	for _, o := range d.offers {
		p := part(o.trigger, o.channel, o.segment)
		p.offers = append(p.offers, o)
	}
	for _, e := range d.exposures {
		p := part(e.trigger, e.channel, e.segment)
		p.exposures = append(p.exposures, e)
	}
	if by == BySegment {
		for _, c := range d.churn {
			p := part("", "", c.segment)
			p.churn = append(p.churn, c)
		}
	}
	return parts
}
