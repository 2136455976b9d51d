package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// base is the suite's fixed clock origin; at(n) is n minutes after it.
var base = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

func sameProps(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func testAppendEvents(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	c := newCustomer(t, s)
	ev := func(id, typ string, n int, props string) memory.Event {
		return memory.Event{ID: id, CustomerID: c.ID, Type: typ, Source: "api", At: at(n), Props: json.RawMessage(props)}
	}
	created, err := s.AppendEvents(ctx, []memory.Event{
		ev("e1", "page_view", 1, `{"url":"/p/1","title":"宝宝奶粉","dwell_ms":1200}`),
		ev("e2", "order_placed", 2, `{"items":[{"sku":"A1","qty":2,"price":99.5}]}`),
		ev("e1", "page_view", 3, `{"url":"/other"}`), // repeated within the batch
		ev("e3", "custom.type_2", 4, ""),
	})
	wantErr(t, "append", err, nil)
	if fmt.Sprint(created) != "[true true false true]" {
		t.Fatalf("created %v, want [true true false true]", created)
	}
	created, err = s.AppendEvents(ctx, []memory.Event{ev("e2", "refund_requested", 9, `{}`), ev("e4", "survey", 5, `{"csat":5}`)})
	wantErr(t, "append again", err, nil)
	if fmt.Sprint(created) != "[false true]" {
		t.Fatalf("created %v, want [false true]", created)
	}
	got, err := s.Events(ctx, c.ID, memory.EventQuery{})
	wantErr(t, "events", err, nil)
	if len(got) != 4 {
		t.Fatalf("got %d events, want 4: %+v", len(got), got)
	}
	first := got[0]
	if first.ID != "e1" || first.Type != "page_view" || first.Source != "api" || first.CustomerID != c.ID || !first.At.Equal(at(1)) || first.ReceivedAt.IsZero() ||
		!sameProps(first.Props, json.RawMessage(`{"url":"/p/1","title":"宝宝奶粉","dwell_ms":1200}`)) {
		t.Fatalf("first event %+v (props %s)", first, first.Props)
	}
	if got[1].Type != "order_placed" || !got[1].At.Equal(at(2)) {
		t.Fatalf("a duplicate changed the stored event: %+v", got[1])
	}
	if !sameProps(got[2].Props, json.RawMessage(`{}`)) {
		t.Fatalf("empty props stored as %s, want {}", got[2].Props)
	}

	long := strings.Repeat("x", memory.MaxEventProps)
	bad := []struct {
		name string
		e    memory.Event
		want error
	}{
		{"empty id", ev("", "page_view", 1, `{}`), memory.ErrInvalid},
		{"long id", ev(strings.Repeat("i", memory.MaxEventIDLen+1), "page_view", 1, `{}`), memory.ErrInvalid},
		{"control char in id", ev("a\nb", "page_view", 1, `{}`), memory.ErrInvalid},
		{"invalid UTF-8 id", ev("\xff", "page_view", 1, `{}`), memory.ErrInvalid},
		{"empty type", ev("b1", "", 1, `{}`), memory.ErrInvalid},
		{"upper-case type", ev("b2", "PageView", 1, `{}`), memory.ErrInvalid},
		{"type starting with digit", ev("b3", "1view", 1, `{}`), memory.ErrInvalid},
		{"long type", ev("b4", "a"+strings.Repeat("b", memory.MaxEventTypeLen), 1, `{}`), memory.ErrInvalid},
		{"props an array", ev("b5", "page_view", 1, `[1]`), memory.ErrInvalid},
		{"props malformed", ev("b6", "page_view", 1, `{"a":`), memory.ErrInvalid},
		{"props a string", ev("b7", "page_view", 1, `"x"`), memory.ErrInvalid},
		{"props too large", ev("b8", "page_view", 1, `{"a":"`+long+`"}`), memory.ErrInvalid},
		{"props with NUL escape", ev("b9", "page_view", 1, `{"a":"\u0000"}`), memory.ErrInvalid},
		{"zero time", memory.Event{ID: "b10", CustomerID: c.ID, Type: "page_view"}, memory.ErrInvalid},
		{"no customer", memory.Event{ID: "b11", Type: "page_view", At: at(1)}, memory.ErrInvalid},
		{"unknown customer", memory.Event{ID: "b12", CustomerID: "cus_nobody", Type: "page_view", At: at(1)}, memory.ErrNotFound},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := memory.ValidateEvent(tc.e); (err != nil) != (tc.want == memory.ErrInvalid) {
				t.Fatalf("ValidateEvent: %v", err)
			}
			// A good event in the same batch is not stored either.
			good := ev("good-"+tc.name, "page_view", 1, `{}`)
			created, err := s.AppendEvents(ctx, []memory.Event{good, tc.e})
			wantErr(t, "append", err, tc.want)
			if created != nil {
				t.Fatalf("created %v on error", created)
			}
		})
	}
	if got, err := s.Events(ctx, c.ID, memory.EventQuery{Limit: 1000}); err != nil || len(got) != 4 {
		t.Fatalf("refused batches stored something: %d events (%v)", len(got), err)
	}
	// The largest props allowed fit.
	fits := `{"a":"` + long[:memory.MaxEventProps-8] + `"}`
	if _, err := s.AppendEvents(ctx, []memory.Event{ev("big", "page_view", 1, fits)}); err != nil {
		t.Fatalf("props of %d bytes: %v", len(fits), err)
	}
	if created, err := s.AppendEvents(ctx, nil); err != nil || len(created) != 0 {
		t.Fatalf("empty batch: %v %v", created, err)
	}
	if _, err := s.Events(ctx, "cus_nobody", memory.EventQuery{}); err == nil {
		t.Fatalf("events of an unknown customer: no error")
	}
}

