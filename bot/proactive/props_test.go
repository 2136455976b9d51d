package proactive

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

var propsCases = []string{
	`{}`, ` { } `, `{"url":"https://shop.example.com/p3/item","title":"x"}`,
	`{"sku":"SKU-1","stock":0}`, `{"a":-1.5e3,"b":0.25,"c":1E+2,"d":true,"e":false,"f":null}`,
	`{"title":"退款政策","url":"/demo/refund-policy.html"}`, `{"a":1,"a":2}`,
	`{"a":{"b":1}}`, `{"items":[{"qty":1}]}`, `{"a":"x\"y"}`, `{"a":"\u00e9"}`, `{"a":"tab	in"}`,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":1x}`, `{"a":truex}`,
	`{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a":1} x`, `{"a":1}}`, `[1]`, `null`, `"x"`, ``, `{`,
	`{"a":1e400}`, "{\"a\":\"\xff\"}", `{"a":"x"` + "\n" + `,"b":2}`, `{"a":tru}`, `{"a":nul}`, `{"":0}`,
	`{"a":-0}`, `{"a":123456789012345678901234567890}`, `{"a":"\/"}`, `{"a":1.5e-7}`,
}

// TestDecodePropsMatchesJSON: the flat scanner gives what json.Unmarshal
// gives (or an error where it does), on valid and malformed props.
func TestDecodePropsMatchesJSON(t *testing.T) {
	flat := 0
	for _, c := range propsCases {
		if _, ok := decodeFlat([]byte(c)); ok {
			flat++
		}
		checkProps(t, []byte(c))
	}
	if flat < 10 {
		t.Fatalf("only %d cases read by the flat scanner", flat)
	}
}

func checkProps(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := decodeProps(b)
	var want map[string]any
	werr := json.Unmarshal(b, &want)
	if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%q: got %#v (%v), json %#v (%v)", b, got, gerr, want, werr)
	}
}

func FuzzDecodeProps(f *testing.F) {
	for _, c := range propsCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkProps(t, b) })
}

// BenchmarkDecodeProps: a page view's props, decoded per event by the
// engine, through the flat scanner.
func BenchmarkDecodeProps(b *testing.B) {
	in := []byte(`{"url":"https://shop.example.com/p17/item.html","title":"退款政策","ref":"search","qty":2,"price":-19.5e0,"vip":true,"coupon":null}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeProps(in); err != nil {
			b.Fatal(err)
		}
	}
}
