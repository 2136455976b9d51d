package offline

import (
	"context"
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
