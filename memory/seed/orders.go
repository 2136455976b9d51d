package seed

import (
	"fmt"
	"math"
	"time"
)

const never = math.MaxInt32

// firstOrderDay is when the customer first orders in the window.
func (s *sim) firstOrderDay() int {
	switch s.segment {
	case SegmentWater, SegmentBaby:
		// Existing customers are somewhere in their cycle; new ones buy
		// within a couple of weeks of arriving.
		if s.joinDay == 0 {
			return s.rng.IntN(int(s.cycle) + 1)
		}
		return s.joinDay + s.rng.IntN(14)
	case SegmentFashion:
		return s.joinDay + s.rng.IntN(40)
	}
	return s.browserOrderDay(s.joinDay)
}

// nextOrderDay is when the customer orders again after day: on their own
// cycle for consumables, now and then otherwise.
func (s *sim) nextOrderDay(day int) int {
	switch s.segment {
	case SegmentWater, SegmentBaby:
		return day + int(math.Round(s.cycle*s.between(0.93, 1.07)))
	case SegmentFashion:
		return day + 7 + int(s.rng.ExpFloat64()*35)
	}
	return s.browserOrderDay(day + 1)
}

func (s *sim) browserOrderDay(from int) int {
	if !s.chance(0.3) {
		return never
	}
	return from + 20 + s.rng.IntN(60)
}

// basket is what the customer buys on an order.
func (s *sim) basket() []item {
	switch s.segment {
	case SegmentWater:
		if len(s.orders) == 0 && s.joinDay > 0 {
			// A new customer buys the purifier; it comes with a filter.
			return []item{{SKU: purifier.SKU, Name: purifier.Name, Qty: 1, Price: purifier.Price}}
		}
		return []item{{SKU: filter.SKU, Name: filter.Name, Qty: 1, Price: filter.Price,
			ConsumptionDays: filter.ConsumptionDays}}
	case SegmentBaby:
		return []item{{SKU: formula.SKU, Name: formula.Name, Qty: s.tins, Price: formula.Price,
			ConsumptionDays: formula.ConsumptionDays, Option: s.stage(len(s.orders))}}
	case SegmentFashion:
		return []item{{SKU: jacket.SKU, Name: jacket.Name, Qty: 1, Price: jacket.Price, Option: s.size}}
	}
	p := pick(s, []product{filter, formula, jacket})
	return []item{{SKU: p.SKU, Name: p.Name, Qty: 1, Price: p.Price, ConsumptionDays: p.ConsumptionDays}}
}

// stage is the formula stage for the baby's age at the n-th order.
func (s *sim) stage(n int) string {
	months := s.babyAge + float64(n)*s.cycle/30
	switch {
	case months < 6:
		return "stage 1"
	case months < 12:
		return "stage 2"
	}
	return "stage 3"
}

func (s *sim) placeOrder(day int) {
	items := s.basket()
	at := s.session(day, &items[0])
	o := order{id: fmt.Sprintf("o-%s-%d", s.c.Key, len(s.orders)+1), day: day, at: at, items: items}
	for _, it := range items {
		o.total += float64(it.Qty) * it.Price
	}
	s.orders = append(s.orders, o)
	s.emit(evOrderPlaced, at, map[string]any{"order_id": o.id, "items": items, "total": o.total})
	s.spend += o.total
	s.monthly[s.monthOf(day)] += o.total
	s.promote(at.Add(time.Minute))
	s.aftercare(o)
}

// promote records a tier change when the spend crossed a threshold.
func (s *sim) promote(at time.Time) {
	tier := ""
	switch {
	case s.spend >= goldSpend:
		tier = "gold"
	case s.spend >= silverSpend:
		tier = "silver"
	}
	if tier != "" && tier != s.tier {
		s.tier = tier
		s.emit(evTier, at, map[string]any{"tier": tier})
	}
}

// aftercare is what follows an order: delivery, perhaps a refund, a survey
// and a chat.
func (s *sim) aftercare(o order) {
	end := s.cfg.End
	delivered := o.at.Add(time.Duration(24+s.rng.IntN(72)) * time.Hour)
	if delivered.After(end) {
		return
	}
	s.emit(evDelivered, delivered, map[string]any{"order_id": o.id})
	sour := s.souring(o.day)
	refundP := 0.04
	if s.segment == SegmentFashion {
		refundP = 0.12 // sizes
	}
	if s.chance(refundP + 0.3*sour) {
		s.refund(o, delivered)
	}
	if s.chance(0.35 + 0.5*sour) {
		s.survey(delivered.Add(time.Duration(2+s.rng.IntN(46))*time.Hour), o.day)
	}
	if s.chance(0.04) {
		s.chat(delivered.Add(time.Duration(1+s.rng.IntN(48))*time.Hour), s.topic(), false)
	}
}

