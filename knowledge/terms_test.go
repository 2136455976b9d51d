package knowledge

import (
	"slices"
	"strings"
	"testing"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"english stopwords and plurals", "How long does shipping take for the Refunds?", []string{"long", "shipping", "take", "refund"}},
		{"plural forms", "policies boxes classes sizes status", []string{"policy", "box", "class", "size", "status"}},
		{"one-letter words dropped, digits kept", "a b 7 days, stage 1", []string{"7", "day", "stage", "1"}},
		{"contractions and possessives", "What's the customer's order? Don't", []string{"customer", "order"}},
		{"cjk bigrams", "退货政策", []string{"退货", "货政", "政策"}},
		{"cjk particles split runs", "退货政策是什么？", []string{"退货", "货政", "政策"}},
		{"cjk question words split runs", "退款多久到账", []string{"退款", "到账"}},
		{"isolated han kept", "3 段（1–3 岁）奶粉", []string{"3", "段", "1", "岁", "奶粉"}},
		{"function-only chinese", "你们老板是谁", []string{"老板"}},
		{"greeting only", "你好！hello", nil},
		{"mixed", "SF Express顺丰多久到?", []string{"sf", "express", "顺丰", "到"}},
		{"dedup in order of first appearance", "refund 退款 refunds 退款", []string{"refund", "退款"}},
		{"punctuation only", "？！…", nil},
		{"invalid utf8 does not panic", "ab\xffcd", []string{"ab", "cd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Terms(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectLang(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"退货政策是什么？", "zh"},
		{"How long does shipping take?", "en"},
		{"SF Express 多久到", "zh"},
		{"我想买 the limited-edition sneaker in size 42", "zh"},
		{"The word 顺丰 means SF Express in our shipping documents", "en"},
		{"12345 !!!", ""},
		{"", ""},
		{"Привет, как дела", ""},
		{"asdfgh", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := DetectLang(tt.text); got != tt.want {
				t.Fatalf("DetectLang(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func BenchmarkTerms(b *testing.B) {
	text := strings.Repeat("您好，我想咨询一下退货政策：衣服尺码不合适可以在7天内无理由退货吗？I ordered a jacket in size M, shipping via SF Express. ", 2)
	b.ReportAllocs()
	for b.Loop() {
		Terms(text)
	}
}
