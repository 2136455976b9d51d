package knowledge

import (
	"math"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

func TestCoverage(t *testing.T) {
	benefits := memory.Chunk{Heading: "会员等级与权益 > 各等级权益", Text: "金卡：全场 9 折，所有订单包邮。"}
	refund := memory.Chunk{Heading: "Returns and Refunds > When the refund arrives", Text: "Bank card: usually 3–7 business days."}
	tests := []struct {
		query string
		chunk memory.Chunk
		want  float64
	}{
		{"会员有什么好处", benefits, 1},              // 好处 → 权益, 会员 → 金卡
		{"金卡有啥福利", benefits, 1},               // 啥 is not content
		{"净水器保修多久", benefits, 0},              // nothing asked is said
		{"refnud how long", refund, 1},        // one typo away; long → day
		{"refund to my bank card", refund, 1}, // exact words
		{"jacket 偏小吗", benefits, 0},           // neither half
		{"宝宝 8", memory.Chunk{Text: "宝宝"}, 1}, // numbers are values, not topics
		{"？？？", benefits, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := newAsked(tt.query).coverage(tt.chunk); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("coverage = %.3f, want %.3f", got, tt.want)
			}
		})
	}
}

func TestOneEdit(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"refnud", "refund", true},    // swap
		{"shiping", "shipping", true}, // deletion
		{"polcy", "policy", true},
		{"exchnage", "exchange", true},
		{"refund", "refund", false}, // equal is not a typo
		{"refund", "return", false},
		{"abc", "abcde", false},
		{"", "a", true},
	} {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