func (s *sim) refund(o order, delivered time.Time) {
	// Customers read the policy before asking, sometimes more than once in
	// one sitting (a few minutes apart): the stuck reader the sample
	// refund_help trigger is for.
	at := delivered.Add(time.Duration(24+s.rng.IntN(96)) * time.Hour)
	for i := range 1 + s.rng.IntN(3) {
		if t := at.Add(time.Duration(i) * 6 * time.Minute); s.activeAt(t) {
			s.emit(evPageView, t, pageProps(pageRefund, "退换货政策 Refund policy", 20000+s.rng.IntN(90000)))
		}
	}
	at = at.Add(3 * time.Hour)
	if !s.activeAt(at) {
		return
	}
	reasons := []string{"size", "quality", "changed_mind", "late_delivery"}
	s.emit(evRefundReq, at, map[string]any{"order_id": o.id, "reason": pick(s, reasons)})
	if s.chance(0.7) {
		if sub := at.Add(time.Duration(24+s.rng.IntN(48)) * time.Hour); !sub.After(s.cfg.End) {
			s.emit(evRefundSubmit, sub, map[string]any{"order_id": o.id, "amount": o.items[0].Price})
		}
	}
	if s.chance(0.3) {
		s.chat(at.Add(30*time.Minute), topicRefund, false)
	}
}

// survey answers a satisfaction survey; scores sour before churning.
func (s *sim) survey(at time.Time, day int) {
	if !s.activeAt(at) {
		return
	}
	sour := s.souring(day)
	csat := s.baseCSAT - 2.8*sour + s.rng.NormFloat64()*0.5
	ces := 2 + 4*sour + s.rng.NormFloat64()*0.7
	s.emit(evSurvey, at, map[string]any{"csat": clampInt(csat, 1, 5), "ces": clampInt(ces, 1, 7)})
}

func clampInt(v float64, lo, hi int) int {
	return max(lo, min(hi, int(math.Round(v))))
}

// churnSignals adds what a customer about to leave does: a complaint, and
// low scores when asked.
func (s *sim) churnSignals() {
	if s.churnDay < 0 {
		return
	}
	for _, before := range []int{20, 6} {
		day := s.churnDay - before
		if day > s.joinDay && s.chance(0.8) {
			s.survey(s.dayStart(day).Add(time.Duration(2+s.rng.IntN(12))*time.Hour), day)
		}
	}
	if day := s.churnDay - 3 - s.rng.IntN(10); day > s.joinDay && s.chance(0.6) {
		s.chat(s.dayStart(day).Add(time.Duration(2+s.rng.IntN(12))*time.Hour), topicComplaint, true)
	}
}

// maybeUsage reports weekly app usage; it falls in the weeks before churn.
func (s *sim) maybeUsage(day int) {
	if !s.app || (day-s.joinDay)%7 != 6 {
		return
	}
	v := s.appBase * s.between(0.8, 1.2)
	if s.churnDay >= 0 && day >= s.churnDay-21 {
		v *= 0.1 + 0.9*float64(s.churnDay-day)/21
	}
	s.emit(evUsage, s.dayStart(day).Add(23*time.Hour), map[string]any{"metric": "app_active_minutes", "value": math.Round(v)})
}

// maybeBill bills pay-later customers on the first of the month for the
// month before.
func (s *sim) maybeBill(day int) {
	if !s.payLater {
		return
	}
	d := s.dayStart(day)
	if d.Day() != 1 {
		return
	}
	amount := s.monthly[s.monthOf(day-1)]
	if amount <= 0 {
		return
	}
	s.emit(evBill, d.Add(time.Hour), map[string]any{"amount": amount, "due_date": d.AddDate(0, 0, 14).Format("2006-01-02")})
}

// monthOf names the calendar month of day by the day index of its first
// day, so bills sum what was spent in it.
func (s *sim) monthOf(day int) int {
	d := s.dayStart(day)
	return day - (d.Day() - 1)
}
