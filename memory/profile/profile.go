// Package profile maintains the customer-360 view (memory.Profile)
// incrementally from events and conversation turns, and validates the
// documented standard event types.
//
// Everything here is pure: no I/O, no clock. Callers (memory/ingest, the
// dialogue engine) read a profile, apply what happened and write it back in
// one store transaction.
//
// Counters (orders, page views, visits, survey means) count each applied
// event once: callers must apply an event only when the store reports it
// new (memory.CustomerStore.AppendEvents). Everything else is safe to apply
// twice and in any order: times take the min or max, the recent path is
// kept ordered by time and skips an entry it already holds, dwell per page
// view only grows.
package profile

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Bounds and windows of the behaviour profile.
const (
	// SessionGap is the quiet time after which activity counts as a new
	// visit.
	SessionGap = 30 * time.Minute
	// MaxPath is how many page views the recent path keeps.
	MaxPath = 20
	// VisitWindow is the window of Behaviour.VisitDays30 and ActiveDays:
	// 30 UTC days up to LastSeen's.
	VisitWindow = 30 * 24 * time.Hour
	// MaxRecentOrders is how many order times Business.RecentOrders keeps;
	// the reorder interval is the median gap among them.
	MaxRecentOrders = 50
)

// behavioural reports whether an event is the customer moving through the
// site or app (it counts for visits and last seen). Business events
// (orders, bills, usage reported by a back office) do not.
func behavioural(ev memory.Event) bool {
	switch ev.Type {
	case TypePageView, TypePageLeave, TypeProductView, TypeSearch, TypeCartAdd:
		return true
	}
	// Custom events a channel observed (the widget's own names) are the
	// customer acting; custom events from business systems are not.
	return !IsStandard(ev.Type) && ev.Source == "web"
}

// Apply updates p with one event. Props that do not decode are ignored
// (Validate rejects them before an event is stored). Apply does not set
// p.UpdatedAt or the stage: callers set both once per write (see Stage).
func Apply(p *memory.Profile, ev memory.Event) {
	if p.CustomerID == "" {
		p.CustomerID = ev.CustomerID
	}
	if behavioural(ev) {
		seen(&p.Behaviour, ev.At)
	}
	switch ev.Type {
	case TypePageView:
		var v struct {
			URL     string  `json:"url"`
			Title   string  `json:"title"`
			DwellMS float64 `json:"dwell_ms"`
		}
		if decode(ev.Props, &v) && v.URL != "" {
			p.Behaviour.PageViews++
			addPath(&p.Behaviour, memory.PageVisit{URL: v.URL, Title: v.Title, At: ev.At, DwellMS: int64(v.DwellMS)})
		}
	case TypePageLeave:
		var v struct {
			URL     string  `json:"url"`
			DwellMS float64 `json:"dwell_ms"`
		}
		if decode(ev.Props, &v) && v.DwellMS > 0 {
			leave(&p.Behaviour, v.URL, ev.At, int64(v.DwellMS))
		}
	case TypeOrderPlaced:
		order(&p.Business, ev)
	case TypeRefundRequested:
		p.Business.Refunds++
	case TypeRefundSubmitted:
		var v struct {
			Amount float64 `json:"amount"`
		}
		if decode(ev.Props, &v) && v.Amount > 0 {
			p.Business.LifetimeValue = max(0, p.Business.LifetimeValue-v.Amount)
		}
	case TypeSurvey:
		var v struct {
			CSAT *float64 `json:"csat"`
			CES  *float64 `json:"ces"`
		}
		if decode(ev.Props, &v) {
			addScore(&p.Interaction.CSAT, v.CSAT)
			addScore(&p.Interaction.CES, v.CES)
		}
	case TypeTierChanged:
		var v struct {
			Tier string `json:"tier"`
		}
		if decode(ev.Props, &v) && v.Tier != "" {
			p.Business.Tier = v.Tier
		}
	}
}

func decode(props json.RawMessage, v any) bool {
	if len(props) == 0 {
		return false
	}
	return json.Unmarshal(props, v) == nil
}

