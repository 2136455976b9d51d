package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/ingest"
	"github.com/kairoscx/kairos/memory/profile"
)

const order30 = `{"order_id":"%s","items":[{"sku":"formula","qty":2,"price":15,"consumption_days":29}],"total":30}`

func TestBatchReportsEachEventAndAppliesNothingTwice(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		known := e.customer("site_user", "u-known")
		batch := []any{
			event("e1", "page_view", "u1", e.now.Add(-time.Minute), `{"url":"https://shop/x","title":"X"}`),
			event("e2", "order_placed", "u1", e.now.Add(-30*time.Second), fmt.Sprintf(order30, "o1")),
			event("e3", "page_view", "u1", e.now.Add(time.Hour), `{"url":"https://shop/y"}`), // future
			event("e4", "order_placed", "u1", e.now, `{"order_id":"o2","items":[{"sku":"a","qty":0,"price":1}]}`),
			event("e1", "page_view", "u1", e.now, `{"url":"https://shop/z"}`), // repeated id
			event("e5", "loyalty.points", "u1", e.now, `{"points":20}`),       // custom
			map[string]any{"id": "e6", "type": "search", "customer": map[string]string{"id": "cus_nobody"}, "props": map[string]string{"query": "q"}},
			map[string]any{"id": "e7", "type": "search", "customer": map[string]string{"id": known}, "props": map[string]string{"query": "奶粉"}},
			map[string]any{"id": "e8", "type": "search", "customer": map[string]any{}, "props": map[string]string{"query": "q"}},
			event("e9", "survey", "u1", e.now, `{"csat":9}`),
		}
		want := []struct{ status, field string }{
			{"accepted", ""}, {"accepted", ""}, {"invalid", "at"}, {"invalid", "props.items[0].qty"},
			{"duplicate", ""}, {"accepted", ""}, {"invalid", "customer.id"}, {"accepted", ""},
			{"invalid", "customer"}, {"invalid", "props.csat"},
		}
		check := func(res []ingest.Result, accepted string) {
			t.Helper()
			if len(res) != len(want) {
				t.Fatalf("%d results for %d events", len(res), len(want))
			}
			for i, w := range want {
				status := w.status
				if status == "accepted" {
					status = accepted
				}
				got := res[i]
				if got.Status != status || (w.field != "") != (got.Error != nil) || got.Error != nil && got.Error.Field != w.field {
					t.Errorf("event %d (%s): %+v %+v, want %s %q", i, got.ID, got.Status, got.Error, status, w.field)
				}
			}
		}
		check(e.postEvents(batch...), "accepted")
		e.drain()
		u1 := e.customer("site_user", "u1")
		p := e.profile(u1)
		if p.Business.Orders != 1 || p.Business.LifetimeValue != 30 || p.Behaviour.PageViews != 1 {
			t.Fatalf("after one batch: %+v", p)
		}
		evs, _ := e.real.Events(context.Background(), u1, memory.EventQuery{})
		if len(evs) != 3 {
			t.Fatalf("%d events stored for u1, want 3 (view, order, custom)", len(evs))
		}
		if evs[0].Source != "api" {
			t.Fatalf("source %q, want api", evs[0].Source)
		}

		// The same batch again: every valid event is a duplicate, nothing is
		// applied again.
		check(e.postEvents(batch...), "duplicate")
		e.drain()
		if p2 := e.profile(u1); p2.Business.Orders != 1 || p2.Behaviour.PageViews != 1 {
			t.Fatalf("re-sent batch applied twice: %+v", p2.Business)
		}
		if p := e.profile(known); p.Behaviour.LastSeen.IsZero() {
			t.Fatal("the event addressed by customer id was not applied")
		}
	})
}

func TestManyCustomersInOneRequest(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		var evs []any
		for i := range 60 {
			evs = append(evs, event(fmt.Sprint("m", i), "search", fmt.Sprint("user", i%12), e.now.Add(-time.Duration(i)*time.Minute), `{"query":"q"}`))
		}
		for i, r := range e.postEvents(evs...) {
			if r.Status != ingest.StatusAccepted || r.ID != fmt.Sprint("m", i) {
				t.Fatalf("result %d: %+v", i, r)
			}
		}
		e.drain()
		for u := range 12 {
			got, _ := e.real.Events(context.Background(), e.customer("site_user", fmt.Sprint("user", u)), memory.EventQuery{})
			if len(got) != 5 {
				t.Fatalf("user%d has %d events, want 5", u, len(got))
			}
		}
	})
}

func TestDuplicateFromTheStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		// Stored by another route (a seed, an earlier stream) the stream's
		// dedupe window never saw: only the store can tell.
		cus := e.customer("site_user", "u2")
		at := e.now.Add(-time.Hour)
		if _, err := e.real.AppendEvents(context.Background(), []memory.Event{{ID: "old-1", CustomerID: cus, Type: "search",
			Source: "seed", At: at, Props: json.RawMessage(`{"query":"q"}`)}}); err != nil {
			t.Fatal(err)
		}
		res := e.postEvents(event("old-1", "search", "u2", at, `{"query":"q"}`), event("new-1", "search", "u2", at, `{"query":"q"}`))
		if res[0].Status != ingest.StatusDuplicate || res[1].Status != ingest.StatusAccepted {
			t.Fatalf("%+v, want duplicate then accepted", res)
		}
	})
}

func TestRequestErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		ok := `{"id":"a","type":"search","customer":{"id":"x"},"props":{"query":"q"}}`
		many := make([]string, ingest.MaxEvents+1)
		for i := range many {
			many[i] = ok
		}
		tests := []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"malformed", `{"events":[{"id":"a",}]}`, 400, ""},
			{"truncated", `{"events":[`, 400, ""},
			{"not an object", `[1,2]`, 400, ""},
			{"no events", `{}`, 400, "events"},
			{"unknown top-level field", `{"events":[],"extra":1}`, 400, "extra"},
			{"unknown event field", `{"events":[` + ok + `,{"id":"b","type":"search","colour":"red"}]}`, 400, "events[1].colour"},
			{"wrong type", `{"events":[{"id":5}]}`, 400, "events[0].id"},
			{"wrong customer type", `{"events":[{"id":"a","customer":"x"}]}`, 400, "events[0].customer"},
			{"two values", `{"events":[]} {}`, 400, ""},
			{"too many events", `{"events":[` + strings.Join(many, ",") + `]}`, 413, "events"},
			{"too big", `{"events":[{"id":"a","type":"x","props":{"p":"` + strings.Repeat("a", ingest.MaxBodyBytes) + `"}}]}`, 413, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, out := e.post([]byte(tt.body))
				if status != tt.status {
					t.Fatalf("status %d, want %d: %v", status, tt.status, out)
				}
				errObj, _ := out["error"].(map[string]any)
				if errObj == nil || errObj["message"] == "" {
					t.Fatalf("no error object: %v", out)
				}
				if f, _ := errObj["field"].(string); f != tt.field {
					t.Fatalf("field %q, want %q (%v)", f, tt.field, errObj["message"])
				}
			})
		}
		t.Run("empty batch", func(t *testing.T) {
			if status, out := e.post([]byte(`{"events":[]}`)); status != 200 {
				t.Fatalf("status %d: %v", status, out)
			}
		})
	})
}

func TestOrdersShapeTheBusinessProfile(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		day := 24 * time.Hour
		// Out of order: the newest order first; gaps of 30, 30 and 90 days.
		at := []time.Duration{-10 * day, -160 * day, -130 * day, -100 * day}
		var evs []any
		for i, d := range at {
			evs = append(evs, event(fmt.Sprintf("ord-%d", i), "order_placed", "mum", e.now.Add(d), fmt.Sprintf(order30, fmt.Sprint(i))))
		}
		for _, ev := range evs { // one request each, so batches arrive in this order
			if res := e.postEvents(ev); res[0].Status != "accepted" {
				t.Fatalf("%+v", res[0])
			}
			e.drain()
		}
		b := e.profile(e.customer("site_user", "mum")).Business
		if b.Orders != 4 || b.LifetimeValue != 120 {
			t.Fatalf("orders %d ltv %v", b.Orders, b.LifetimeValue)
		}
		if !b.LastOrderAt.Equal(e.now.Add(-10*day)) || !b.FirstOrderAt.Equal(e.now.Add(-160*day)) {
			t.Fatalf("first %v last %v", b.FirstOrderAt, b.LastOrderAt)
		}
		if b.ReorderIntervalDays != 30 {
			t.Fatalf("reorder interval %v, want the median gap 30", b.ReorderIntervalDays)
		}
		if b.Stage != profile.StageActive {
			t.Fatalf("stage %s", b.Stage)
		}
	})
}

