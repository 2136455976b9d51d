package stream

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// TestTicketRoundTrip: a batch of event and timer tickets decodes to what
// was encoded — ids, types, times with their zone offset, props byte for
// byte — and a truncated or corrupted batch is an error, never a panic or
// a wrong ticket.
func TestTicketRoundTrip(t *testing.T) {
	shanghai := time.FixedZone("", 8*3600)
	evs := []memory.Event{
		{ID: "e1", CustomerID: "cus_1", Type: "page_view", Source: "web", At: time.Date(2026, 11, 21, 9, 30, 0, 123456789, time.UTC),
			Props: json.RawMessage(`{"url":"https://shop.example.com/退款","title":"x"}`)},
		{ID: "e2", CustomerID: "顾客-2", Type: "order_placed", Source: "api", At: time.Date(2026, 11, 21, 17, 30, 0, 0, shanghai)},
		{ID: "", CustomerID: "cus_3", Type: "x", Source: "", At: time.Unix(0, 0).UTC(), Props: json.RawMessage(`{}`)},
	}
	timer := []byte(`{"trigger":"soon","customer":"cus_1","due":"2026-11-22T10:00:00Z"}`)
	b := []byte{ticketVersion}
	b = appendEventTicket(b, "$JS.ACK.KAIROS_EVENTS.route.1.10.10.1.0", &evs[0])
	b = appendTimerTicket(b, "$JS.ACK.KAIROS_PROACTIVE.due.1.3.3.1.0", timer)
	b = appendEventTicket(b, "", &evs[1])
	b = appendEventTicket(b, "r3", &evs[2])
	got, err := decodeTickets(b, nil, interner{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d tickets, want 4", len(got))
	}
	if got[0].reply != "$JS.ACK.KAIROS_EVENTS.route.1.10.10.1.0" || got[1].reply != "$JS.ACK.KAIROS_PROACTIVE.due.1.3.3.1.0" || got[2].reply != "" {
		t.Errorf("replies %q %q %q", got[0].reply, got[1].reply, got[2].reply)
	}
	if string(got[1].timer) != string(timer) || got[0].timer != nil {
		t.Errorf("timer %q", got[1].timer)
	}
	for i, j := range []int{0, 2, 3} {
		want, ev := evs[i], got[j].ev
		if ev.ID != want.ID || ev.CustomerID != want.CustomerID || ev.Type != want.Type || ev.Source != want.Source ||
			string(ev.Props) != string(want.Props) || !ev.At.Equal(want.At) {
			t.Errorf("event %d = %+v, want %+v", i, ev, want)
		}
		_, wantOff := want.At.Zone()
		if _, off := ev.At.Zone(); off != wantOff || ev.At.Format(time.RFC3339Nano) != want.At.Format(time.RFC3339Nano) {
			t.Errorf("event %d at %s, want %s", i, ev.At.Format(time.RFC3339Nano), want.At.Format(time.RFC3339Nano))
		}
	}
	// Every truncation is either a shorter valid batch or an error.
	for n := range len(b) {
		out, err := decodeTickets(b[:n], nil, interner{})
		if err == nil && len(out) > 0 && !reflect.DeepEqual(out, got[:len(out)]) {
			t.Fatalf("truncated at %d: %d tickets, not a prefix", n, len(out))
		}
		if err == nil && n > 0 && len(out) == len(got) {
			t.Fatalf("truncated at %d: all tickets decoded", n)
		}
	}
	if _, err := decodeTickets(append([]byte{ticketVersion}, 'x'), nil, interner{}); err == nil {
		t.Error("unknown ticket kind accepted")
	}
	if _, err := decodeTickets([]byte{ticketVersion + 1, ticketEvent}, nil, interner{}); err == nil {
		t.Error("unknown version accepted")
	}
}

// BenchmarkDecodeTickets: a partition's parse of a batch of 32 event
// tickets (allocations per batch: the ids of each event, once).
func BenchmarkDecodeTickets(b *testing.B) {
	batch := []byte{ticketVersion}
	for i := range 32 {
		ev := memory.Event{ID: "b-" + string(rune('a'+i%26)) + "123456", CustomerID: "cus_b4711", Type: "page_view", Source: "web",
			At: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), Props: json.RawMessage(`{"url":"https://shop.example.com/p17/item","title":"x"}`)}
		batch = appendEventTicket(batch, "$JS.ACK._.ACCHASH.KAIROS_EVENTS.kairos-proactive-route.1.4242.4240.1763719200123456789.17.rnd", &ev)
	}
	in := interner{}
	var out []ticket
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = decodeTickets(batch, out[:0], in); err != nil || len(out) != 32 {
			b.Fatal(err)
		}
	}
}
