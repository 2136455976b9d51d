package outcomes

import (
	"fmt"
	"math"
	"slices"

	"github.com/kairoscx/kairos/bot/proactive"
)

const z95 = 1.959963984540054

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// rateOf is k/n with its Wilson interval; null values when n is 0.
func rateOf(k, n int) Rate {
	r := Rate{K: k, N: n}
	if n == 0 {
		return r
	}
	lo, hi := proactive.Wilson(k, n)
	r.Value, r.Low, r.High = ptr(float64(k)/float64(n)), ptr(lo), ptr(hi)
	return r
}

// meanOf is the mean of xs with a normal 95% interval (none below 2
// values); null when xs is empty.
func meanOf(xs []float64) Mean {
	m := Mean{N: len(xs)}
	if len(xs) == 0 {
		return m
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mu := sum / float64(len(xs))
	m.Value = ptr(mu)
	if len(xs) >= 2 {
		var ss float64
		for _, x := range xs {
			ss += (x - mu) * (x - mu)
		}
		half := z95 * math.Sqrt(ss/float64(len(xs)-1)/float64(len(xs)))
		m.Low, m.High = ptr(mu-half), ptr(mu+half)
	}
	return m
}

// distOf is the median (mid-point of the two middle values for an even
// count), the 90th percentile (nearest rank) and the mean of seconds.
func distOf(secs []float64) Dist {
	d := Dist{N: len(secs)}
	if len(secs) == 0 {
		return d
	}
	s := slices.Clone(secs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	rank := int(math.Ceil(0.9*float64(n))) - 1
	var sum float64
	for _, x := range s {
		sum += x
	}
	d.MedianS, d.P90S, d.MeanS = ptr(med), ptr(s[max(rank, 0)]), ptr(sum/float64(n))
	return d
}

// uplift is k1/n1 − k2/n2 with Newcombe's interval and a verdict. better
// says which sign helps: +1 when a higher treatment rate is good, −1 when
// it is bad (issue contacts).
func uplift(k1, n1, k2, n2, minGroup int, what string, better float64) Uplift {
	u := Uplift{Method: "newcombe-wilson-95"}
	switch {
	case n1 == 0 && n2 == 0:
		u.Verdict, u.Reason = VerdictNoData, "nobody was exposed in the period"
		return u
	case n1 == 0 || n2 == 0:
		u.Verdict, u.Reason = VerdictInconclusive, fmt.Sprintf("one group is empty (treatment %d, holdout %d customers)", n1, n2)
		return u
	}
	nc := proactive.Newcombe(k1, n1, k2, n2)
	diff, lo, hi := nc.Diff, nc.Low, nc.High
	if better < 0 { // report holdout − treatment: a fall is the good direction
		diff, lo, hi = -nc.Diff, -nc.High, -nc.Low
	}
	u.Diff, u.Low, u.High = ptr(diff), ptr(lo), ptr(hi)
	if p2 := float64(k2) / float64(n2); p2 > 0 {
		u.Relative = ptr(diff / p2)
	}
	switch {
	case n1 < minGroup || n2 < minGroup:
		u.Verdict = VerdictInconclusive
		u.Reason = fmt.Sprintf("too few customers to tell (treatment %d, holdout %d; at least %d each needed)", n1, n2, minGroup)
	case lo > 0:
		u.Verdict = VerdictHelps
		u.Reason = fmt.Sprintf("%s is higher with the trigger: %+.1f points, 95%% interval %+.1f to %+.1f", what, 100*diff, 100*lo, 100*hi)
	case hi < 0:
		u.Verdict = VerdictHurts
		u.Reason = fmt.Sprintf("%s is lower with the trigger: %+.1f points, 95%% interval %+.1f to %+.1f", what, 100*diff, 100*lo, 100*hi)
	default:
		u.Verdict = VerdictNoEvidence
		u.Reason = fmt.Sprintf("the 95%% interval %+.1f to %+.1f points includes no change", 100*lo, 100*hi)
	}
	if better < 0 {
		u.Reason = "reduction of issue contacts: " + u.Reason
	}
	return u
}

// aucInterval is Hanley & McNeil's (1982) standard error of an AUC with
// np positives and nn negatives, as a 95% interval cut to 0..1.
func aucInterval(a float64, np, nn int) (lo, hi float64) {
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	v := (a*(1-a) + float64(np-1)*(q1-a*a) + float64(nn-1)*(q2-a*a)) / (float64(np) * float64(nn))
	se := math.Sqrt(max(v, 0))
	return max(0, a-z95*se), min(1, a+z95*se)
}