// seen records activity at t: first and last seen, visits (sessions split
// by SessionGap) and visit days.
//
// An event older than LastSeen (late, out of order) starts a visit only
// when it lies more than SessionGap from every time the profile still
// knows (first and last seen, the recent path). That is exact while the
// late event falls within the recent path; for older back-fills it may
// count a visit that a full replay would have merged. Visit days are exact
// in any order: they are a set.
func seen(b *memory.BehaviourProfile, t time.Time) {
	switch {
	case b.LastSeen.IsZero():
		b.Visits = 1
		b.FirstSeen, b.LastSeen = t, t
	case !t.Before(b.LastSeen):
		if t.Sub(b.LastSeen) > SessionGap {
			b.Visits++
		}
		b.LastSeen = t
	default:
		if !nearKnown(b, t) {
			b.Visits++
		}
		if t.Before(b.FirstSeen) {
			b.FirstSeen = t
		}
	}
	addDay(b, t)
}

// addDay adds t's day to the active days and drops the days before the
// VisitWindow up to LastSeen.
func addDay(b *memory.BehaviourProfile, t time.Time) {
	days := b.ActiveDays
	first := windowStart(b.LastSeen)
	if d := t.UTC().Format(time.DateOnly); d >= first {
		if i, found := slices.BinarySearch(days, d); !found {
			days = slices.Insert(days, i, d)
		}
	}
	if i, _ := slices.BinarySearch(days, first); i > 0 {
		days = slices.Delete(days, 0, i)
	}
	b.ActiveDays = days
	b.VisitDays30 = len(days)
}

// windowStart is the first day ("2006-01-02") of the VisitWindow that ends
// with last's day.
func windowStart(last time.Time) string {
	return last.UTC().AddDate(0, 0, 1-int(VisitWindow/(24*time.Hour))).Format(time.DateOnly)
}

