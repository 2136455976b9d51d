package embed

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func embedAll(t *testing.T, e *Offline, texts ...string) [][]float32 {
	t.Helper()
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(vs), len(texts))
	}
	return vs
}

func TestOfflineShape(t *testing.T) {
	tests := []struct {
		name    string
		dim     int
		wantDim int
		text    string
		zero    bool
	}{
		{"default dim", 0, DefaultDim, "hello world", false},
		{"custom dim", 64, 64, "退货政策", false},
		{"single han char", 32, 32, "退", false},
		{"empty text", 128, 128, "", true},
		{"punctuation only", 128, 128, "？！…  ,.;", true},
		{"invalid utf8 still embeds", 128, 128, "ab\xffcd", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewOffline(tt.dim)
			if e.Dim() != tt.wantDim {
				t.Fatalf("Dim() = %d, want %d", e.Dim(), tt.wantDim)
			}
			v := embedAll(t, e, tt.text)[0]
			if len(v) != tt.wantDim {
				t.Fatalf("len = %d, want %d", len(v), tt.wantDim)
			}
			norm := math.Sqrt(cosine(v, v))
			if tt.zero {
				if norm != 0 {
					t.Fatalf("norm = %v, want 0 for a text without features", norm)
				}
				return
			}
			if math.Abs(norm-1) > 1e-5 {
				t.Fatalf("norm = %v, want 1", norm)
			}
		})
	}
}

func TestOfflineDeterministic(t *testing.T) {
	text := "滤芯大约每 90 天更换一次 — replace the filter every 90 days."
	a := embedAll(t, NewOffline(256), text)[0]
	b := embedAll(t, NewOffline(256), "other text first", text)[1]
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("component %d differs: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestOfflineRelatedCloserThanUnrelated(t *testing.T) {
	tests := []struct {
		name                 string
		query, near, distant string
	}{
		{"zh returns", "退货政策是什么？", "7天无理由退货：商品未使用、包装完好即可申请退货。", "滤芯大约每90天更换一次，水流变慢说明需要更换。"},
		{"zh filter", "滤芯多久换一次", "净水器滤芯建议每90天更换一次。", "会员分为银卡、金卡和白金卡三个等级。"},
		{"zh shipping", "顺丰快递几天能到", "我们使用顺丰速运发货，一般1-3天送达。", "奶粉1段适合0-6个月的宝宝。"},
		{"en shipping", "How long does shipping take?", "Orders ship within 24 hours and delivery takes 1-3 business days.", "Our jacket comes in sizes S to XL; check the size chart."},
		{"en sizes", "What size should I order?", "Use the size chart: measure your chest and pick S, M, L or XL.", "Refunds go back to the original payment method within 3 days."},
		{"en inflection", "refunds", "How is my refund paid back?", "Membership tiers and benefits"},
		{"en typo", "shiping cost", "Shipping costs and free delivery thresholds", "Baby formula stages by age"},
		{"zh query, en text", "退货", "Returns: 7-day no-reason return policy.", "Water filter replacement every 90 days."},
		{"en query, zh text", "water filter replacement", "净水器滤芯更换", "会员等级与权益"},
		{"en query, zh text shipping", "shipping", "快递与配送时效", "奶粉段位选择"},
	}
	e := NewOffline(256)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := embedAll(t, e, tt.query, tt.near, tt.distant)
			near, distant := cosine(v[0], v[1]), cosine(v[0], v[2])
			if near <= distant {
				t.Fatalf("cos(query, related) = %.3f, not above cos(query, unrelated) = %.3f", near, distant)
			}
		})
	}
}

func TestOfflineCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewOffline(8).Embed(ctx, []string{"a"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOfflineHugeText(t *testing.T) {
	// A hostile 2 MiB input must embed without trouble.
	text := strings.Repeat("退货 refund ", 2<<20/len("退货 refund "))
	v := embedAll(t, NewOffline(256), text)[0]
	if n := math.Sqrt(cosine(v, v)); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm = %v", n)
	}
}

// bench200 is a typical 200-rune mixed customer message.
const bench200 = "您好，我想咨询一下退货政策：衣服尺码不合适可以在7天内无理由退货吗？退款多久到账？I ordered a jacket in size M last week, shipping via SF Express was fast, but it is too small. Can I exchange it for L, and who pays the return postage? 谢谢！"

func BenchmarkOfflineEmbed(b *testing.B) {
	e := NewOffline(256)
	texts := []string{bench200}
	b.ReportAllocs()
	b.ReportMetric(float64(len([]rune(bench200))), "runes")
	for b.Loop() {
		if _, err := e.Embed(context.Background(), texts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOfflineLexicon(t *testing.T) {
	tests := []struct {
		name                 string
		query, near, distant string
	}{
		{"好处 is 权益", "会员有什么好处", "各等级权益：金卡全场 9 折", "积分有效期 2 年"},
		{"perk is benefit", "what perks do members get", "Benefits by tier: Gold 10% off", "Points are valid for 2 years"},
		{"几段 is stage", "几段奶粉", "Stage 2: 6–12 months", "Hotline: 400-000-0000"},
		{"zh 发票 en invoice", "发票", "Invoices: request an invoice on the order page", "Shipping costs ¥10"},
		{"fapiao", "can i get a fapiao", "所有订单都可以开电子发票", "积分有效期 2 年"},
		{"多久能到 is delivery", "多久能到", "Delivery times: usually 1–2 days", "Points are valid"},
		{"人工 is agent", "转人工", "Talk to a human agent", "Shipping costs ¥10"},
		{"滤芯 is cartridge", "replacement cartridge", "替换滤芯 ¥199", "白金卡会员"},
		{"球鞋 is sneaker", "球鞋尺码", "Sneaker sizes: EU 36–45", "Invoice by email"},
	}
	e := NewOffline(256)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := embedAll(t, e, tt.query, tt.near, tt.distant)
			near, distant := cosine(v[0], v[1]), cosine(v[0], v[2])
			if near <= distant {
				t.Fatalf("cos(query, related) = %.3f, not above cos(query, unrelated) = %.3f", near, distant)
			}
		})
	}
}

func TestSynonyms(t *testing.T) {
	tests := []struct {
		word    string
		want    []string // must be among the synonyms
		notWant []string
	}{
		{"好处", []string{"权益", "benefit"}, []string{"好处"}},
		{"Perks", []string{"benefit", "权益"}, nil},
		{"change", []string{"replace", "modify"}, nil}, // two notions
		{"fit", []string{"size", "install"}, nil},
		{"夹克", []string{"jacket"}, []string{"sneaker"}},
		{"unknownword", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := Synonyms(tt.word)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Synonyms(%q) = %q, lacks %q", tt.word, got, w)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(got, w) {
					t.Errorf("Synonyms(%q) = %q, has %q", tt.word, got, w)
				}
			}
			if tt.want == nil && got != nil {
				t.Errorf("Synonyms(%q) = %q, want none", tt.word, got)
			}
		})
	}
}
