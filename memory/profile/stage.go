package profile

import (
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Lifecycle stages (memory.BusinessProfile.Stage).
const (
	StageProspect = "prospect" // no order yet
	StageNew      = "new"      // one order, recent
	StageActive   = "active"   // two or more orders, the last one recent
	StageAtRisk   = "at_risk"  // overdue: no order within the expected gap
	StageChurned  = "churned"  // long overdue: twice the expected gap
)

// MinExpectedGap is the shortest expected gap between orders, so that a
// customer who reorders weekly is not at risk after two quiet weeks.
const MinExpectedGap = 60 * 24 * time.Hour

// ExpectedGap is how long a customer may go without ordering before they
// are at risk: twice their typical reorder interval, and at least
// MinExpectedGap.
func ExpectedGap(b memory.BusinessProfile) time.Duration {
	gap := time.Duration(2 * b.ReorderIntervalDays * float64(24*time.Hour))
	return max(gap, MinExpectedGap)
}

// Stage is the customer's lifecycle stage at now:
//
//	prospect  no order
//	churned   no order for more than twice ExpectedGap
//	at_risk   no order for more than ExpectedGap
//	new       one order within ExpectedGap
//	active    two or more orders, the last within ExpectedGap
//
// It depends on now, so readers recompute it rather than trust the stored
// value, which is as of the profile's UpdatedAt.
func Stage(p *memory.Profile, now time.Time) string {
	b := p.Business
	if b.Orders == 0 || b.LastOrderAt.IsZero() {
		return StageProspect
	}
	since, gap := now.Sub(b.LastOrderAt), ExpectedGap(b)
	switch {
	case since > 2*gap:
		return StageChurned
	case since > gap:
		return StageAtRisk
	case b.Orders == 1:
		return StageNew
	}
	return StageActive
}
