package handoff

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hours are when agents work. Outside them the bot collects details for a
// call back instead of promising a wait.
type Hours struct {
	// Always means agents are always available (the default when no
	// schedule is given).
	Always bool
	// Location is the schedule's time zone (default Asia/Shanghai in the
	// gateway's settings).
	Location *time.Location
	// Days are the working weekdays; Open and Close the working time of
	// day as minutes after midnight (Close may be 24*60).
	Days        [7]bool
	Open, Close int
	// Holidays are dates ("2006-01-02", in Location) with nobody at work.
	Holidays map[string]bool
}

// ParseHours reads a schedule like "mon-fri 09:00-18:00" or
// "mon-sun 08:30-22:00" in zone tz. An empty spec or "always" means always
// open.
func ParseHours(spec, tz string, holidays []string) (Hours, error) {
	spec = strings.ToLower(strings.TrimSpace(spec))
	if spec == "" || spec == "always" || spec == "24/7" {
		return Hours{Always: true}, nil
	}
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return Hours{}, fmt.Errorf("handoff: hours: time zone %q: %w", tz, err)
		}
		loc = l
	}
	f := strings.Fields(spec)
	if len(f) != 2 {
		return Hours{}, fmt.Errorf("handoff: hours %q: want \"<days> <HH:MM>-<HH:MM>\", e.g. \"mon-fri 09:00-18:00\"", spec)
	}
	h := Hours{Location: loc, Holidays: map[string]bool{}}
	for _, part := range strings.Split(f[0], ",") {
		from, to, ok := strings.Cut(part, "-")
		a, okA := weekday(from)
		b := a
		okB := true
		if ok {
			b, okB = weekday(to)
		}
		if !okA || !okB {
			return Hours{}, fmt.Errorf("handoff: hours %q: bad days %q", spec, part)
		}
		for d := a; ; d = (d + 1) % 7 {
			h.Days[d] = true
			if d == b {
				break
			}
		}
	}
	open, close, ok := strings.Cut(f[1], "-")
	var err1, err2 error
	h.Open, err1 = clockOf(open)
	h.Close, err2 = clockOf(close)
	if !ok || err1 != nil || err2 != nil || h.Close <= h.Open {
		return Hours{}, fmt.Errorf("handoff: hours %q: bad time range %q", spec, f[1])
	}
	for _, d := range holidays {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return Hours{}, fmt.Errorf("handoff: hours: holiday %q is not YYYY-MM-DD", d)
		}
		h.Holidays[d] = true
	}
	return h, nil
}

// OpenAt reports whether agents work at t.
func (h Hours) OpenAt(t time.Time) bool {
	if h.Always || h.Location == nil {
		return true
	}
	t = t.In(h.Location)
	if h.Holidays[t.Format("2006-01-02")] || !h.Days[t.Weekday()] {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= h.Open && m < h.Close
}

// NextOpen returns when agents are next at work after t (t itself when
// open), searching two weeks ahead.
func (h Hours) NextOpen(t time.Time) time.Time {
	if h.OpenAt(t) {
		return t
	}
	t = t.In(h.Location)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Location)
	for i := 0; i < 15; i++ {
		start := day.AddDate(0, 0, i).Add(time.Duration(h.Open) * time.Minute)
		if start.After(t) && h.OpenAt(start) {
			return start
		}
	}
	return t
}

func weekday(s string) (int, bool) {
	for i, n := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		if s == n {
			return i, true
		}
	}
	return 0, false
}

func clockOf(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}
