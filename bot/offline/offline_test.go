package offline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/prompts"
)

func newReasoner(t *testing.T) *Reasoner {
	t.Helper()
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return New(p)
}

var (
	refundZH = reason.Passage{Title: "退换货政策", Heading: "退款多久到账？", Text: "退款审核通过后 3-5 个工作日原路退回。", Lang: "zh", Score: 0.8, Relevant: true}
	refundEN = reason.Passage{Title: "Returns policy", Heading: "When do refunds arrive?", Text: "Refunds go back to the original payment method within 3-5 working days.", Lang: "en", Score: 0.9, Relevant: true}
	weakEN   = reason.Passage{Title: "Shipping", Text: "We ship worldwide.", Lang: "en", Score: 0.2, Relevant: false}
	longEN   = reason.Passage{Title: "Warranty", Lang: "en", Score: 0.7, Relevant: true, Text: strings.Join([]string{
		"Our products are designed in Berlin and assembled with care.",
		"Every product ships in recyclable packaging made from cardboard.",
		"The warranty covers manufacturing defects for two years from delivery.",
		"To claim the warranty, send a photo of the defect and your order number to support.",
		"Accidental damage, such as drops or water, is not covered.",
		"We also offer gift wrapping for a small fee during the holiday season.",
		"Our stores are open every day except public holidays.",
	}, " ")}
)

func TestAnswer(t *testing.T) {
	r := newReasoner(t)
	cases := []struct {
		name         string
		req          reason.Request
		want         []string // substrings the reply must contain
		notWant      []string
		grounded     bool
		mustHaveHans bool
	}{
		{name: "greeting zh", req: reason.Request{Question: "你好", Lang: "zh", Intent: "greeting"}, want: []string{"您好"}, mustHaveHans: true},
		{name: "greeting en", req: reason.Request{Question: "hi", Lang: "en", Intent: "greeting"}, want: []string{"Hello"}},
		{name: "thanks zh", req: reason.Request{Question: "谢谢", Lang: "zh", Intent: "thanks"}, want: []string{"不客气"}},
		{name: "thanks en", req: reason.Request{Question: "thanks", Lang: "en", Intent: "thanks"}, want: []string{"welcome"}},
		{name: "human zh", req: reason.Request{Question: "转人工", Lang: "zh", Intent: "human_request"}, want: []string{"人工"}},
		{name: "human en", req: reason.Request{Question: "real person please", Lang: "en", Intent: "human_request"}, want: []string{"person"}},
		{name: "faq answer zh", req: reason.Request{Question: "退款多久到账", Lang: "zh", Intent: "refund", Passages: []reason.Passage{refundEN, refundZH}},
			want: []string{refundZH.Text, "退换货政策"}, notWant: []string{refundEN.Text}, grounded: true},
		{name: "faq answer en", req: reason.Request{Question: "when is my refund", Lang: "en", Intent: "refund", Passages: []reason.Passage{refundZH, refundEN}},
			want: []string{refundEN.Text}, notWant: []string{refundZH.Text}, grounded: true},
		{name: "other language when it is all there is", req: reason.Request{Question: "refund timing", Lang: "en", Intent: "refund", Passages: []reason.Passage{refundZH}},
			want: []string{refundZH.Text}, grounded: true},
		{name: "nothing relevant zh", req: reason.Request{Question: "你们卖火箭吗", Lang: "zh", Intent: "product_question", Passages: []reason.Passage{weakEN}},
			want: []string{"人工"}, notWant: []string{weakEN.Text}},
		{name: "nothing relevant en", req: reason.Request{Question: "do you sell rockets", Lang: "en", Intent: "product_question", Passages: []reason.Passage{weakEN}},
			want: []string{"don't have", "human"}, notWant: []string{weakEN.Text}},
		{name: "angry gets an apology zh", req: reason.Request{Question: "退款怎么还没到！！！", Lang: "zh", Intent: "refund", Mood: "angry", Passages: []reason.Passage{refundZH}},
			want: []string{"抱歉", refundZH.Text}, grounded: true},
		{name: "frustrated gets an apology en", req: reason.Request{Question: "do you sell rockets", Lang: "en", Intent: "other", Mood: "frustrated"},
			want: []string{"sorry"}},
		{name: "long passage is cut to what was asked", req: reason.Request{Question: "how do I claim the warranty for a defect?", Lang: "en", Intent: "product_question", Passages: []reason.Passage{longEN}},
			want: []string{"To claim the warranty", "manufacturing defects"}, notWant: []string{"gift wrapping", "stores are open"}, grounded: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var streamed []string
			reply, err := r.Answer(context.Background(), c.req, func(p string) { streamed = append(streamed, p) })
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(strings.ToLower(reply.Text), strings.ToLower(w)) {
					t.Errorf("reply lacks %q:\n%s", w, reply.Text)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(reply.Text, w) {
					t.Errorf("reply has %q:\n%s", w, reply.Text)
				}
			}
			if reply.Grounded != c.grounded {
				t.Errorf("Grounded = %v, want %v", reply.Grounded, c.grounded)
			}
			if c.grounded && len(reply.Sources) != 1 {
				t.Errorf("Sources = %v, want one title", reply.Sources)
			}
			if reply.Reasoner != "offline" {
				t.Errorf("Reasoner = %q", reply.Reasoner)
			}
			if got := strings.Join(streamed, ""); got != reply.Text {
				t.Errorf("streamed pieces join to %q, want the reply %q", got, reply.Text)
			}
			if len(streamed) < 2 {
				t.Errorf("reply streamed in %d piece(s), want several", len(streamed))
			}
		})
	}
}

