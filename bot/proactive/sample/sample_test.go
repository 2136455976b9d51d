package sample_test

import (
	"testing"

	"github.com/kairoscx/kairos/bot/proactive/sample"
)

func TestSampleCompiles(t *testing.T) {
	m, err := sample.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bill_instalment", "cart_abandoned", "mood_rescue", "refund_help", "reorder_rhythm",
		"repeated_question", "replenish_consumable", "usage_decline", "vip_out_of_stock"}
	for _, id := range want {
		if _, ok := m.Trigger(id); !ok {
			t.Errorf("sample trigger %s missing", id)
		}
	}
	if got := len(m.Triggers()); got != len(want) {
		t.Errorf("%d sample triggers, want %d", got, len(want))
	}
}
