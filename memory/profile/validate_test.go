package profile_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		props string
		id    string
		at    time.Time
		field string // "" means valid
	}{
		{"page view", "page_view", `{"url":"https://s/x","title":"X","dwell_ms":0,"referrer":"r","view_id":"v1"}`, "", now, ""},
		{"page view without url", "page_view", `{"title":"X"}`, "", now, "props.url"},
		{"page view empty url", "page_view", `{"url":"  "}`, "", now, "props.url"},
		{"page view url not string", "page_view", `{"url":5}`, "", now, "props.url"},
		{"page view negative dwell", "page_view", `{"url":"u","dwell_ms":-1}`, "", now, "props.dwell_ms"},
		{"page view fractional dwell", "page_view", `{"url":"u","dwell_ms":1.5}`, "", now, "props.dwell_ms"},
		{"page leave", "page_leave", `{"url":"u","view_id":"v","dwell_ms":4200}`, "", now, ""},
		{"page leave without dwell", "page_leave", `{"url":"u"}`, "", now, "props.dwell_ms"},
		{"product view", "product_view", `{"sku":"F-1","name":"Filter","price":99.5,"stock":0}`, "", now, ""},
		{"product view price as string", "product_view", `{"sku":"F-1","price":"99"}`, "", now, "props.price"},
		{"search", "search", `{"query":"奶粉"}`, "", now, ""},
		{"search without query", "search", `{}`, "", now, "props.query"},
		{"cart add zero qty", "cart_add", `{"sku":"a","qty":0}`, "", now, "props.qty"},
		{"order", "order_placed", `{"order_id":"o1","items":[{"sku":"a","qty":2,"price":10,"consumption_days":29}],"total":20}`, "", now, ""},
		{"order without items", "order_placed", `{"order_id":"o1","items":[]}`, "", now, "props.items"},
		{"order item without qty", "order_placed", `{"order_id":"o1","items":[{"sku":"a","price":1},{"sku":"b","price":1}]}`, "", now, "props.items[0].qty"},
		{"order second item bad days", "order_placed", `{"order_id":"o1","items":[{"sku":"a","qty":1,"price":1},{"sku":"b","qty":1,"price":1,"consumption_days":0}]}`, "", now, "props.items[1].consumption_days"},
		{"order item not object", "order_placed", `{"order_id":"o1","items":[3]}`, "", now, "props.items[0]"},
		{"order negative total", "order_placed", `{"order_id":"o1","items":[{"sku":"a","qty":1,"price":1}],"total":-3}`, "", now, "props.total"},
		{"order without id", "order_placed", `{"items":[{"sku":"a","qty":1,"price":1}]}`, "", now, "props.order_id"},
		{"delivered", "order_delivered", `{"order_id":"o1"}`, "", now, ""},
		{"refund requested", "refund_requested", `{"order_id":"o1","reason":"too small"}`, "", now, ""},
		{"refund submitted without amount", "refund_submitted", `{"order_id":"o1"}`, "", now, "props.amount"},
		{"usage negative value", "subscription_usage", `{"metric":"seats","value":-2}`, "", now, ""},
		{"usage without metric", "subscription_usage", `{"value":2}`, "", now, "props.metric"},
		{"bill", "bill_generated", `{"amount":12000,"due_date":"2026-03-10"}`, "", now, ""},
		{"bill bad date", "bill_generated", `{"amount":12000,"due_date":"10/03/2026"}`, "", now, "props.due_date"},
		{"survey csat", "survey", `{"csat":5}`, "", now, ""},
		{"survey csat out of range", "survey", `{"csat":6}`, "", now, "props.csat"},
		{"survey ces out of range", "survey", `{"ces":0}`, "", now, "props.ces"},
		{"survey empty", "survey", `{}`, "", now, "props"},
		{"tier", "tier_changed", `{"tier":"gold"}`, "", now, ""},
		{"tier missing", "tier_changed", `{"tier":null}`, "", now, "props.tier"},
		{"custom with props", "loyalty.points_added", `{"anything":[1,2]}`, "", now, ""},
		{"custom without props", "app_opened", ``, "", now, ""},
		{"props with NUL", "app_opened", `{"a":"x\u0000"}`, "", now, "props"},
		{"props not object", "app_opened", `[1]`, "", now, "props"},
		{"props broken", "app_opened", `{"a":`, "", now, "props"},
		{"type uppercase", "PageView", `{}`, "", now, "type"},
		{"type starts with digit", "1x", `{}`, "", now, "type"},
		{"type too long", strings.Repeat("a", 65), `{}`, "", now, "type"},
		{"no type", "", `{}`, "", now, "type"},
		{"no id", "app_opened", `{}`, "-", now, "id"},
		{"id with newline", "app_opened", `{}`, "a\nb", now, "id"},
		{"id too long", "app_opened", `{}`, strings.Repeat("x", 129), now, "id"},
		{"slightly ahead", "app_opened", `{}`, "", now.Add(4 * time.Minute), ""},
		{"future", "app_opened", `{}`, "", now.Add(10 * time.Minute), "at"},
		{"very old", "app_opened", `{}`, "", now.AddDate(-3, 0, 0), "at"},
		{"no time", "app_opened", `{}`, "", time.Time{}, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id
			switch id {
			case "":
				id = "evt-1"
			case "-":
				id = ""
			}
			ev := memory.Event{ID: id, Type: tt.typ, Props: json.RawMessage(tt.props), At: tt.at}
			err := profile.Validate(ev, now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want valid", err)
				}
				return
			}
			var fe *profile.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate: %v, want a FieldError on %s", err, tt.field)
			}
			if fe.Field != tt.field {
				t.Fatalf("field %q (%v), want %q", fe.Field, err, tt.field)
			}
			if !errors.Is(err, memory.ErrInvalid) {
				t.Fatal("FieldError does not wrap memory.ErrInvalid")
			}
		})
	}
}

func TestOversizedProps(t *testing.T) {
	big := `{"x":"` + strings.Repeat("a", profile.MaxPropsBytes) + `"}`
	err := profile.Validate(memory.Event{ID: "e", Type: "custom", Props: json.RawMessage(big), At: now}, now)
	var fe *profile.FieldError
	if !errors.As(err, &fe) || fe.Field != "props" {
		t.Fatalf("got %v, want a props error", err)
	}
}

func TestStandardTypes(t *testing.T) {
	got := profile.StandardTypes()
	if len(got) != 13 {
		t.Fatalf("%d standard types: %v", len(got), got)
	}
	for _, typ := range got {
		if err := profile.ValidateType(typ); err != nil {
			t.Errorf("standard type %s fails its own pattern: %v", typ, err)
		}
	}
}