func TestAnswerHonoursCancel(t *testing.T) {
	r := newReasoner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Answer(ctx, reason.Request{Question: "hi", Lang: "en", Intent: "greeting"}, nil); err == nil {
		t.Fatal("Answer on a cancelled context succeeded")
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("这是一段与问题无关的介绍文字。", 20) + "退货需要在签收后七天内提交申请。" + strings.Repeat("其他说明。", 10)
	cases := []struct {
		name, question, passage, want string
	}{
		{"short passage whole", "refund?", "Refunds take 5 days.", "Refunds take 5 days."},
		{"chinese sentence picked", "签收后多久可以退货", long, "退货需要在签收后七天内提交申请。"},
		{"decimal is not a sentence end", "version", strings.Repeat("Filler text here. ", 20) + "Version 2.5 adds dark mode.", "Version 2.5 adds dark mode."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := excerpt(c.question, c.passage)
			if !strings.Contains(got, c.want) {
				t.Errorf("excerpt = %q, want it to contain %q", got, c.want)
			}
			if n := len([]rune(got)); n > maxExcerpt*2+1 {
				t.Errorf("excerpt has %d runes", n)
			}
		})
	}
}

// Passages as the sample knowledge base's chunker cuts them.
var (
	deliveryEN = reason.Passage{Title: "Shipping and Delivery", Heading: "Shipping and Delivery > Delivery times", Lang: "en", Score: 1.8, Relevant: true,
		Text: "We ship with SF Express by default, and with ZTO Express to remote regions.\n" +
			"- Major cities (Beijing, Shanghai, Guangzhou, Shenzhen): usually 1–2 days.\n" +
			"- Rest of mainland China: usually 2–4 days.\n" +
			"- Remote regions such as Xinjiang, Tibet and Qinghai: usually 4–7 days.\n" +
			"- Hong Kong and Macau: usually 3–5 days. We do not ship to Taiwan or overseas yet.\n\n" +
			"During big sales and bad weather, delivery may take 1–2 days longer."}
	benefitsZH = reason.Passage{Title: "会员等级与权益", Heading: "会员等级与权益 > 各等级权益", Lang: "zh", Score: 1.4, Relevant: true,
		Text: "- 银卡：全场 95 折，生日当月送 ¥30 优惠券。\n- 金卡：全场 9 折，所有订单包邮，缺货商品到货后优先预留 48 小时。\n" +
			"- 白金卡：全场 85 折，包邮，无理由退货免寄回运费，专属人工客服优先接待，限量新品提前购买。"}
	stagesZH = reason.Passage{Title: "婴儿配方奶粉分段指南", Heading: "婴儿配方奶粉分段指南 > 按月龄选择分段", Lang: "zh", Score: 1.5, Relevant: true,
		Text: "- 1 段：0–6 个月。\n- 2 段：6–12 个月。\n- 3 段：12–36 个月（1–3 岁）。\n每罐 800g，售价 ¥268。宝宝到了下一阶段的月龄再换段，早产儿或有特殊情况请先咨询医生。"}
)

