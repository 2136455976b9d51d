package proactive

import (
	"slices"
	"time"
)

// Guardrail names, as suppressions are reported.
const (
	GuardOptOut      = "opt_out"
	GuardConsent     = "consent"
	GuardQuietHours  = "quiet_hours"
	GuardCooldown    = "cooldown"
	GuardTriggerDay  = "trigger_cap_day"
	GuardTriggerWeek = "trigger_cap_week"
	GuardGlobalDay   = "global_cap_day"
	GuardGlobalWeek  = "global_cap_week"
	GuardSuperseded  = "superseded" // a better trigger fired at the same moment
)

// Guard is the engine-wide guardrails: caps over all customer-facing
// triggers, and quiet hours in the customer's time zone.
type Guard struct {
	// PerDay and PerWeek cap customer-facing contacts per customer in any
	// 24 hours and 7 days (0: the defaults 2 and 5; negative: no cap).
	PerDay, PerWeek int
	// QuietStart and QuietEnd are local hours (0-23): no customer-facing
	// contact from QuietStart until QuietEnd (default 21 to 9). Equal
	// values mean no quiet hours.
	QuietStart, QuietEnd int
	// TimeZone is used for customers whose zone is not known (default
	// Asia/Shanghai).
	TimeZone *time.Location
}

func (g *Guard) defaults() {
	if g.PerDay == 0 {
		g.PerDay = 2
	}
	if g.PerWeek == 0 {
		g.PerWeek = 5
	}
	if g.QuietStart == 0 && g.QuietEnd == 0 {
		g.QuietStart, g.QuietEnd = 21, 9
	}
	if g.TimeZone == nil {
		if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
			g.TimeZone = loc
		} else {
			g.TimeZone = time.FixedZone("CST", 8*3600)
		}
	}
}

// keepSends is how long sends stay in a customer's ledger.
const keepSends = 8 * 24 * time.Hour

// check returns the guardrail that stops t for customer c at now, or "".
func (g *Guard) check(t *Trigger, c *CustomerState, now time.Time) string {
	gr := t.Guardrails
	if t.facing && c.OptOut {
		return GuardOptOut
	}
	for _, flag := range gr.Consent {
		if !c.Consent[flag] {
			return GuardConsent
		}
	}
	if t.facing && (gr.QuietHours == nil || *gr.QuietHours) && g.quiet(c, now) {
		return GuardQuietHours
	}
	var trigDay, trigWeek, allDay, allWeek int
	var last time.Time
	for _, s := range c.Sends {
		age := now.Sub(s.At)
		if age < 0 || age >= 7*24*time.Hour {
			continue
		}
		if s.Trigger == t.ID {
			trigWeek++
			if age < 24*time.Hour {
				trigDay++
			}
			if s.At.After(last) {
				last = s.At
			}
		}
		if s.Facing && !s.Holdout {
			allWeek++
			if age < 24*time.Hour {
				allDay++
			}
		}
	}
	switch {
	case gr.Cooldown > 0 && !last.IsZero() && now.Sub(last) < gr.Cooldown.D():
		return GuardCooldown
	case gr.PerDay > 0 && trigDay >= gr.PerDay:
		return GuardTriggerDay
	case gr.PerWeek > 0 && trigWeek >= gr.PerWeek:
		return GuardTriggerWeek
	case t.facing && g.PerDay > 0 && allDay >= g.PerDay:
		return GuardGlobalDay
	case t.facing && g.PerWeek > 0 && allWeek >= g.PerWeek:
		return GuardGlobalWeek
	}
	return ""
}

// location is the customer's time zone.
func (g *Guard) location(c *CustomerState) *time.Location {
	if c.TimeZone != "" {
		if loc, err := time.LoadLocation(c.TimeZone); err == nil {
			return loc
		}
	}
	return g.TimeZone
}

// quiet reports whether now is within the customer's quiet hours.
func (g *Guard) quiet(c *CustomerState, now time.Time) bool {
	if g.QuietStart == g.QuietEnd {
		return false
	}
	h := now.In(g.location(c)).Hour()
	if g.QuietStart < g.QuietEnd {
		return h >= g.QuietStart && h < g.QuietEnd
	}
	return h >= g.QuietStart || h < g.QuietEnd
}

// quietEnd is when the customer's quiet hours around now end.
func (g *Guard) quietEnd(c *CustomerState, now time.Time) time.Time {
	loc := g.location(c)
	l := now.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), g.QuietEnd, 0, 0, 0, loc)
	if !end.After(l) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// addSend records a contact and forgets those older than keepSends.
func addSend(c *CustomerState, s Send) {
	c.Sends = slices.DeleteFunc(c.Sends, func(x Send) bool { return s.At.Sub(x.At) > keepSends })
	c.Sends = append(c.Sends, s)
}
