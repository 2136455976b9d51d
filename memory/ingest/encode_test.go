package ingest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The stream gets what json.Marshal would have sent: both encodings decode
// to the same event, and both are valid JSON.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CST", 8*3600))
	events := map[string]Event{
		"by id": {V: 1, ID: "e1", Type: "page_view", Customer: Customer{ID: "cus_1"}, At: at, Source: "api",
			Props: json.RawMessage(`{"url":"https://shop/x?a=1&b=<2>","title":"婴儿奶粉"}`)},
		"by identity": {ID: "e2", Type: "order_placed", Customer: Customer{Identity: &Identity{Kind: "site_user", Value: "u-42"}},
			Props: json.RawMessage(` { "order_id" : "o1" } `)},
		"no time, no props": {V: 1, ID: "e3", Type: "search", Customer: Customer{ID: "c"}},
		"escapes": {V: 1, ID: "q\"uote\\back\nline\ttab\x01\x7f", Type: "custom.\u2028", Customer: Customer{ID: "x\u00e9\U0001F600"},
			Source: "bad utf8 \xff\xfe end", Props: json.RawMessage(`null`)},
	}
	for name, ev := range events {
		t.Run(name, func(t *testing.T) {
			got := ev.appendJSON(nil)
			want, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			var a, b Event
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &b); err != nil {
				t.Fatal(err)
			}
			ca, cb := a.Props, b.Props
			a.Props, b.Props = nil, nil
			if !reflect.DeepEqual(a, b) || !a.At.Equal(ev.At) {
				t.Fatalf("decoded\n%+v\nwant\n%+v\n(%s)", a, b, got)
			}
			var pa, pb any
			_ = json.Unmarshal(ca, &pa)
			_ = json.Unmarshal(cb, &pb)
			if !reflect.DeepEqual(pa, pb) {
				t.Fatalf("props %s, want %s", ca, cb)
			}
			// And the consumer reads it as the API accepted it.
			if _, err := decodeEvent(got, ""); err != nil {
				t.Fatalf("decodeEvent: %v", err)
			}
		})
	}
}