// TestAnswerSampleQuestions checks the replies to questions that once came
// out wrong read like a good agent's: the facts asked for, lists whole.
func TestAnswerSampleQuestions(t *testing.T) {
	r := newReasoner(t)
	cases := []struct {
		question, lang string
		p              reason.Passage
		want           []string
	}{
		{"How long does shipping take?", "en", deliveryEN, []string{"SF Express", "Major cities", "1–2 days", "2–4 days", "4–7 days", "3–5 days", "big sales"}},
		{"会员有什么好处", "zh", benefitsZH, []string{"银卡", "金卡：全场 9 折", "白金卡", "包邮"}},
		{"宝宝8个月吃几段奶粉", "zh", stagesZH, []string{"1 段", "2 段：6–12 个月", "3 段", "换段"}},
	}
	for _, c := range cases {
		t.Run(c.question, func(t *testing.T) {
			reply, err := r.Answer(context.Background(), reason.Request{Question: c.question, Lang: c.lang, Intent: "product_question", Passages: []reason.Passage{c.p}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(reply.Text, w) {
					t.Errorf("reply lacks %q:\n%s", w, reply.Text)
				}
			}
			if !reply.Grounded {
				t.Error("reply not grounded")
			}
		})
	}
}

func TestExcerptKeepsListsWhole(t *testing.T) {
	filler := strings.Repeat("Our shop was founded long ago by a family of tailors. ", 4)
	list := "Orders of ¥600 or more can be paid in instalments:\n" +
		"- 3 or 6 instalments with Huabei or a credit card: interest-free.\n" +
		"- 12 instalments: the bank's fee applies; checkout shows the amount per instalment."
	steps := "1. Open \"My orders\" and tap \"Request a return\".\n2. Pick a reason and submit.\n3. Book an SF Express pickup."
	cases := []struct {
		name, question, passage string
		want                    []string
		notWant                 []string
	}{
		{"list with its lead", "can I pay in 12 instalments?", filler + "\n" + list + "\n\n" + filler,
			[]string{list}, []string{"tailors"}},
		{"one matching item brings the whole list", "is huabei interest-free", filler + "\n" + list,
			[]string{list}, []string{"tailors"}},
		{"numbered steps without a lead", "how do I request a return", filler + "\n\n" + steps + "\n\n" + filler,
			[]string{steps}, []string{"tailors"}},
		{"chinese list with lead", "分期有手续费吗", strings.Repeat("本店历史悠久，深受顾客喜爱。", 25) + "\n单笔订单满 ¥600 可以分期：\n- 花呗或信用卡分 3 期、6 期：免息。\n- 分 12 期：按银行或花呗的费率收取手续费。",
			[]string{"单笔订单满 ¥600 可以分期：\n- 花呗或信用卡分 3 期、6 期：免息。\n- 分 12 期：按银行或花呗的费率收取手续费。"}, []string{"历史悠久"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := excerpt(c.question, c.passage)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("excerpt lacks %q:\n%s", w, got)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(got, w) {
					t.Errorf("excerpt has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestSplitBlocks(t *testing.T) {
	got := splitBlocks("Intro one. Lead in:\n- a\n- b\n\nAfter. More.\n| S | 86 |\n| M | 92 |\n\n- lone")
	want := []block{
		{text: "Intro one.", line: 0},
		{text: "Lead in:\n- a\n- b", line: 0, list: true},
		{text: "After.", line: 4},
		{text: "More.\n| S | 86 |\n| M | 92 |", line: 4, list: true}, // a table takes its lead too
		{text: "- lone", line: 8, list: true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("splitBlocks:\n got %+v\nwant %+v", got, want)
	}
}

// TestBestPassageKeepsRetrievalOrder: retrieval reranks, so the first
// relevant passage in the reply language wins whatever its fusion score.
func TestBestPassageKeepsRetrievalOrder(t *testing.T) {
	ps := []reason.Passage{
		{Heading: "off-topic", Text: "x", Lang: "en", Score: 0.9, Relevant: false},
		{Heading: "中文", Text: "y", Lang: "zh", Score: 0.8, Relevant: true},
		{Heading: "first", Text: "a", Lang: "en", Score: 0.1, Relevant: true},
		{Heading: "second", Text: "b", Lang: "en", Score: 0.5, Relevant: true},
	}
	for _, tt := range []struct{ lang, want string }{{"en", "first"}, {"zh", "中文"}, {"fr", "中文"}} {
		got, ok := bestPassage(ps, tt.lang)
		if !ok || got.Heading != tt.want {
			t.Errorf("bestPassage(%s) = %q, %v; want %q", tt.lang, got.Heading, ok, tt.want)
		}
	}
}
