package churn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Reader is what building samples reads: memory.CustomerStore's event and
// profile reads.
type Reader interface {
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
	Profile(ctx context.Context, customerID string) (memory.Profile, error)
}

// ReadEvents returns all of a customer's events in [since, until), oldest
// first, reading page by page.
func ReadEvents(ctx context.Context, r Reader, customerID string, since, until time.Time) ([]memory.Event, error) {
	var out []memory.Event
	seen := map[string]bool{} // ids at the page boundary's time
	for {
		page, err := r.Events(ctx, customerID, memory.EventQuery{Since: since, Until: until, Limit: memory.MaxEventLimit})
		if err != nil {
			return nil, fmt.Errorf("churn: events of %s: %w", customerID, err)
		}
		fresh := 0
		for _, ev := range page {
			if ev.At.Equal(since) && seen[ev.ID] {
				continue
			}
			out = append(out, ev)
			fresh++
		}
		if len(page) < memory.MaxEventLimit {
			return out, nil
		}
		if fresh == 0 {
			return nil, fmt.Errorf("churn: events of %s: more than %d events at %s", customerID, memory.MaxEventLimit, since)
		}
		last := page[len(page)-1].At
		if !last.Equal(since) {
			clear(seen)
		}
		since = last
		for _, ev := range page {
			if ev.At.Equal(last) {
				seen[ev.ID] = true
			}
		}
	}
}

// AsOf returns the profile as it stood at cutoff, from the current profile
// and the customer's events before cutoff (later ones are ignored): orders,
// refunds, visits and survey scores are replayed with memory/profile; the
// sentiment history keeps the current profile's points before cutoff (the
// profile keeps the newest profile.MaxSentiment, so a long history loses
// its oldest points); counts the profile keeps without times
// (conversations, messages, question types) are left out.
func AsOf(current memory.Profile, events []memory.Event, cutoff time.Time) memory.Profile {
	p := memory.Profile{CustomerID: current.CustomerID}
	var orders, visits []time.Time
	for _, ev := range events {
		if !ev.At.Before(cutoff) {
			continue
		}
		profile.Apply(&p, ev)
		switch ev.Type {
		case profile.TypeOrderPlaced:
			orders = append(orders, ev.At)
		case profile.TypePageView, profile.TypeProductView, profile.TypeSearch, profile.TypeCartAdd:
			visits = append(visits, ev.At)
		}
	}
	p.Business.ReorderIntervalDays = profile.ReorderInterval(orders)
	p.Behaviour.VisitDays30 = profile.VisitDays(visits, p.Behaviour.LastSeen)
	for _, pt := range current.Interaction.Sentiment {
		if pt.At.Before(cutoff) {
			p.Interaction.Sentiment = append(p.Interaction.Sentiment, pt)
			p.Interaction.LastContact = pt.At
		}
	}
	p.Business.Stage = profile.Stage(&p, cutoff)
	p.UpdatedAt = cutoff
	return p
}

// Label is one customer's known outcome.
type Label struct {
	CustomerID string `json:"customer_id"`
	// Key, when set, is a store-independent name of the customer (the
	// seed's "<seed>-<index>"): Split groups by it, so the held-out
	// customers are the same whichever store ids a seeding produced.
	Key       string    `json:"key,omitempty"`
	Churned   bool      `json:"churned"`
	ChurnedAt time.Time `json:"churned_at,omitzero"` // when known
}

// Sample is one customer at one cut-off: what was known then, and whether
// they churned within the horizon after it.
type Sample struct {
	CustomerID string
	Key        string // Label.Key, or CustomerID
	Cutoff     time.Time
	Input      Input
	Churned    bool
}

// SampleOptions say where the cut-offs are.
type SampleOptions struct {
	// Cutoffs are the times features are computed at; each customer gives
	// one sample per cut-off at which they were a customer and had not
	// churned yet.
	Cutoffs []time.Time
	// Horizon is how soon after a cut-off a churn counts (when the label
	// has ChurnedAt): a churn later than cut-off + Horizon is a retained
	// sample at that cut-off.
	Horizon time.Duration
	// Workers read customers in parallel (default 4).
	Workers int
}

// SampleStats counts what Samples kept and skipped.
type SampleStats struct {
	Customers      int // labels read
	Samples        int
	Churned        int // positive samples
	NotYet         int // customer-cut-offs skipped: no event before the cut-off
	AlreadyChurned int // customer-cut-offs skipped: churned before the cut-off
	Unknown        int // labels whose customer the store does not know
}