func nearKnown(b *memory.BehaviourProfile, t time.Time) bool {
	near := func(u time.Time) bool { return !u.IsZero() && absDur(t.Sub(u)) <= SessionGap }
	if near(b.FirstSeen) || near(b.LastSeen) {
		return true
	}
	return slices.ContainsFunc(b.RecentPath, func(v memory.PageVisit) bool { return near(v.At) })
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// day is the UTC calendar day of t, as days since the epoch.
func day(t time.Time) int64 { return t.UTC().Unix() / 86400 }

// addPath inserts a page view into the recent path in time order, skipping
// one it already holds (same URL and time), and keeps the newest MaxPath.
func addPath(b *memory.BehaviourProfile, v memory.PageVisit) {
	i, found := slices.BinarySearchFunc(b.RecentPath, v.At, func(e memory.PageVisit, t time.Time) int {
		return e.At.Compare(t)
	})
	for j := i; found && j < len(b.RecentPath) && b.RecentPath[j].At.Equal(v.At); j++ {
		if b.RecentPath[j].URL == v.URL {
			return
		}
	}
	if len(b.RecentPath) >= MaxPath && i == 0 {
		return // older than everything kept
	}
	if v.DwellMS > 0 {
		b.TotalDwell += v.DwellMS
	}
	b.RecentPath = slices.Insert(b.RecentPath, i, v)
	if n := len(b.RecentPath); n > MaxPath {
		b.RecentPath = slices.Delete(b.RecentPath, 0, n-MaxPath)
	}
}

// leave records the dwell a page_leave reports. The widget may report the
// same view more than once (the visitor comes back to the tab), each time
// with the whole dwell so far, so dwell grows to the largest report rather
// than adding up. The view is the latest path entry for the URL at or
// before the leave; when it is no longer on the path, the dwell is added
// as is.
func leave(b *memory.BehaviourProfile, url string, at time.Time, dwell int64) {
	for i := len(b.RecentPath) - 1; i >= 0; i-- {
		v := &b.RecentPath[i]
		if v.URL != url || v.At.After(at) {
			continue
		}
		if dwell > v.DwellMS {
			b.TotalDwell += dwell - v.DwellMS
			v.DwellMS = dwell
		}
		return
	}
	b.TotalDwell += dwell
}

// order applies an order_placed event.
func order(b *memory.BusinessProfile, ev memory.Event) {
	var v struct {
		Items []struct {
			Qty   float64 `json:"qty"`
			Price float64 `json:"price"`
		} `json:"items"`
		Total *float64 `json:"total"`
	}
	if !decode(ev.Props, &v) {
		return
	}
	total := 0.0
	if v.Total != nil {
		total = *v.Total
	} else {
		for _, it := range v.Items {
			total += it.Qty * it.Price
		}
	}
	b.Orders++
	b.LifetimeValue += max(0, total)
	if b.FirstOrderAt.IsZero() || ev.At.Before(b.FirstOrderAt) {
		b.FirstOrderAt = ev.At
	}
	if ev.At.After(b.LastOrderAt) {
		b.LastOrderAt = ev.At
	}
	addOrder(b, ev.At)
}

// addOrder inserts an order time into the recent orders, keeps the newest
// MaxRecentOrders, and sets the reorder interval from them.
func addOrder(b *memory.BusinessProfile, at time.Time) {
	i, _ := slices.BinarySearchFunc(b.RecentOrders, at, func(e, t time.Time) int { return e.Compare(t) })
	b.RecentOrders = slices.Insert(b.RecentOrders, i, at)
	if n := len(b.RecentOrders); n > MaxRecentOrders {
		b.RecentOrders = slices.Delete(b.RecentOrders, 0, n-MaxRecentOrders)
	}
	b.ReorderIntervalDays = ReorderInterval(b.RecentOrders)
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

func addScore(s *memory.Score, v *float64) {
	if v == nil {
		return
	}
	s.Count++
	s.Mean += (*v - s.Mean) / float64(s.Count)
}

// MinReorderGap is the shortest gap between two orders that counts as a
// reorder; closer orders (a forgotten item, a split basket) are one
// purchase occasion.
const MinReorderGap = 24 * time.Hour

// ReorderInterval is the typical gap between a customer's orders in days:
// the median of the gaps between consecutive purchase occasions (orders
// less than MinReorderGap apart count as one). It is 0 with fewer than two
// occasions. The median keeps one long pause from hiding a regular cycle.
func ReorderInterval(orders []time.Time) float64 {
	ts := slices.Clone(orders)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	var gaps []float64
	for i := 1; i < len(ts); i++ {
		if g := ts[i].Sub(ts[i-1]); g >= MinReorderGap {
			gaps = append(gaps, days(g))
		} else {
			ts[i] = ts[i-1] // same occasion: measure the next gap from its start
		}
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	n := len(gaps)
	if n%2 == 1 {
		return gaps[n/2]
	}
	return (gaps[n/2-1] + gaps[n/2]) / 2
}

// VisitDays counts the distinct UTC days with activity among the 30 days
// ending with now's (activity after now aside), from the times of
// behaviour events: what Behaviour.VisitDays30 holds when now is LastSeen.
func VisitDays(times []time.Time, now time.Time) int {
	seenDays := make(map[string]struct{})
	first := windowStart(now)
	for _, t := range times {
		if d := t.UTC().Format(time.DateOnly); d >= first && !t.After(now) {
			seenDays[d] = struct{}{}
		}
	}
	return len(seenDays)
}

// NeedsHistory reports whether p was built before profiles kept their
// active days and recent orders, so that its visit days and reorder
// interval can only be made exact by replaying the customer's stored
// events. A profile Apply built from its first event never does: it holds
// the day of LastSeen and at least one order time once it has an order.
func NeedsHistory(p *memory.Profile) bool {
	return (!p.Behaviour.LastSeen.IsZero() && len(p.Behaviour.ActiveDays) == 0) ||
		(p.Business.Orders > 0 && len(p.Business.RecentOrders) == 0)
}

// BehaviourTypes are the standard types that count as activity (visits,
// last seen). Custom events observed by the web channel count too.
func BehaviourTypes() []string {
	return []string{TypePageView, TypePageLeave, TypeProductView, TypeSearch, TypeCartAdd}
}
