package profile_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func ev(typ string, at time.Time, props string) memory.Event {
	return memory.Event{ID: fmt.Sprintf("%s@%d", typ, at.UnixNano()), CustomerID: "cus_1", Type: typ,
		Source: "api", At: at, Props: json.RawMessage(props)}
}

func view(at time.Time, url string) memory.Event {
	e := ev(profile.TypePageView, at, fmt.Sprintf(`{"url":%q,"title":"T","dwell_ms":0}`, url))
	e.Source = "web"
	return e
}

func orderAt(at time.Time, total float64) memory.Event {
	return ev(profile.TypeOrderPlaced, at, fmt.Sprintf(`{"order_id":"o%d","items":[{"sku":"a","qty":1,"price":%v}],"total":%v}`, at.Unix(), total, total))
}

func apply(evs ...memory.Event) memory.Profile {
	var p memory.Profile
	for _, e := range evs {
		profile.Apply(&p, e)
	}
	return p
}

func TestOrders(t *testing.T) {
	p := apply(orderAt(t0, 100), orderAt(t0.AddDate(0, 0, 30), 50), orderAt(t0.AddDate(0, 0, 100), 30),
		ev(profile.TypeOrderPlaced, t0.AddDate(0, 0, 40), `{"order_id":"x","items":[{"sku":"a","qty":3,"price":10}]}`))
	b := p.Business
	if b.Orders != 4 || b.LifetimeValue != 210 {
		t.Fatalf("orders %d ltv %v, want 4 and 210 (the last one summed from its items)", b.Orders, b.LifetimeValue)
	}
	if !b.FirstOrderAt.Equal(t0) || !b.LastOrderAt.Equal(t0.AddDate(0, 0, 100)) {
		t.Fatalf("first %v last %v", b.FirstOrderAt, b.LastOrderAt)
	}
	if b.ReorderIntervalDays != 30 {
		t.Fatalf("interval %v, want the median gap 30 (gaps 30, 10, 60) from the kept order times", b.ReorderIntervalDays)
	}
	p = apply(ev(profile.TypeRefundRequested, t0, `{"order_id":"x"}`), ev(profile.TypeRefundSubmitted, t0, `{"order_id":"x","amount":30}`))
	if p.Business.Refunds != 1 || p.Business.LifetimeValue != 0 {
		t.Fatalf("refunds %d ltv %v: refunds count requests and never push the value below 0", p.Business.Refunds, p.Business.LifetimeValue)
	}
}