func testEventWindows(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	c := newCustomer(t, s)
	other := newCustomer(t, s)
	var batch []memory.Event
	for i := range 1100 {
		typ := []string{"page_view", "cart_add", "order_placed"}[i%3]
		batch = append(batch, memory.Event{ID: fmt.Sprintf("w%04d", i), CustomerID: c.ID, Type: typ, At: at(i)})
	}
	batch = append(batch, memory.Event{ID: "other", CustomerID: other.ID, Type: "page_view", At: at(5)})
	if _, err := s.AppendEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ids := func(evs []memory.Event) string {
		var b strings.Builder
		for _, e := range evs {
			b.WriteString(strings.TrimPrefix(e.ID, "w") + " ")
		}
		return strings.TrimSpace(b.String())
	}
	cases := []struct {
		name  string
		q     memory.EventQuery
		n     int
		first string
		last  string
	}{
		{"default limit", memory.EventQuery{}, memory.DefaultEventLimit, "0000", "0099"},
		{"limit capped", memory.EventQuery{Limit: 5000}, memory.MaxEventLimit, "0000", "0999"},
		{"since inclusive until exclusive", memory.EventQuery{Since: at(10), Until: at(15)}, 5, "0010", "0014"},
		{"desc newest first", memory.EventQuery{Desc: true, Limit: 3}, 3, "1099", "1097"},
		{"desc within window", memory.EventQuery{Desc: true, Since: at(10), Until: at(15)}, 5, "0014", "0010"},
		{"types", memory.EventQuery{Types: []string{"order_placed"}, Since: at(0), Until: at(9)}, 3, "0002", "0008"},
		{"two types desc", memory.EventQuery{Types: []string{"order_placed", "cart_add"}, Desc: true, Limit: 2}, 2, "1099", "1097"},
		{"since after everything", memory.EventQuery{Since: at(5000)}, 0, "", ""},
		{"until before everything", memory.EventQuery{Until: at(0)}, 0, "", ""},
		{"unknown type", memory.EventQuery{Types: []string{"nope"}}, 0, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Events(ctx, c.ID, tc.q)
			wantErr(t, "events", err, nil)
			if len(got) != tc.n {
				t.Fatalf("got %d events, want %d", len(got), tc.n)
			}
			if tc.n > 0 && (strings.TrimPrefix(got[0].ID, "w") != tc.first || strings.TrimPrefix(got[len(got)-1].ID, "w") != tc.last) {
				t.Fatalf("got %s, want %s..%s", ids(got), tc.first, tc.last)
			}
			for _, e := range got {
				if e.CustomerID != c.ID {
					t.Fatalf("another customer's event %+v", e)
				}
			}
		})
	}
}