func TestOutOfOrderBehaviour(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		t0 := e.now.Add(-2 * time.Hour)
		view := func(id string, at time.Time, url string) any {
			return event(id, "page_view", "v", at, fmt.Sprintf(`{"url":%q}`, url))
		}
		e.postEvents(view("v3", t0.Add(10*time.Minute), "/c"), view("v4", t0.Add(90*time.Minute), "/d"))
		e.drain()
		e.postEvents(view("v1", t0, "/a"), view("v2", t0.Add(5*time.Minute), "/b"),
			event("l1", "page_leave", "v", t0.Add(6*time.Minute), `{"url":"/b","dwell_ms":60000}`))
		e.drain()
		p := e.profile(e.customer("site_user", "v"))
		var urls []string
		for _, v := range p.Behaviour.RecentPath {
			urls = append(urls, v.URL)
		}
		if strings.Join(urls, " ") != "/a /b /c /d" {
			t.Fatalf("path %v, want time order", urls)
		}
		if p.Behaviour.Visits != 2 || p.Behaviour.PageViews != 4 || p.Behaviour.TotalDwell != 60000 ||
			!p.Behaviour.LastSeen.Equal(t0.Add(90*time.Minute)) || p.Behaviour.VisitDays30 != 1 {
			t.Fatalf("behaviour %+v", p.Behaviour)
		}
	})
}

func TestIdentityAddressedEventsFollowMerges(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		e.postEvents(event("i1", "search", "phone-user", e.now, `{"query":"a"}`))
		e.drain()
		a := e.customer("site_user", "phone-user")
		// A web visitor turns out to be the same person.
		b := e.customer("web_visitor", "vis-1")
		if _, err := e.real.LinkIdentity(context.Background(), a, memory.Identity{Kind: "web_visitor", Value: "vis-1"}, a, "test"); err != nil {
			t.Fatal(err)
		}
		res := e.postEvents(map[string]any{"id": "i2", "type": "search", "customer": map[string]string{"id": b}, "props": map[string]string{"query": "b"}},
			map[string]any{"id": "i3", "type": "search", "customer": map[string]any{"identity": map[string]string{"kind": "web_visitor", "value": "vis-1"}}, "props": map[string]string{"query": "c"}})
		if res[0].Status != "accepted" || res[1].Status != "accepted" {
			t.Fatalf("%+v", res)
		}
		e.drain()
		evs, err := e.real.Events(context.Background(), a, memory.EventQuery{})
		if err != nil || len(evs) != 3 {
			t.Fatalf("survivor has %d events (%v), want 3", len(evs), err)
		}
	})
}

func TestWidgetEventsAreIngested(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		cus := e.customer("web_visitor", "w1")
		rel, err := relay.New(e.nc, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, ev := range []channels.Event{
			{ID: "web:" + cus + ":view-1", Name: "page_view", CustomerID: cus, Channel: "web", At: e.now.Add(-time.Minute),
				Props: json.RawMessage(`{"url":"https://shop/refund","title":"Refunds","view_id":"1","referrer":"","dwell_ms":0}`)},
			{ID: "web:" + cus + ":leave-1-1", Name: "page_leave", CustomerID: cus, Channel: "web", At: e.now,
				Props: json.RawMessage(`{"url":"https://shop/refund","title":"Refunds","view_id":"1","dwell_ms":42000}`)},
			{ID: "web:" + cus + ":x", Name: "chat_opened", CustomerID: cus, Channel: "web", At: e.now},
			{ID: "web:" + cus + ":bad", Name: "page_view", CustomerID: cus, Channel: "web", At: e.now}, // no url: rejected
		} {
			if err := rel.PublishEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		e.drain()
		p := e.profile(cus)
		if p.Behaviour.PageViews != 1 || p.Behaviour.TotalDwell != 42000 || p.Behaviour.Visits != 1 ||
			len(p.Behaviour.RecentPath) != 1 || p.Behaviour.RecentPath[0].Title != "Refunds" {
			t.Fatalf("behaviour %+v", p.Behaviour)
		}
		evs, _ := e.real.Events(ctx, cus, memory.EventQuery{})
		if len(evs) != 3 || evs[0].Source != "web" {
			t.Fatalf("%d events stored (source %q), want 3 from web", len(evs), evs[0].Source)
		}
	})
}

