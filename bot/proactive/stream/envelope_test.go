package stream

import (
	"encoding/json"
	"hash/fnv"
	"reflect"
	"strings"
	"testing"
	"time"
)

var envelopeSeeds = []string{
	`{"v":1,"id":"ev_1","name":"page_view","customer_id":"cus_1","channel":"web","props":{"url":"https://x/refund?a=\"}\"","n":[1,{"b":"]"}]},"at":"2026-11-21T10:00:00.123456789+08:00"}`,
	`{"v":1,"id":"ev_1","name":"page_view","customer_id":"cus_1","channel":"web","at":"2026-11-21T10:00:00Z"}`,
	` { "v" : 1 , "id" : "a" , "props" : { } , "at" : "2026-11-21T10:00:00Z" } `,
	`{}`,
	`{"v":01,"id":"a"}`,
	`{"v":1.0,"id":"a"}`,
	`{"v":-1,"id":"a"}`,
	`{"v":1e0,"id":"a"}`,
	`{"V":1,"ID":"a"}`,
	`{"v":1,"id":"a","id":"b"}`,
	`{"v":1,"id":"\u00e9"}`,
	`{"v":1,"id":"é"}`,
	`{"v":1,"props":null}`,
	`{"v":1,"props":[1]}`,
	`{"v":1,"props":{"a":}}`,
	`{"v":1,"props":{"a":1}`,
	`{"v":1,"props":{"a":1]}`,
	`{"v":1,"at":"yesterday"}`,
	`{"v":1,"at":null}`,
	`{"v":1,"extra":true}`,
	`{"v":1} x`,
	`{"v":1,}`,
	`{"v":1 "id":"a"}`,
	`[]`,
	``,
	`{"v":1,"id":"a\tb"}`,
	`{"v":99999999999999999999}`,
}

// checkEnvelope compares decodeChannelEvent with json.Unmarshal on one
// input: both fail, or both give the same event. Props sliced by the fast
// path that json.Unmarshal refuses must be refused by ValidateProps'
// parse (json.Valid here).
func checkEnvelope(t *testing.T, in string) {
	t.Helper()
	var want, got channelEvent
	werr := json.Unmarshal([]byte(in), &want)
	gerr := decodeChannelEvent([]byte(in), &got)
	if werr == nil && gerr == nil {
		if !reflect.DeepEqual(want, got) || !want.At.Equal(got.At) {
			t.Fatalf("%q:\n got %+v\nwant %+v", in, got, want)
		}
		return
	}
	if werr != nil && gerr == nil && json.Valid(got.Props) {
		t.Fatalf("%q: json.Unmarshal fails (%v), the fast path accepts %+v", in, werr, got)
	}
	if werr == nil && gerr != nil {
		t.Fatalf("%q: json.Unmarshal accepts, decodeChannelEvent fails: %v", in, gerr)
	}
}

// TestDecodeChannelEventMatchesJSON: the envelope parser gives what
// json.Unmarshal gives, on the shapes channels publish and on odd ones.
func TestDecodeChannelEventMatchesJSON(t *testing.T) {
	for _, in := range envelopeSeeds {
		checkEnvelope(t, in)
	}
	var fast channelEvent
	if !fastChannelEvent([]byte(envelopeSeeds[0]), &fast) || fast.V != 1 || !strings.Contains(string(fast.Props), `"]"`) {
		t.Fatalf("the channels' shape is not on the fast path: %+v", fast)
	}
}

func FuzzDecodeChannelEvent(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkEnvelope(t, in) })
}

// TestAckTime: the stored time read from both ack subject formats, as
// Metadata reads it.
func TestAckTime(t *testing.T) {
	at := time.Unix(0, 1763719200123456789)
	for _, s := range []string{
		"$JS.ACK.KAIROS_EVENTS.route.1.42.40.1763719200123456789.7",
		"$JS.ACK._.ACCHASH.KAIROS_EVENTS.route.1.42.40.1763719200123456789.7.rand",
		"$JS.ACK.dom.ACCHASH.KAIROS_EVENTS.route.1.42.40.1763719200123456789.7",
	} {
		if got, ok := ackTime(s); !ok || !got.Equal(at) {
			t.Errorf("%s: %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "_INBOX.x", "$JS.ACK.a.b.c", "$JS.ACK.S.C.1.2.3.x1.7"} {
		if _, ok := ackTime(s); ok {
			t.Errorf("%s: accepted", s)
		}
	}
}

// TestPartitionIsFNV: the written-out hash is hash/fnv's FNV-1a, so
// customers keep their partitions.
func TestPartitionIsFNV(t *testing.T) {
	for _, c := range []string{"", "cus_1", "cus_客户", strings.Repeat("x", 300)} {
		h := fnv.New32a()
		h.Write([]byte(c))
		if want := int(h.Sum32() % 16); Partition(c, 16) != want {
			t.Errorf("%q: %d, want %d", c, Partition(c, 16), want)
		}
	}
}
