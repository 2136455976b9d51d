package churn

import (
	"cmp"
	"math"
	"slices"
)

// AUC is the area under the ROC curve of scores against labels: the chance
// that a random churned customer scores above a random retained one, ties
// counting one half (the Mann–Whitney statistic with mid-ranks). It is NaN
// without both classes.
func AUC(scores []float64, churned []bool) float64 {
	idx := ranked(scores)
	var pos, neg int
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j, 1-based, ascending
		for _, k := range idx[i:j] {
			if churned[k] {
				rankSum += mid
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return nan()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// PrecisionAtK is the share of churned customers among the k highest
// scores. Ties at the cut count in proportion (the expected precision of a
// random order among the tied), so the figure does not depend on input
// order. k is cut to len(scores); it is NaN when k ≤ 0.
func PrecisionAtK(scores []float64, churned []bool, k int) float64 {
	k = min(k, len(scores))
	if k <= 0 {
		return nan()
	}
	idx := ranked(scores)
	slices.Reverse(idx)
	threshold := scores[idx[k-1]]
	var above, tiedPos, tied float64
	for _, i := range idx {
		switch {
		case scores[i] > threshold:
			if churned[i] {
				above++
			}
		case scores[i] == threshold:
			tied++
			if churned[i] {
				tiedPos++
			}
		}
	}
	nAbove := 0
	for _, i := range idx[:k] {
		if scores[i] > threshold {
			nAbove++
		}
	}
	return (above + float64(k-nAbove)*tiedPos/tied) / float64(k)
}

// ranked returns the indexes of scores in ascending order of score.
func ranked(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	return idx
}

func nan() float64 { return math.NaN() }
