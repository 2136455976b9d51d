package insight

// intentRule is the lexicon of one intent. Rules are listed in priority
// order: when two intents match equally often, the earlier one wins.
type intentRule struct {
	intent string
	words  []string
}

// topical intents are about the business; small talk (greeting, thanks) is
// reported only when none of them matches, so "你好，我的订单到哪了" is an
// order question, not a greeting.
var topical = []intentRule{
	{IntentHumanRequest, []string{"转人工", "人工客服", "人工服务", "找人工", "接人工", "真人", "人工",
		"talk to a human", "speak to a human", "real person", "human agent", "live agent",
		"talk to a person", "speak to a person", "talk to someone", "speak to someone", "a human"}},
	{IntentComplaint, []string{"投诉", "差评", "举报", "太差", "垃圾", "骗子", "坑人", "态度差",
		"complain", "complaint", "terrible service", "worst", "scam", "unacceptable", "ripoff", "rip off"}},
	{IntentRefund, []string{"退款", "退钱", "钱退", "到账", "refund", "money back", "reimburse"}},
	{IntentReturn, []string{"退货", "退回", "寄回", "退掉", "退换", "return", "send back", "send it back"}},
	{IntentExchange, []string{"换货", "换一个", "换个", "调换", "更换", "exchange", "swap", "replacement", "replace"}},
	{IntentOrderStatus, []string{"订单", "到哪", "物流信息", "查单", "单号", "还没到", "没收到", "发货了吗",
		"order", "where is my", "track", "tracking", "hasn't arrived", "not arrived", "not received", "haven't received"}},
	{IntentShipping, []string{"运费", "快递", "配送", "包邮", "几天到", "送货", "邮寄", "发货", "物流",
		"shipping", "ship", "delivery", "deliver", "courier", "postage", "dispatch"}},
	{IntentSizeFit, []string{"尺码", "尺寸", "大小", "偏大", "偏小", "合身", "身高", "体重", "穿多大", "码数",
		"size", "sizing", "fit", "too small", "too big", "too large", "measurement"}},
	{IntentPaymentBilling, []string{"付款", "支付", "发票", "扣款", "扣费", "账单", "分期", "信用卡", "优惠券", "支付宝", "微信支付",
		"payment", "pay", "paid", "charge", "invoice", "bill", "billing", "credit card", "installment", "coupon"}},
	{IntentMembership, []string{"会员", "积分", "等级", "续费", "vip",
		"membership", "member", "points", "loyalty", "subscription", "subscribe"}},
	{IntentProductQuestion, []string{"材质", "成分", "功能", "参数", "规格", "保质期", "有货", "库存", "颜色", "怎么用", "使用方法", "质量", "保修", "产品",
		"material", "made of", "ingredient", "feature", "spec", "specs", "in stock", "color", "colour", "how to use", "warranty", "product", "battery"}},
}

var smallTalk = []intentRule{
	{IntentThanks, []string{"谢谢", "感谢", "多谢", "谢啦", "thanks", "thank you", "thx", "appreciate", "cheers"}},
	{IntentGreeting, []string{"你好", "您好", "在吗", "在不在", "嗨", "哈喽", "早上好", "下午好", "晚上好",
		"hello", "hi", "hey", "good morning", "good afternoon", "good evening"}},
}

func (t text) intent() string {
	if got := best(t, topical); got != "" {
		return got
	}
	if got := best(t, smallTalk); got != "" {
		return got
	}
	return IntentOther
}

// best returns the intent of rules with the most matches, or "".
func best(t text, rules []intentRule) string {
	winner, most := "", 0
	for _, r := range rules {
		if n := t.count(r.words); n > most {
			winner, most = r.intent, n
		}
	}
	return winner
}
