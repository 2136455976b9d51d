package nba

import (
	"encoding/json"
	"math"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Context buckets: intent group × mood band × churn-risk band, e.g.
// "aftersale.neg.hi". Coarse on purpose: 36 buckets learn quickly.
const (
	groupOrder     = "order"     // order_status, shipping
	groupAftersale = "aftersale" // return, refund, exchange, size_fit
	groupBilling   = "billing"   // payment_billing, cancel_subscription, membership
	groupProduct   = "product"   // product_question, tech_support
	groupComplaint = "complaint" // complaint, human_request
	groupSocial    = "social"    // greeting, thanks, other, none
	groupProactive = "proactive" // no turn: Kairos reaching out
)

// HighRisk is the churn risk from which a customer is in the "hi" band.
const HighRisk = 0.4

func intentGroup(s Situation) string {
	if s.Proactive {
		return groupProactive
	}
	switch s.Insight.Intent {
	case insight.IntentOrderStatus, insight.IntentShipping:
		return groupOrder
	case insight.IntentReturn, insight.IntentRefund, insight.IntentExchange, insight.IntentSizeFit:
		return groupAftersale
	case insight.IntentPaymentBilling, insight.IntentCancelSubscription, insight.IntentMembership:
		return groupBilling
	case insight.IntentProductQuestion, insight.IntentTechSupport:
		return groupProduct
	case insight.IntentComplaint, insight.IntentHumanRequest:
		return groupComplaint
	}
	return groupSocial
}

func moodBand(in insight.Insight) string {
	switch in.Mood {
	case insight.MoodAngry, insight.MoodFrustrated:
		return "neg"
	case insight.MoodHappy:
		return "pos"
	}
	switch {
	case in.Valence <= -0.4:
		return "neg"
	case in.Valence >= 0.4:
		return "pos"
	}
	return "mid"
}

// Bucket is the context a situation's arms are counted in.
func Bucket(s Situation) string {
	risk := "lo"
	if s.ChurnRisk >= HighRisk {
		risk = "hi"
	}
	return intentGroup(s) + "." + moodBand(s.Insight) + "." + risk
}

// armKey names the arm of action a in s within its context bucket: the
// action, and for some actions the rule signal that most changes their
// fit (a reminder when the customer is about to run out is another offer
// than one months early), so that pooled feedback does not wash out what
// the rules know.
func armKey(a string, s Situation) string {
	in := s.Insight
	q := ""
	switch a {
	case Replenishment:
		switch d := s.Facts.ReplenishIn; {
		case d <= 10:
			q = "due"
		case d <= 20:
			q = "soon"
		default:
			q = "later"
		}
	case HumanAgent:
		if in.Trajectory.EscalationRisk >= 0.3 || in.Intent == insight.IntentHumanRequest || in.Need == insight.NeedHumanContact {
			q = "wanted"
		}
	case Tutorial:
		if in.Need == insight.NeedGuidance || in.Need == insight.NeedValueNotRealized || in.Mood == insight.MoodConfused {
			q = "lost"
		}
	case Exchange:
		if in.Intent == insight.IntentExchange || in.Intent == insight.IntentSizeFit || in.Intent == insight.IntentReturn || in.Need == insight.NeedAlternativeProduct {
			q = "fit"
		}
	case Coupon:
		if in.Need == insight.NeedCompensation {
			q = "owed"
		}
	}
	if q == "" {
		return a
	}
	return a + "/" + q
}

// angry reports whether the customer is angry or frustrated, or
// complaining: the state in which a coupon reads as a bribe.
func angry(in insight.Insight) bool {
	return in.Mood == insight.MoodAngry || in.Mood == insight.MoodFrustrated ||
		in.Intent == insight.IntentComplaint || in.Trajectory.Forecast.Label == insight.MoodAngry
}

// Guardrail reasons, as Decision.Blocked reports them.
const (
	BlockEscalation   = "escalation risk: only an answer or a human"
	BlockAngry        = "angry or complaining customer: no coupon (policy)"
	BlockDisabled     = "switched off by policy"
	BlockCooldown     = "coupon offered within the cool-down"
	BlockNoConsumable = "no consumable in a recent order"
	BlockNoBill       = "no open bill"
	BlockNoOrder      = "no recent order to exchange"
	BlockProactive    = "nothing to answer in a proactive decision"
	BlockLowPrior     = "the rules see no fit here"
)

// ExchangeWindow is how recent an order must be to offer an exchange.
const ExchangeWindow = 60 * 24 * time.Hour

// guard returns why action a is not allowed in s, or "" when it is. The
// guardrails are absolute: learning never overrides them.
func guard(a string, s Situation, p Policy, now time.Time) string {
	in := s.Insight
	escalating := in.Trajectory.EscalationRisk >= p.EscalateAt || in.Intent == insight.IntentHumanRequest
	if escalating && a != AnswerOnly && a != HumanAgent && !(s.Proactive && a == DoNothing) {
		return BlockEscalation
	}
	switch a {
	case AnswerOnly:
		if s.Proactive {
			return BlockProactive
		}
	case Coupon:
		switch {
		case p.NoCoupons:
			return BlockDisabled
		case angry(in) && !p.AllowCouponWhenAngry:
			return BlockAngry
		case !s.Facts.LastCouponAt.IsZero() && now.Sub(s.Facts.LastCouponAt) < p.CouponCooldown:
			return BlockCooldown
		}
	case Replenishment:
		if !s.Facts.Consumable {
			return BlockNoConsumable
		}
	case Instalment:
		switch {
		case p.NoInstalments:
			return BlockDisabled
		case !s.Facts.Bill:
			return BlockNoBill
		}
	case Exchange:
		if last := s.Profile.Business.LastOrderAt; s.Profile.Business.Orders == 0 || last.IsZero() || now.Sub(last) > ExchangeWindow {
			return BlockNoOrder
		}
	case HumanAgent:
		if p.NoHumans {
			return BlockDisabled
		}
	}
	return ""
}

// prior is the rules' expected acceptance of action a in s, 0..1: where
// the bandit starts before any feedback. docs/prediction.md lists the
// rules.
func prior(a string, s Situation) float64 {
	in := s.Insight
	group := intentGroup(s)
	risk := clamp01(s.ChurnRisk)
	esc := clamp01(in.Trajectory.EscalationRisk)
	var v float64
	switch a {
	case AnswerOnly:
		v = 0.5
		if in.Need == insight.NeedCompensation || in.Need == insight.NeedHumanContact {
			v -= 0.2
		}
		v -= 0.2 * esc
	case DoNothing:
		v = 0.02
		if group == groupSocial || group == groupProactive {
			v = 0.3
		}
	case Coupon:
		v = 0.08 + 0.3*risk
		if in.Need == insight.NeedCompensation {
			v += 0.2
		}
		if group == groupBilling && in.Intent == insight.IntentCancelSubscription {
			v += 0.15
		}
	case Tutorial:
		v = 0.05
		if in.Need == insight.NeedGuidance || in.Need == insight.NeedValueNotRealized {
			v += 0.4
		}
		if group == groupProduct {
			v += 0.2
		}
		if in.Mood == insight.MoodConfused {
			v += 0.15
		}
	case Replenishment:
		v = 0.1
		if d := s.Facts.ReplenishIn; d <= 10 {
			v += 0.45
		} else if d <= 20 {
			v += 0.2
		}
		if group == groupProduct || group == groupOrder || group == groupProactive {
			v += 0.05
		}
	case Instalment:
		v = 0.05
		if group == groupBilling {
			v += 0.4
		}
		if in.Need == insight.NeedUrgency {
			v += 0.05
		}
	case Exchange:
		v = 0.04
		if in.Intent == insight.IntentExchange || in.Intent == insight.IntentSizeFit || in.Intent == insight.IntentReturn {
			v += 0.45
		}
		if in.Need == insight.NeedAlternativeProduct {
			v += 0.2
		}
	case HumanAgent:
		v = 0.04 + 0.5*esc
		if in.Intent == insight.IntentHumanRequest || in.Need == insight.NeedHumanContact {
			v += 0.6
		}
		if in.Mood == insight.MoodAngry {
			v += 0.2
		}
	}
	return math.Min(0.95, math.Max(0.01, v))
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Max(0, math.Min(1, v))
}

// Windows FactsFromEvents looks back over.
const (
	// BillWindow is how long a bill counts as open.
	BillWindow = 45 * 24 * time.Hour
	// ConsumableWindow is how far back an order's consumables count.
	ConsumableWindow = 365 * 24 * time.Hour
)

// FactsFromEvents derives the eligibility facts from a customer's recent
// events (order_placed with consumption_days, bill_generated, nba_offered
// of a coupon). Events after now are ignored; props that do not decode are
// skipped.
func FactsFromEvents(events []memory.Event, now time.Time) Facts {
	var f Facts
	var lastConsumable time.Time
	for _, ev := range events {
		if ev.At.After(now) {
			continue
		}
		age := now.Sub(ev.At)
		switch ev.Type {
		case profile.TypeOrderPlaced:
			if age > ConsumableWindow || ev.At.Before(lastConsumable) {
				continue
			}
			var v struct {
				Items []struct {
					Qty             float64 `json:"qty"`
					ConsumptionDays float64 `json:"consumption_days"`
				} `json:"items"`
			}
			if json.Unmarshal(ev.Props, &v) != nil {
				continue
			}
			lasts := 0.0
			for _, it := range v.Items {
				if it.ConsumptionDays > 0 {
					lasts = max(lasts, it.ConsumptionDays*max(1, it.Qty))
				}
			}
			if lasts > 0 {
				lastConsumable = ev.At
				f.Consumable = true
				f.ReplenishIn = lasts - age.Hours()/24
			}
		case profile.TypeBillGenerated:
			if age <= BillWindow {
				f.Bill = true
			}
		case TypeOffered:
			var v OfferedProps
			if json.Unmarshal(ev.Props, &v) == nil && v.Action == Coupon && ev.At.After(f.LastCouponAt) {
				f.LastCouponAt = ev.At
			}
		}
	}
	return f
}
