// Package churn estimates how likely a customer is to stop buying soon, from
// their customer-360 profile and, when at hand, their recent events, with a
// logistic model that works out of the box (documented default weights) and
// can be refitted on labelled outcomes (Fit).
//
// Features are computed as of a given time and only from what happened
// before it, so the same code builds training samples at a cut-off in the
// past (AsOf) and scores live customers now. docs/prediction.md documents
// every feature, the default weights and the training procedure.
package churn

import (
	"encoding/json"
	"math"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Feature indexes. The order is part of the model file format: a model
// names its features and Load refuses one whose names differ.
const (
	FOrderOverdue  = iota // how far past the usual reorder interval, in intervals
	FNoOrders             // 1 when the customer never ordered
	FActivityDrop         // recent visit days against the customer's own usual rate, -1..1
	FDaysUnseen           // days since last seen, /30, capped at 3
	FLowCSAT              // (5 − CSAT)/4 over recent surveys (all surveys without events)
	FHighCES              // (CES − 1)/6 over recent surveys (all surveys without events)
	FNegativeMoods        // frustrated or angry turns in the last 60 days, /3, capped at 1
	FMoodDecline          // how much recent valence fell below the earlier one, 0..2
	FRefundRate           // refund requests per order, capped at 1
	FRecentRefunds        // refund requests in the last 60 days, /2, capped at 1 (needs events)
	FUsageDrop            // fall of reported app usage, last 3 weeks against the 3 before, 0..1 (needs events)
	FLogOrders            // log(1 + orders): loyal customers leave less
	NumFeatures
)

// FeatureNames are the features' names, in index order.
var FeatureNames = [NumFeatures]string{
	"order_overdue", "no_orders", "activity_drop", "days_unseen", "low_csat", "high_ces",
	"negative_moods", "mood_decline", "refund_rate", "recent_refunds", "usage_drop", "log_orders",
}

// Windows the features look back over.
const (
	// RecentWindow is how far back "recent" surveys, refunds and moods
	// reach.
	RecentWindow = 60 * 24 * time.Hour
	// MoodWindow is the "recent" part of the mood trend; earlier points
	// are the baseline.
	MoodWindow = 30 * 24 * time.Hour
	// UsageWindow is each half of the app-usage comparison.
	UsageWindow = 21 * 24 * time.Hour
	// OneOrderInterval stands in for the reorder interval of a customer
	// with a single order.
	OneOrderInterval = 45.0 // days
)

// Input is what a churn score is computed from: the profile and, when the
// caller has read them, the customer's events of at least the last
// RecentWindow before the scoring time (older ones are ignored; a nil
// slice means "not read", and the features that need events fall back to
// what the profile holds, see docs/prediction.md).
type Input struct {
	Profile memory.Profile
	Events  []memory.Event
}

// Vector is one customer's features.
type Vector [NumFeatures]float64

// Features computes in's features as of now. Nothing after now counts.
func Features(in Input, now time.Time) Vector {
	var x Vector
	p := &in.Profile
	b, h, it := p.Business, p.Behaviour, p.Interaction

	// Orders against the customer's own rhythm.
	if b.Orders == 0 || b.LastOrderAt.IsZero() {
		x[FNoOrders] = 1
	} else {
		interval := b.ReorderIntervalDays
		if b.Orders < 2 || interval <= 0 {
			interval = OneOrderInterval
		}
		since := daysBetween(b.LastOrderAt, now)
		x[FOrderOverdue] = clamp(since/interval-1, 0, 4)
		x[FRefundRate] = clamp(float64(b.Refunds)/float64(b.Orders), 0, 1)
	}
	x[FLogOrders] = math.Log1p(float64(b.Orders))

	// Activity: visit days in the last 30 against the customer's usual
	// rate since first seen. VisitDays30 is as of LastSeen, so the part of
	// that window before now-30d no longer counts.
	if !h.LastSeen.IsZero() && !h.LastSeen.After(now) {
		unseen := daysBetween(h.LastSeen, now)
		x[FDaysUnseen] = clamp(unseen/30, 0, 3)
		recent := float64(h.VisitDays30) * clamp((30-unseen)/30, 0, 1)
		tenure := max(daysBetween(h.FirstSeen, now), 30)
		usual := min(float64(h.Visits)/tenure*30, 30)
		x[FActivityDrop] = (usual - recent) / (usual + recent + 1)
	}

	// Satisfaction and refunds: recent events when read, else the
	// profile's running figures.
	if in.Events != nil {
		ev := recentEvents(in.Events, now)
		x[FLowCSAT], x[FHighCES] = ev.csatLow, ev.cesHigh
		x[FRecentRefunds] = clamp(float64(ev.refunds)/2, 0, 1)
		x[FUsageDrop] = ev.usageDrop
	} else {
		if it.CSAT.Count > 0 {
			x[FLowCSAT] = clamp((5-it.CSAT.Mean)/4, 0, 1)
		}
		if it.CES.Count > 0 {
			x[FHighCES] = clamp((it.CES.Mean-1)/6, 0, 1)
		}
	}

	// Moods: negative turns lately, and the recent valence against the
	// earlier one.
	var neg int
	var recentSum, earlierSum float64
	var recentN, earlierN int
	for _, pt := range it.Sentiment {
		if pt.At.After(now) {
			continue
		}
		age := now.Sub(pt.At)
		if age <= RecentWindow && (pt.Mood == "frustrated" || pt.Mood == "angry" || pt.Valence <= -0.5) {
			neg++
		}
		if age <= MoodWindow {
			recentSum += pt.Valence
			recentN++
		} else {
			earlierSum += pt.Valence
			earlierN++
		}
	}
	x[FNegativeMoods] = clamp(float64(neg)/3, 0, 1)
	if recentN > 0 {
		base := 0.0 // neutral when there is no earlier history
		if earlierN > 0 {
			base = earlierSum / float64(earlierN)
		}
		x[FMoodDecline] = clamp(base-recentSum/float64(recentN), 0, 2)
	}
	return x
}

// recent is what the recent events say.
type recent struct {
	csatLow, cesHigh float64
	refunds          int
	usageDrop        float64
}

func recentEvents(evs []memory.Event, now time.Time) recent {
	var r recent
	var csatSum, cesSum, usageNow, usageBefore float64
	var csatN, cesN int
	for _, ev := range evs {
		if ev.At.After(now) || now.Sub(ev.At) > RecentWindow {
			continue
		}
		switch ev.Type {
		case profile.TypeSurvey:
			var v struct{ CSAT, CES *float64 }
			if json.Unmarshal(ev.Props, &v) == nil {
				if v.CSAT != nil {
					csatSum += *v.CSAT
					csatN++
				}
				if v.CES != nil {
					cesSum += *v.CES
					cesN++
				}
			}
		case profile.TypeRefundRequested:
			r.refunds++
		case profile.TypeSubscriptionUsage:
			var v struct {
				Value float64 `json:"value"`
			}
			if json.Unmarshal(ev.Props, &v) == nil && v.Value > 0 {
				switch age := now.Sub(ev.At); {
				case age <= UsageWindow:
					usageNow += v.Value
				case age <= 2*UsageWindow:
					usageBefore += v.Value
				}
			}
		}
	}
	if csatN > 0 {
		r.csatLow = clamp((5-csatSum/float64(csatN))/4, 0, 1)
	}
	if cesN > 0 {
		r.cesHigh = clamp((cesSum/float64(cesN)-1)/6, 0, 1)
	}
	if usageBefore > 0 {
		r.usageDrop = clamp((usageBefore-usageNow)/usageBefore, 0, 1)
	}
	return r
}

func daysBetween(from, to time.Time) float64 { return max(0, to.Sub(from).Hours()/24) }

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return lo
	}
	return max(lo, min(hi, v))
}