func TestOutOfOrderMatchesInOrder(t *testing.T) {
	var evs []memory.Event
	for i := range 12 {
		at := t0.Add(time.Duration(i) * 7 * time.Minute)
		if i >= 6 {
			at = at.Add(2 * time.Hour) // a second visit
		}
		evs = append(evs, view(at, fmt.Sprintf("/p/%d", i)))
	}
	evs = append(evs, orderAt(t0.AddDate(0, 0, 1), 10), orderAt(t0.AddDate(0, 0, 31), 20),
		ev(profile.TypeTierChanged, t0, `{"tier":"gold"}`))
	want := apply(evs...)
	if want.Behaviour.Visits != 2 || want.Behaviour.PageViews != 12 || want.Business.ReorderIntervalDays != 30 {
		t.Fatalf("in order: visits %d views %d interval %v, want 2, 12 and 30",
			want.Behaviour.Visits, want.Behaviour.PageViews, want.Business.ReorderIntervalDays)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]memory.Event(nil), evs...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		got := apply(shuffled...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

// The visit days and the reorder interval are exact in any order of
// arrival, without the history: the profile keeps the days of the window
// and the recent order times.
func TestDaysAndIntervalExactInAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 50 {
		var evs []memory.Event
		var views, orders []time.Time
		for range 1 + r.IntN(40) {
			at := t0.Add(time.Duration(r.IntN(90*24)) * time.Hour)
			views = append(views, at)
			evs = append(evs, view(at, "/"))
		}
		for range r.IntN(profile.MaxRecentOrders + 20) {
			at := t0.Add(time.Duration(r.IntN(400*24)) * time.Hour)
			orders = append(orders, at)
			evs = append(evs, orderAt(at, 1))
		}
		r.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
		p := apply(evs...)
		b, h := p.Business, p.Behaviour
		slices.SortFunc(orders, func(a, b time.Time) int { return a.Compare(b) })
		recent := orders[max(0, len(orders)-profile.MaxRecentOrders):]
		if len(b.RecentOrders) != len(recent) || b.ReorderIntervalDays != profile.ReorderInterval(recent) {
			t.Fatalf("case %d: %d recent orders, interval %v; want %d and %v", i, len(b.RecentOrders), b.ReorderIntervalDays,
				len(recent), profile.ReorderInterval(recent))
		}
		if want := profile.VisitDays(views, h.LastSeen); h.VisitDays30 != want || len(h.ActiveDays) != want {
			t.Fatalf("case %d: visit days %d (%v), want %d", i, h.VisitDays30, h.ActiveDays, want)
		}
		if profile.NeedsHistory(&p) {
			t.Fatalf("case %d: a profile built by Apply needs history", i)
		}
	}
}

func TestNeedsHistory(t *testing.T) {
	tests := []struct {
		name string
		p    memory.Profile
		want bool
	}{
		{"empty", memory.Profile{}, false},
		{"built by Apply", apply(view(t0, "/"), orderAt(t0, 1)), false},
		{"visits without days", memory.Profile{Behaviour: memory.BehaviourProfile{LastSeen: t0, VisitDays30: 3}}, true},
		{"orders without times", memory.Profile{Business: memory.BusinessProfile{Orders: 2, LastOrderAt: t0}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := profile.NeedsHistory(&tt.p); got != tt.want {
				t.Fatalf("NeedsHistory = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIdempotentParts(t *testing.T) {
	v := view(t0, "/a")
	leave := ev(profile.TypePageLeave, t0.Add(time.Minute), `{"url":"/a","view_id":"v","dwell_ms":60000}`)
	once := apply(v, leave)
	twice := apply(v, leave, v, leave)
	if len(twice.Behaviour.RecentPath) != 1 || twice.Behaviour.TotalDwell != 60000 || twice.Behaviour.Visits != 1 {
		t.Fatalf("re-applied view and leave: path %d dwell %d visits %d, want 1, 60000, 1",
			len(twice.Behaviour.RecentPath), twice.Behaviour.TotalDwell, twice.Behaviour.Visits)
	}
	if once.Behaviour.RecentPath[0].DwellMS != 60000 || !once.Behaviour.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Fatalf("path %+v last seen %v", once.Behaviour.RecentPath, once.Behaviour.LastSeen)
	}
}

func TestDwellGrowsToLongestReport(t *testing.T) {
	p := apply(view(t0, "/a"),
		ev(profile.TypePageLeave, t0.Add(10*time.Second), `{"url":"/a","dwell_ms":10000}`),
		ev(profile.TypePageLeave, t0.Add(40*time.Second), `{"url":"/a","dwell_ms":40000}`),
		ev(profile.TypePageLeave, t0.Add(50*time.Second), `{"url":"/gone","dwell_ms":5000}`))
	if p.Behaviour.TotalDwell != 45000 {
		t.Fatalf("total dwell %d, want 40000 for /a (longest report) + 5000 for a view not on the path", p.Behaviour.TotalDwell)
	}
}

func TestRecentPathBounded(t *testing.T) {
	var p memory.Profile
	for i := range 30 {
		profile.Apply(&p, view(t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("/%d", i)))
	}
	profile.Apply(&p, view(t0.Add(-time.Hour), "/ancient")) // older than the whole path
	path := p.Behaviour.RecentPath
	if len(path) != profile.MaxPath || path[0].URL != "/10" || path[len(path)-1].URL != "/29" {
		t.Fatalf("path of %d from %s to %s, want the newest %d", len(path), path[0].URL, path[len(path)-1].URL, profile.MaxPath)
	}
	if p.Behaviour.PageViews != 31 || p.Behaviour.Visits != 2 || !p.Behaviour.FirstSeen.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("views %d visits %d first seen %v", p.Behaviour.PageViews, p.Behaviour.Visits, p.Behaviour.FirstSeen)
	}
}

func TestVisitsAndDays(t *testing.T) {
	p := apply(view(t0, "/"), view(t0.Add(29*time.Minute), "/"), view(t0.Add(60*time.Minute), "/"),
		view(t0.AddDate(0, 0, 1), "/"), view(t0.AddDate(0, 0, 45), "/"))
	if p.Behaviour.Visits != 4 || p.Behaviour.VisitDays30 != 1 {
		t.Fatalf("visits %d days %d, want 4 visits and 1 day (45 days later resets the window)", p.Behaviour.Visits, p.Behaviour.VisitDays30)
	}
	// Business events are not visits.
	p = apply(orderAt(t0, 1))
	if p.Behaviour.Visits != 0 || !p.Behaviour.LastSeen.IsZero() {
		t.Fatalf("an order counted as a visit: %+v", p.Behaviour)
	}
	times := []time.Time{t0, t0.Add(time.Hour), t0.AddDate(0, 0, 3), t0.AddDate(0, 0, -40)}
	if got := profile.VisitDays(times, t0.AddDate(0, 0, 5)); got != 2 {
		t.Fatalf("VisitDays = %d, want 2", got)
	}
}

func TestSurveyMeans(t *testing.T) {
	p := apply(ev(profile.TypeSurvey, t0, `{"csat":5}`), ev(profile.TypeSurvey, t0, `{"csat":2,"ces":6}`), ev(profile.TypeSurvey, t0, `{"csat":2}`))
	in := p.Interaction
	if in.CSAT.Count != 3 || math.Abs(in.CSAT.Mean-3) > 1e-9 || in.CES.Count != 1 || in.CES.Mean != 6 {
		t.Fatalf("csat %+v ces %+v", in.CSAT, in.CES)
	}
}

func TestReorderInterval(t *testing.T) {
	d := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	tests := []struct {
		name   string
		orders []time.Time
		want   float64
	}{
		{"none", nil, 0},
		{"one", []time.Time{d(0)}, 0},
		{"regular with one long pause", []time.Time{d(0), d(29), d(58), d(200), d(229)}, 29},
		{"unsorted", []time.Time{d(60), d(0), d(30)}, 30},
		{"even count takes the middle mean", []time.Time{d(0), d(10), d(30)}, 15},
		{"same-day orders are one occasion", []time.Time{d(0), d(0).Add(2 * time.Hour), d(30), d(30).Add(time.Hour)}, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := profile.ReorderInterval(tt.orders); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStage(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		b    memory.BusinessProfile
		want string
	}{
		{"no order", memory.BusinessProfile{}, profile.StageProspect},
		{"one recent order", memory.BusinessProfile{Orders: 1, LastOrderAt: now.Add(-10 * day)}, profile.StageNew},
		{"regular", memory.BusinessProfile{Orders: 5, LastOrderAt: now.Add(-20 * day), ReorderIntervalDays: 30}, profile.StageActive},
		{"minimum gap protects weekly buyers", memory.BusinessProfile{Orders: 5, LastOrderAt: now.Add(-50 * day), ReorderIntervalDays: 7}, profile.StageActive},
		{"overdue", memory.BusinessProfile{Orders: 5, LastOrderAt: now.Add(-70 * day), ReorderIntervalDays: 30}, profile.StageAtRisk},
		{"long cycle not yet overdue", memory.BusinessProfile{Orders: 3, LastOrderAt: now.Add(-150 * day), ReorderIntervalDays: 90}, profile.StageActive},
		{"long overdue", memory.BusinessProfile{Orders: 5, LastOrderAt: now.Add(-130 * day), ReorderIntervalDays: 30}, profile.StageChurned},
		{"one old order", memory.BusinessProfile{Orders: 1, LastOrderAt: now.Add(-90 * day)}, profile.StageAtRisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := memory.Profile{Business: tt.b}
			if got := profile.Stage(&p, now); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestApplyTurn(t *testing.T) {
	var p memory.Profile
	for i := range 60 {
		profile.ApplyTurn(&p, t0.Add(time.Duration(i)*time.Minute), "refund", "calm", 0.2, i == 0)
	}
	profile.ApplyTurn(&p, t0.Add(-time.Hour), "", "angry", -3, true) // late and older than all: dropped from history
	profile.ApplyTurn(&p, t0.Add(30*time.Second), "shipping", "angry", -0.8, false)
	in := p.Interaction
	if in.Conversations != 2 || in.Messages != 62 || in.QuestionTypes["refund"] != 60 || in.QuestionTypes["shipping"] != 1 {
		t.Fatalf("counts %+v", in)
	}
	if len(in.Sentiment) != profile.MaxSentiment {
		t.Fatalf("sentiment history %d, want %d", len(in.Sentiment), profile.MaxSentiment)
	}
	for i := 1; i < len(in.Sentiment); i++ {
		if in.Sentiment[i].At.Before(in.Sentiment[i-1].At) {
			t.Fatalf("sentiment out of order at %d", i)
		}
	}
	if !in.LastContact.Equal(t0.Add(59 * time.Minute)) {
		t.Fatalf("last contact %v", in.LastContact)
	}
	for i := range profile.MaxQuestionTypes + 5 {
		profile.ApplyTurn(&p, t0, fmt.Sprintf("intent%d", i), "", 0, false)
	}
	if len(p.Interaction.QuestionTypes) > profile.MaxQuestionTypes+1 || p.Interaction.QuestionTypes[profile.OtherQuestions] == 0 {
		t.Fatalf("question types unbounded: %d", len(p.Interaction.QuestionTypes))
	}
}