func TestNATSSubjectAndBadMessages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		ctx := context.Background()
		good := fmt.Sprintf(`{"v":1,"id":"n1","type":"order_placed","customer":{"identity":{"kind":"phone","value":"+8613800000000"}},"props":`+order30+`}`, "n")
		for _, data := range []string{
			good,
			`{"v":1,"id":"n2","type":"order_placed"`, // broken
			`{"v":2,"id":"n3","type":"search","customer":{"id":"x"},"props":{"query":"q"}}`,
			`{"v":1,"id":"n4","type":"search","customer":{"identity":{"kind":"phone","value":"+8613800000000"}},"at":"2999-01-01T00:00:00Z","props":{"query":"q"}}`,
			`{"v":1,"id":"n5","type":"search","customer":{"identity":{"kind":"phone","value":"+8613800000000"}},"props":{"query":"q"},"extra":true}`,
		} {
			if _, err := e.js.Publish(ctx, ingest.SubjectIn, []byte(data)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.js.Publish(ctx, "kairos.events.odd", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		e.drain() // terminated messages are not redelivered, so this returns
		cus := e.customer("phone", "+8613800000000")
		evs, _ := e.real.Events(ctx, cus, memory.EventQuery{})
		if len(evs) != 1 || evs[0].ID != "n1" || evs[0].Source != "nats" {
			t.Fatalf("stored %+v, want only n1 from nats", evs)
		}
		if p := e.profile(cus); p.Business.Orders != 1 || p.Business.Stage != profile.StageNew {
			t.Fatalf("profile %+v", p.Business)
		}
	})
}

// crashy stores a batch and then fails once, as if the node had stopped
// after the store committed and before the stream heard the ack.
type crashy struct {
	ingest.Store
	crashes atomic.Int32
}

// crashy passes on the PostgreSQL store's read-ahead and kept profile
// writes, so a crash is tested on the path the consumer takes there.
func (c *crashy) CustomersAhead(ctx context.Context, ids []string) (map[string]memory.Customer, error) {
	if a, ok := c.Store.(interface {
		CustomersAhead(context.Context, []string) (map[string]memory.Customer, error)
	}); ok {
		return a.CustomersAhead(ctx, ids)
	}
	return c.Store.Customers(ctx, ids)
}

func (c *crashy) UpdateKeptProfiles(ctx context.Context, ids []string, update func(string, *memory.Profile) error) ([]string, error) {
	if k, ok := c.Store.(interface {
		UpdateKeptProfiles(context.Context, []string, func(string, *memory.Profile) error) ([]string, error)
	}); ok {
		return k.UpdateKeptProfiles(ctx, ids, update)
	}
	return ids, nil
}

func (c *crashy) AppendEvents(ctx context.Context, evs []memory.Event) ([]bool, error) {
	created, err := c.Store.AppendEvents(ctx, evs)
	if err == nil && c.crashes.Add(-1) >= 0 {
		return nil, errors.New("connection lost after commit")
	}
	return created, err
}

func TestRedeliveryAfterACrashCountsOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		// Restart mid-way: a first consumer takes some events and stops.
		e.start(nil)
		for i := range 3 {
			e.postEvents(event(fmt.Sprintf("c%d", i), "order_placed", "crash", e.now.Add(-time.Duration(i+1)*48*time.Hour), fmt.Sprintf(order30, fmt.Sprint(i))))
		}
		e.drain()
		e.stop()
		// A second consumer on the same durable name crashes once after its
		// store write, so the stream redelivers that batch.
		c := &crashy{Store: e.real}
		c.crashes.Store(1)
		e.start(c)
		var evs []any
		for i := 3; i < 6; i++ {
			evs = append(evs, event(fmt.Sprintf("c%d", i), "order_placed", "crash", e.now.Add(-time.Duration(i+1)*48*time.Hour), fmt.Sprintf(order30, fmt.Sprint(i))))
		}
		evs = append(evs, event("c-view", "page_view", "crash", e.now, `{"url":"/"}`))
		e.postEvents(evs...)
		e.drain()
		if c.crashes.Load() >= 0 {
			t.Fatal("the crash was not exercised")
		}
		p := e.profile(e.customer("site_user", "crash"))
		if p.Business.Orders != 6 || p.Business.LifetimeValue != 180 || p.Behaviour.PageViews != 1 {
			t.Fatalf("after a redelivery: orders %d ltv %v views %d, want 6, 180, 1",
				p.Business.Orders, p.Business.LifetimeValue, p.Behaviour.PageViews)
		}
		if p.Business.ReorderIntervalDays != 2 {
			t.Fatalf("reorder interval %v, want 2", p.Business.ReorderIntervalDays)
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := ingest.New(ingest.Config{}); err == nil {
		t.Fatal("New without JS and Store succeeded")
	}
	var js jetstream.JetStream
	if _, err := ingest.New(ingest.Config{JS: js}); err == nil {
		t.Fatal("New without Store succeeded")
	}
}

var _ = http.StatusOK

// A profile stored before profiles kept their active days and recent
// orders is rebuilt from the stored events on its next event, once, so its
// figures become exact without double counting.
func TestLegacyProfileIsRebuilt(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.start(nil)
		ctx := context.Background()
		cus := e.customer("site_user", "old")
		day := 24 * time.Hour
		// Two views an hour apart on the (UTC) day five days ago, whatever
		// the time of day now: within the first hour of a day, one hour
		// before fell on the day before and made four active days.
		apart := -time.Hour
		if five := e.now.Add(-5 * day); five.Add(apart).Day() != five.Day() {
			apart = time.Hour
		}
		var old []memory.Event
		for i, d := range []time.Duration{-3 * day, -5 * day, -5*day + apart, -40 * day} {
			old = append(old, memory.Event{ID: fmt.Sprint("old-v", i), CustomerID: cus, Type: "page_view", Source: "web",
				At: e.now.Add(d), Props: []byte(`{"url":"/"}`)})
		}
		for i, d := range []time.Duration{-70 * day, -50 * day, -20 * day} {
			old = append(old, memory.Event{ID: fmt.Sprint("old-o", i), CustomerID: cus, Type: "order_placed", Source: "api",
				At: e.now.Add(d), Props: []byte(fmt.Sprintf(order30, fmt.Sprint("old", i)))})
		}
		if _, err := e.real.AppendEvents(ctx, old); err != nil {
			t.Fatal(err)
		}
		// The profile as the previous version kept it: counts, no state.
		if _, err := e.real.UpdateProfile(ctx, cus, func(p *memory.Profile) error {
			p.Behaviour = memory.BehaviourProfile{Visits: 3, PageViews: 4, LastSeen: e.now.Add(-3 * day), FirstSeen: e.now.Add(-40 * day), VisitDays30: 7}
			p.Business = memory.BusinessProfile{Orders: 3, LifetimeValue: 90, LastOrderAt: e.now.Add(-20 * day), FirstOrderAt: e.now.Add(-70 * day), ReorderIntervalDays: 25}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range 2 { // the second event finds the state in place: no second rebuild
			// Both now: a minute before would be yesterday in the first
			// minute of a day.
			if res := e.postEvents(event(fmt.Sprint("new-v", i), "page_view", "old", e.now, `{"url":"/new"}`)); res[0].Status != "accepted" {
				t.Fatalf("%+v", res[0])
			}
			e.drain()
		}
		p := e.profile(cus)
		h, b := p.Behaviour, p.Business
		if h.PageViews != 6 || h.VisitDays30 != 3 || len(h.ActiveDays) != 3 || !h.LastSeen.Equal(e.now) {
			t.Fatalf("behaviour %+v, want 6 views on 3 days (-5, -3, today)", h)
		}
		if b.Orders != 3 || b.LifetimeValue != 90 || len(b.RecentOrders) != 3 || b.ReorderIntervalDays != 25 {
			t.Fatalf("business %+v, want 3 orders, interval 25 (gaps 20 and 30)", b)
		}
	})
}