// Samples builds samples for labels from r. A customer contributes to a
// cut-off only with events before it and, when ChurnedAt is known, only if
// they had not churned by then, so nothing of the outcome leaks into the
// features. Customers the store does not know are counted and skipped.
func Samples(ctx context.Context, r Reader, labels []Label, opts SampleOptions) ([]Sample, SampleStats, error) {
	if len(opts.Cutoffs) == 0 {
		return nil, SampleStats{}, fmt.Errorf("churn: samples need at least one cut-off: %w", memory.ErrInvalid)
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	last := slices.MaxFunc(opts.Cutoffs, time.Time.Compare)
	per := make([][]Sample, len(labels))
	stats := make([]SampleStats, len(labels))
	errs := make([]error, len(labels))
	var wg sync.WaitGroup
	next := make(chan int)
	for range opts.Workers {
		wg.Go(func() {
			for i := range next {
				per[i], stats[i], errs[i] = samplesOf(ctx, r, labels[i], opts, last)
			}
		})
	}
	for i := range labels {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, SampleStats{}, fmt.Errorf("churn: samples: %w", err)
	}
	var out []Sample
	var total SampleStats
	for i := range labels {
		if errs[i] != nil {
			return nil, SampleStats{}, errs[i]
		}
		out = append(out, per[i]...)
		s := stats[i]
		total.Customers++
		total.Samples += s.Samples
		total.Churned += s.Churned
		total.NotYet += s.NotYet
		total.AlreadyChurned += s.AlreadyChurned
		total.Unknown += s.Unknown
	}
	return out, total, nil
}

func samplesOf(ctx context.Context, r Reader, l Label, opts SampleOptions, last time.Time) ([]Sample, SampleStats, error) {
	var st SampleStats
	cur, err := r.Profile(ctx, l.CustomerID)
	if err != nil {
		if isNotFound(err) {
			st.Unknown++
			return nil, st, nil
		}
		return nil, st, fmt.Errorf("churn: profile of %s: %w", l.CustomerID, err)
	}
	events, err := ReadEvents(ctx, r, l.CustomerID, time.Time{}, last)
	if err != nil {
		if isNotFound(err) {
			st.Unknown++
			return nil, st, nil
		}
		return nil, st, err
	}
	var out []Sample
	for _, cut := range opts.Cutoffs {
		n, _ := slices.BinarySearchFunc(events, cut, func(ev memory.Event, t time.Time) int { return ev.At.Compare(t) })
		before := events[:n:n]
		switch {
		case len(before) == 0:
			st.NotYet++
			continue
		case l.Churned && !l.ChurnedAt.IsZero() && l.ChurnedAt.Before(cut):
			st.AlreadyChurned++
			continue
		}
		churned := l.Churned && (l.ChurnedAt.IsZero() || l.ChurnedAt.Before(cut.Add(opts.Horizon)))
		// Only the recent events are needed for scoring.
		from, _ := slices.BinarySearchFunc(before, cut.Add(-RecentWindow), func(ev memory.Event, t time.Time) int { return ev.At.Compare(t) })
		out = append(out, Sample{CustomerID: l.CustomerID, Key: cmp.Or(l.Key, l.CustomerID), Cutoff: cut, Churned: churned,
			Input: Input{Profile: AsOf(cur, before, cut), Events: before[from:]}})
		st.Samples++
		if churned {
			st.Churned++
		}
	}
	return out, st, nil
}

// Split divides samples into a training and a held-out set by customer
// (Sample.Key: all of a customer's samples fall on one side), testShare of the
// customers held out, stratified by whether the customer ever churned so
// both sides see churners. The same seed gives the same split.
func Split(samples []Sample, testShare float64, seed uint64) (train, test []Sample) {
	churner := map[string]bool{}
	for _, s := range samples {
		churner[s.Key] = churner[s.Key] || s.Churned
	}
	var pos, neg []string
	for id, c := range churner {
		if c {
			pos = append(pos, id)
		} else {
			neg = append(neg, id)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x6b61_6972_6f73))
	held := map[string]bool{}
	for _, ids := range [][]string{pos, neg} {
		slices.Sort(ids)
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		for _, id := range ids[:int(float64(len(ids))*testShare+0.5)] {
			held[id] = true
		}
	}
	for _, s := range samples {
		if held[s.Key] {
			test = append(test, s)
		} else {
			train = append(train, s)
		}
	}
	return train, test
}

// Metrics are a model's figures on a set of samples.
type Metrics struct {
	N, Churned int
	BaseRate   float64 // share churned: the precision of a random pick
	AUC        float64
	K          int
	// PrecisionAtK is the share churned among the K riskiest.
	PrecisionAtK float64
}

// Evaluate scores samples with m and reports AUC and precision@k (k ≤ 0:
// the number of churned samples, where precision equals recall). With
// profileOnly the events are withheld, as when the gateway scores from the
// profile alone.
func Evaluate(m *Model, samples []Sample, k int, profileOnly bool) Metrics {
	scores := make([]float64, len(samples))
	labels := make([]bool, len(samples))
	met := Metrics{N: len(samples)}
	for i, s := range samples {
		in := s.Input
		if profileOnly {
			in.Events = nil
		}
		scores[i] = m.Risk(Features(in, s.Cutoff))
		labels[i] = s.Churned
		if s.Churned {
			met.Churned++
		}
	}
	if k <= 0 {
		k = met.Churned
	}
	met.K = min(k, len(samples))
	if met.N > 0 {
		met.BaseRate = float64(met.Churned) / float64(met.N)
	}
	met.AUC = AUC(scores, labels)
	met.PrecisionAtK = PrecisionAtK(scores, labels, met.K)
	return met
}

// Examples are the samples' feature vectors and labels, for Fit.
func Examples(samples []Sample) []Example {
	out := make([]Example, len(samples))
	for i, s := range samples {
		out[i] = Example{X: Features(s.Input, s.Cutoff), Churned: s.Churned}
	}
	return out
}

// Cutoffs returns n cut-offs for a history ending at end: the latest is
// end − horizon (so every sample's horizon is observed in full), the others
// step apart before it, none earlier than start + minHistory.
func Cutoffs(start, end time.Time, horizon, step, minHistory time.Duration, n int) []time.Time {
	var out []time.Time
	for c := end.Add(-horizon); len(out) < n && !c.Before(start.Add(minHistory)); c = c.Add(-step) {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return cmp.Compare(a.UnixNano(), b.UnixNano()) })
	return out
}

func isNotFound(err error) bool { return errors.Is(err, memory.ErrNotFound) }
