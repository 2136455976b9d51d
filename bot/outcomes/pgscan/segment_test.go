package pgscan

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// TestSegmentFastMatchesDecoder: whenever segmentFast reads a segment
// from a profile document's head, segmentOf (json.Decoder) reads the same,
// for every length the head may be cut to.
func TestSegmentFastMatchesDecoder(t *testing.T) {
	p := memory.Profile{CustomerID: `cus_"quoted"\`, UpdatedAt: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	p.Business.Tier, p.Business.Stage, p.Business.Orders = "gold", "active", 3
	real, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{string(real),
		`{"a":{"b":[1,"}]",{"c":"\"{"}]},"n":-1.5e3,"t":true,"z":null,"BUSINESS":{"tier":"x","stage":"y","tier":"z"}}`,
		`{"business":"not an object"}`, `{"business":{"tier":5}}`, `{"buſineſs":{"tier":"long s"}}`,
		`{"bu\u0073iness":{"tier":"escaped key"}}`, `{"x":1}`, `[]`, ` { "business" : { "stage" : "s" } } `,
		`{"business":{"tier":"t\u00e9"},"business":{"tier":"second"}}`,
		`{"business":{"TIER":"a","tier":null,"Stage":"新客","orders":[{"x":"}"}],"stage":"回头客"}}`,
		`{"business":{"tier":"\xff"}}`, `{"business":{"tier":"a\u0000b"}}`, `{"business":{}}`, `{"business":{"tier":true}}`,
		`{"business":{"ſtage":"long s","tier":"a" , "stage" : null }}`}
	fast := 0
	for _, d := range docs {
		for n := 0; n <= len(d); n++ {
			head := []byte(d[:n])
			got, ok := segmentFast(head)
			if !ok {
				continue
			}
			fast++
			want, wok := segmentOf(head)
			if !wok || got != want {
				t.Fatalf("%q: fast %+v, decoder %+v (%v)", head, got, want, wok)
			}
		}
	}
	if fast < len(docs) {
		t.Errorf("the fast path read only %d heads", fast)
	}
	b, err := json.Marshal(p.Business)
	if err != nil {
		t.Fatal(err)
	}
	if seg, ok := businessFast(b); !ok || seg.Tier != "gold" || seg.Stage != "active" {
		t.Errorf("businessFast(%s) = %+v, %v: the business object Kairos writes should not need encoding/json", b, seg, ok)
	}
}
