package seed

import (
	"fmt"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Chat topics.
const (
	topicFilter    = "filter"
	topicFormula   = "formula"
	topicSize      = "size"
	topicSneaker   = "sneaker"
	topicRefund    = "refund"
	topicOrder     = "order"
	topicComplaint = "complaint"
)

// line is one message of a script; customer lines carry what insight
// would find in them. {x} is replaced with a customer detail.
type line struct {
	role    memory.Role
	zh, en  string
	intent  string
	mood    string
	valence float64
}

func cust(zh, en, intent, mood string, valence float64) line {
	return line{role: memory.RoleCustomer, zh: zh, en: en, intent: intent, mood: mood, valence: valence}
}

func bot(zh, en string) line { return line{role: memory.RoleBot, zh: zh, en: en} }

var scripts = map[string][]line{
	topicFilter: {
		cust("滤芯多久换一次？", "How often should I change the filter?", "product_question", "calm", 0),
		bot("FLT-90 滤芯建议每 90 天左右更换一次，水质差的地区可以提前。", "The FLT-90 filter lasts about 90 days; change it sooner where the water is hard."),
		cust("好的，我一般{x}天左右换一次。", "OK, I usually change it every {x} days.", "product_question", "calm", 0.2),
		bot("记下了，快到时间我们会提醒您。", "Noted — we'll remind you when it's due."),
	},
	topicFormula: {
		cust("宝宝{x}个月了，应该喝几段奶粉？", "My baby is {x} months old. Which formula stage should I buy?", "product_question", "calm", 0),
		bot("0–6 个月 1 段，6–12 个月 2 段，12 个月以上 3 段。", "Stage 1 for 0–6 months, stage 2 for 6–12 months, stage 3 from 12 months."),
		cust("谢谢，一罐大概能喝多久？", "Thanks. How long does one tin last?", "product_question", "happy", 0.4),
		bot("800g 一罐一般能喝 29 天左右。", "An 800 g tin lasts about 29 days."),
	},
	topicSize: {
		cust("夹克偏大还是偏小？我平时穿{x}码。", "Does the jacket run large or small? I usually wear {x}.", "size_fit", "calm", 0),
		bot("JK-22 版型标准，按平时尺码选就好。", "The JK-22 fits true to size; choose your usual size."),
	},
	topicSneaker: {
		cust("限量款运动鞋什么时候补货？", "When will the limited sneaker be back in stock?", "product_question", "anxious", -0.2),
		bot("限量款暂时缺货，金卡会员补货时可优先预留。", "It's sold out for now; Gold members get first call when it's restocked."),
		cust("到货了请一定通知我。", "Please let me know as soon as it's back.", "product_question", "calm", 0),
	},
	topicRefund: {
		cust("退款多久到账？", "How long does a refund take?", "refund", "anxious", -0.2),
		bot("退款审核通过后 3–5 个工作日原路退回。", "Refunds reach your original payment method within 3–5 working days of approval."),
	},
	topicOrder: {
		cust("我的订单到哪了？", "Where is my order?", "order_status", "calm", 0),
		bot("您的订单已发货，预计 1–3 天送达。", "Your order has shipped and should arrive in 1–3 days."),
	},
	topicComplaint: {
		cust("快递又晚了，已经不是第一次了！", "The delivery is late again, and not for the first time!", "shipping", "frustrated", -0.6),
		bot("非常抱歉给您带来不便，我马上帮您催促物流。", "I'm very sorry. I'll chase the courier right away."),
		cust("每次都这样，再这样我就不在这买了。", "It's always like this. If it happens again I'll shop elsewhere.", "shipping", "angry", -0.9),
		bot("理解您的心情，我已为您升级处理，并补偿一张优惠券。", "I understand. I've escalated it and added a coupon to your account."),
	},
}

// topic is what this customer would ask about.
func (s *sim) topic() string {
	switch s.segment {
	case SegmentWater:
		return topicFilter
	case SegmentBaby:
		return topicFormula
	case SegmentFashion:
		return pick(s, []string{topicSize, topicSneaker})
	}
	return topicOrder
}

// detail fills a script's {x} for this customer.
func (s *sim) detail(topic string, at time.Time) string {
	switch topic {
	case topicFilter:
		return fmt.Sprint(int(s.cycle))
	case topicFormula:
		return fmt.Sprint(int(s.babyAge + at.Sub(s.start).Hours()/24/30))
	case topicSize:
		return s.size
	}
	return ""
}

// chat adds a support conversation at at; complaints always happen on the
// channel the customer uses most (WeChat when they have it).
func (s *sim) chat(at time.Time, topic string, complaint bool) {
	if !s.activeAt(at) {
		return
	}
	ch := Chat{Channel: "web"}
	if s.hasIdentity(memory.IdentityWeChatOpenID) && (complaint || s.chance(0.5)) {
		ch.Channel = "wechat"
	}
	x := s.detail(topic, at)
	for _, l := range scripts[topic] {
		text := l.zh
		if s.c.Lang == "en" {
			text = l.en
		}
		ch.Messages = append(ch.Messages, ChatMessage{Role: l.role, Text: strings.ReplaceAll(text, "{x}", x), At: at,
			Intent: l.intent, Mood: l.mood, Valence: l.valence})
		at = at.Add(time.Duration(10+s.rng.IntN(50)) * time.Second)
	}
	s.c.Chats = append(s.c.Chats, ch)
}
