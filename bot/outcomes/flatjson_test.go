package outcomes

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/proactive"
)

var flatSeeds = []string{
	`{"at": "2026-11-08T11:48:00Z", "id": "seed-fire-1", "group": "treatment", "channel": "web", "outcome": "sent", "trigger": "bill_instalment", "occurrence": "seed"}`,
	`{"v": 1, "queue": "general", "reason": "seed", "status": "resolved", "channel": "web", "claimed_at": "2026-11-08T11:37:13Z", "created_at": "2026-11-08T11:34:57Z", "handoff_id": "h-1", "updated_at": "2026-11-08T11:48:13Z", "resolved_at": "2026-11-08T11:48:13Z", "conversation_id": "c-1", "transferred_from": "general"}`,
	`{"claimed_at": null, "resolved_at": null, "created_at": "2026-11-08T11:34:57+08:00", "vip": true, "priority": -3, "escalations": 0}`,
	`{}`, ` { } `, `{"at":"2026-11-08T11:48:00.123456789Z","stored":false,"actions":null}`,
	`{"actions": [{"type": "send", "ok": true}], "trigger": "t"}`,
	`{"Trigger": "upper", "trigger": "lower"}`, `{"TRIGGER": "x"}`, `{"trigger": "a", "trigger": "b"}`,
	`{"at": "not a time"}`, `{"at": 5}`, `{"at": null}`, `{"id": 5}`, `{"id": null, "id": "x"}`, `{"v": 1.5}`, `{"v": 1e3}`,
	`{"v": "1"}`, `{"v": 99999999999999999999}`, `{"v": -0}`, `{"v": 01}`, `{"vip": "true"}`, `{"vip": null}`,
	`{"unknown": {"nested": 1}}`, `{"unknown": [1, 2]}`, `{"unknown": 1.5e-3, "id": "x"}`, `{"ſtatus": "x"}`, `{"ünknown": "x"}`,
	`{"id": "a\"b"}`, `{"id": "a\u0041"}`, "{\"id\": \"\xff\"}", "{\"id\": \"a\x01\"}", `{"id": "x",}`, `{"id" "x"}`, `{"id": "x"} x`,
	`null`, `[]`, `"x"`, ``, `{`, `{"id": tru}`, `{"reasons": ["a"]}`, `{"reasons": null, "queue": "q"}`, `{"": "empty"}`,
	`{"customer": "c", "customer_id": "d", "CustomerID": "e"}`, `{"at": "2026-11-08T11:48:00Z" , "id":"x"}`, "{\"id\":\t\"x\"\n}",
	`{"v": -}`, `{"v": 1.}`, `{"v": 1e}`, `{"v": 2, "v": null}`,
}

// TestDecodeFlatMatchesUnmarshal: whatever decodeFlat decodes, it decodes
// as json.Unmarshal does, and decodeRecord always does.
func TestDecodeFlatMatchesUnmarshal(t *testing.T) {
	flat := 0
	for _, s := range flatSeeds {
		if checkFlat[proactive.Firing](t, s) {
			flat++
		}
		if checkFlat[handoff.Record](t, s) {
			flat++
		}
	}
	if flat < 20 {
		t.Errorf("only %d of %d decoded flat: the fast path is not taken", flat, 2*len(flatSeeds))
	}
}

func FuzzDecodeFlat(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFlat[proactive.Firing](t, s)
		checkFlat[handoff.Record](t, s)
	})
}

func checkFlat[T any](t *testing.T, s string) (flat bool) {
	t.Helper()
	var want, got, rec T
	wantErr := json.Unmarshal([]byte(s), &want)
	if decodeFlat([]byte(s), &got) {
		if wantErr != nil {
			t.Fatalf("%T %q: decoded flat, json.Unmarshal fails: %v", got, s, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%T %q:\nflat      %+v\nUnmarshal %+v", got, s, got, want)
		}
		flat = true
	}
	err := decodeRecord([]byte(s), &rec)
	if (err != nil) != (wantErr != nil) || (err == nil && !reflect.DeepEqual(rec, want)) {
		t.Fatalf("%T %q: decodeRecord %+v, %v; json.Unmarshal %+v, %v", rec, s, rec, err, want, wantErr)
	}
	return flat
}

// BenchmarkDecodeFlat: a handoff record as jsonb prints it, through the
// flat fast path (a report decodes tens of thousands).
func BenchmarkDecodeFlat(b *testing.B) {
	in := []byte(flatSeeds[1])
	b.ReportAllocs()
	for b.Loop() {
		var h handoff.Record
		if !decodeFlat(in, &h) {
			b.Fatal("not flat")
		}
	}
}