func testProfile(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	c := newCustomer(t, s)
	p, err := s.Profile(ctx, c.ID)
	wantErr(t, "empty profile", err, nil)
	if p.CustomerID != c.ID || p.Business.Orders != 0 || !p.UpdatedAt.IsZero() {
		t.Fatalf("empty profile: %+v", p)
	}
	want := memory.Profile{
		Business:    memory.BusinessProfile{Tier: "gold", Orders: 3, LifetimeValue: 299.5, LastOrderAt: at(3), Stage: "active"},
		Behaviour:   memory.BehaviourProfile{Visits: 2, RecentPath: []memory.PageVisit{{URL: "/p/1", Title: "奶粉", At: at(1), DwellMS: 900}}},
		Interaction: memory.InteractionProfile{QuestionTypes: map[string]int{"shipping": 2}, CSAT: memory.Score{Count: 1, Mean: 5}},
	}
	got, err := s.UpdateProfile(ctx, c.ID, func(p *memory.Profile) error {
		p.Business, p.Behaviour, p.Interaction = want.Business, want.Behaviour, want.Interaction
		return nil
	})
	wantErr(t, "update", err, nil)
	if got.CustomerID != c.ID || got.UpdatedAt.IsZero() {
		t.Fatalf("update returned %+v", got)
	}
	read, err := s.Profile(ctx, c.ID)
	wantErr(t, "read", err, nil)
	want.CustomerID, want.UpdatedAt = c.ID, read.UpdatedAt
	if !reflect.DeepEqual(normProfile(read), normProfile(want)) {
		t.Fatalf("read back %+v, want %+v", read, want)
	}
	boom := fmt.Errorf("boom")
	if _, err := s.UpdateProfile(ctx, c.ID, func(p *memory.Profile) error { p.Business.Orders = 99; return boom }); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("update error: %v, want boom", err)
	}
	if read, _ := s.Profile(ctx, c.ID); read.Business.Orders != 3 {
		t.Fatalf("a failed update was written: %d orders", read.Business.Orders)
	}
	if _, err := s.UpdateProfile(ctx, c.ID, func(p *memory.Profile) error { p.CustomerID = "cus_other"; return nil }); err != nil {
		t.Fatal(err)
	}
	if read, _ := s.Profile(ctx, c.ID); read.CustomerID != c.ID {
		t.Fatalf("update could move the profile to %s", read.CustomerID)
	}
	if _, err := s.Profile(ctx, "cus_nobody"); err == nil {
		t.Fatalf("profile of unknown customer: no error")
	}
	if _, err := s.UpdateProfile(ctx, "cus_nobody", func(*memory.Profile) error { return nil }); err == nil {
		t.Fatalf("update of unknown customer: no error")
	}
}

// normProfile makes times comparable with reflect.DeepEqual.
func normProfile(p memory.Profile) memory.Profile {
	b, _ := json.Marshal(p)
	var out memory.Profile
	_ = json.Unmarshal(b, &out)
	return out
}

func testConcurrentProfileUpdates(t *testing.T, open customerOpener) {
	ctx := context.Background()
	s := open(t)
	c := newCustomer(t, s)
	const n = 20
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, errs[i] = s.UpdateProfile(ctx, c.ID, func(p *memory.Profile) error {
			p.Business.Orders++
			p.Interaction.Messages += 2
			return nil
		})
	})
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("update %d", i), err, nil)
	}
	p, err := s.Profile(ctx, c.ID)
	wantErr(t, "profile", err, nil)
	if p.Business.Orders != n || p.Interaction.Messages != 2*n {
		t.Fatalf("after %d concurrent increments: orders %d, messages %d", n, p.Business.Orders, p.Interaction.Messages)
	}
}
