package profile

import (
	"maps"
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Merge folds from (a customer merged away) into into: counts and values
// add up, first times take the earlier and last times the later, the
// recent path and sentiment history interleave by time within their
// bounds, and survey means are weighted by their counts. into keeps its
// tier unless it has none. Visits add up, so two sessions that were in
// fact one (the same person on two devices at once) count twice. The
// reorder interval is the longer-history one's; a replay of the merged
// orders (memory/ingest) makes it exact. The stage is left to the caller.
func Merge(into *memory.Profile, from memory.Profile) {
	mergeBusiness(&into.Business, from.Business)
	mergeBehaviour(&into.Behaviour, from.Behaviour)
	mergeInteraction(&into.Interaction, from.Interaction)
	if from.UpdatedAt.After(into.UpdatedAt) {
		into.UpdatedAt = from.UpdatedAt
	}
}

func mergeBusiness(b *memory.BusinessProfile, f memory.BusinessProfile) {
	if b.Tier == "" {
		b.Tier = f.Tier
	}
	if f.Orders > b.Orders {
		b.ReorderIntervalDays = f.ReorderIntervalDays
	}
	b.Orders += f.Orders
	b.LifetimeValue += f.LifetimeValue
	b.Refunds += f.Refunds
	b.FirstOrderAt = minTime(b.FirstOrderAt, f.FirstOrderAt)
	b.LastOrderAt = maxTime(b.LastOrderAt, f.LastOrderAt)
}

func mergeBehaviour(b *memory.BehaviourProfile, f memory.BehaviourProfile) {
	b.Visits += f.Visits
	b.PageViews += f.PageViews
	b.TotalDwell += f.TotalDwell
	b.FirstSeen = minTime(b.FirstSeen, f.FirstSeen)
	b.LastSeen = maxTime(b.LastSeen, f.LastSeen)
	b.VisitDays30 = min(b.VisitDays30+f.VisitDays30, 30)
	path := append(slices.Clone(b.RecentPath), f.RecentPath...)
	slices.SortStableFunc(path, func(x, y memory.PageVisit) int { return x.At.Compare(y.At) })
	if len(path) > MaxPath {
		path = path[len(path)-MaxPath:]
	}
	b.RecentPath = path
}

func mergeInteraction(in *memory.InteractionProfile, f memory.InteractionProfile) {
	in.Conversations += f.Conversations
	in.Messages += f.Messages
	if len(f.QuestionTypes) > 0 {
		if in.QuestionTypes == nil {
			in.QuestionTypes = make(map[string]int, len(f.QuestionTypes))
		}
		for _, k := range slices.Sorted(maps.Keys(f.QuestionTypes)) {
			key := k
			if _, ok := in.QuestionTypes[k]; !ok && len(in.QuestionTypes) >= MaxQuestionTypes {
				key = OtherQuestions
			}
			in.QuestionTypes[key] += f.QuestionTypes[k]
		}
	}
	s := append(slices.Clone(in.Sentiment), f.Sentiment...)
	slices.SortStableFunc(s, func(x, y memory.SentimentPoint) int { return x.At.Compare(y.At) })
	if len(s) > MaxSentiment {
		s = s[len(s)-MaxSentiment:]
	}
	in.Sentiment = s
	in.CSAT = mergeScore(in.CSAT, f.CSAT)
	in.CES = mergeScore(in.CES, f.CES)
	in.LastContact = maxTime(in.LastContact, f.LastContact)
}

func mergeScore(a, b memory.Score) memory.Score {
	n := a.Count + b.Count
	if n == 0 {
		return memory.Score{}
	}
	return memory.Score{Count: n, Mean: (a.Mean*float64(a.Count) + b.Mean*float64(b.Count)) / float64(n)}
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
