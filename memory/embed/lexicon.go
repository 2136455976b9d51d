package embed

import (
	"slices"
	"strings"
)

// conceptGroups are customer-service notions with the ways customers and
// help pages say them in Chinese and English. Each form adds a shared
// "concept" feature, so "好处" and "权益", or "快递" and "courier", overlap
// although they share no characters. Chinese forms (1–4 characters) are
// matched anywhere inside a run of CJK characters, so a one-character form
// must not be common inside unrelated words. English forms are single words,
// lowercased and plural folded. A form may stand for several notions ("change" is both
// replacing a filter and modifying an address).
var conceptGroups = [][]string{
	// Returns, refunds, exchanges.
	{"退货", "退换", "退回", "寄回", "能退", "可以退", "想退", "退掉", "退了", "return", "returning", "returned", "send"},
	{"退款", "退钱", "返款", "到账", "退回来", "refund", "refunded", "reimburse", "money"},
	{"换货", "调换", "换码", "能换", "换一", "换个", "换成", "exchange", "exchanged", "swap"},
	{"无理由", "不喜欢", "不想要", "不要了", "reason", "dislike", "unwanted"},
	{"质量问题", "破损", "坏了", "损坏", "瑕疵", "漏发", "少发", "缺件", "故障", "broken", "damaged", "faulty", "defect", "defective", "missing"},
	// Shipping: dispatch, delivery, couriers and fees.
	{"发货", "发出", "出库", "寄出", "ship", "shipping", "shipped", "dispatch", "dispatched", "send"},
	{"配送", "送达", "到货", "收到", "寄到", "送到", "能到", "到达", "发到", "delivery", "deliver", "delivered", "arrive", "arrival", "receive", "shipping", "shiping"},
	{"快递", "物流", "顺丰", "中通", "包裹", "单号", "courier", "carrier", "parcel", "package", "tracking", "track", "express"},
	{"运费", "邮费", "包邮", "免运费", "postage", "freight"},
	{"偏远", "新疆", "西藏", "青海", "remote", "xinjiang", "tibet", "qinghai"},
	{"海外", "国外", "境外", "台湾", "港澳", "香港", "澳门", "overseas", "abroad", "international", "taiwan", "foreign", "hong", "macau"},
	{"周末", "节假日", "假期", "周六", "周日", "weekend", "holiday", "saturday", "sunday"},
	{"地址", "收货地址", "address"},
	{"修改", "更改", "改地址", "填错", "写错", "change", "modify", "edit", "wrong", "redirect"},
	// Time.
	{"多久", "几天", "时效", "天数", "多长时间", "时候", "何时", "long", "day", "time", "when", "soon"},
	{"几点", "上班", "营业", "服务时间", "在线", "晚上", "夜里", "半夜", "hour", "opening", "online", "night", "evening"},
	// Membership.
	{"会员", "等级", "金卡", "银卡", "白金", "member", "membership", "tier", "loyalty", "vip", "gold", "silver", "platinum"},
	{"好处", "权益", "福利", "特权", "待遇", "benefit", "perk", "advantage", "privilege"},
	{"优惠", "优惠券", "折扣", "打折", "折", "减免", "立减", "coupon", "discount", "voucher", "off"},
	{"积分", "point"},
	{"升级", "门槛", "达到", "upgrade", "become", "threshold", "reach"},
	// Paying.
	{"支付", "付款", "结账", "付钱", "买单", "支付宝", "微信支付", "比特币", "pay", "payment", "paid", "checkout", "alipay", "wechat", "paypal", "bitcoin", "visa", "mastercard", "unionpay"},
	{"信用卡", "银行卡", "借记卡", "银联", "card", "credit", "debit", "bank"},
	{"分期", "花呗", "免息", "手续费", "instalment", "installment", "instalments", "interest", "huabei"},
	{"发票", "开票", "抬头", "invoice", "receipt", "fapiao", "vat"},
	{"扣款", "扣钱", "扣了", "失败", "deducted", "charged", "taken", "failed", "fail"},
	// People.
	{"人工", "客服", "真人", "专员", "human", "agent", "person", "representative", "staff", "someone", "operator"},
	{"联系", "电话", "热线", "邮箱", "打电话", "contact", "phone", "hotline", "call", "email", "mail"},
	// Orders and stock.
	{"订单", "下单", "购买", "买", "order", "purchase", "buy", "bought"},
	{"取消", "撤销", "cancel", "cancellation"},
	{"价格", "价钱", "多少钱", "售价", "price", "cost", "much"},
	{"库存", "缺货", "现货", "补货", "有货", "售罄", "预约", "stock", "restock", "restocked", "availability", "available", "sold", "reserve"},
	{"政策", "规定", "规则", "条件", "policy", "rule", "condition"},
	{"提醒", "通知", "remind", "reminder", "notification"},
	// Products.
	{"奶粉", "配方奶", "formula"},
	{"宝宝", "婴儿", "幼儿", "孩子", "小孩", "早产", "baby", "infant", "toddler", "kid", "child"},
	{"几段", "分段", "段位", "阶段", "转段", "换段", "stage"},
	{"月龄", "个月", "岁", "month", "age", "old", "year"},
	{"一罐", "罐", "tin"},
	{"开罐", "开封", "拆封", "打开", "opened", "unsealed"},
	{"保存", "储存", "存放", "冰箱", "阴凉", "store", "storage", "keep", "fridge"},
	{"转段", "换段", "过渡", "switch", "switching", "transition"},
	{"滤芯", "滤网", "净水器", "净水", "filter", "cartridge", "purifier"},
	{"更换", "换新", "替换", "换滤芯", "replace", "replacement", "replacing", "change"},
	{"安装", "上门", "师傅", "装上", "install", "installation", "technician", "fit"},
	{"夹克", "外套", "防风", "风衣", "jacket", "coat", "windbreaker"},
	{"球鞋", "运动鞋", "鞋子", "鞋码", "sneaker", "shoe", "trainer"},
	{"尺码", "尺寸", "码数", "大小", "合身", "几码", "什么码", "胸围", "身高", "size", "sizing", "fit", "chart", "cm", "tall", "height"},
	{"偏小", "小了", "太小", "紧", "small", "tight"},
	{"偏大", "大了", "太大", "large", "big", "loose"},
}

// stopWordList holds English function words that would otherwise make every
// English text look alike.
var stopWordList = []string{
	"a", "an", "the", "is", "are", "was", "were", "be", "been", "am",
	"do", "does", "did", "to", "of", "in", "on", "at", "for", "with",
	"by", "from", "and", "or", "but", "if", "it", "its", "this", "that",
	"i", "me", "my", "we", "our", "you", "your", "they", "them", "their",
	"what", "whats", "which", "who", "how", "can", "could", "should",
	"would", "will", "there", "here", "as", "so", "not", "have", "has",
	"had", "please", "any", "some", "im", "ur", "u", "get",
}

// stopChars are Chinese function characters and colloquial question words
// whose unigrams carry no topic.
var stopChars = map[rune]struct{}{
	'的': {}, '了': {}, '是': {}, '吗': {}, '呢': {}, '吧': {}, '啊': {},
	'我': {}, '你': {}, '他': {}, '她': {}, '们': {}, '在': {}, '和': {},
	'也': {}, '都': {}, '就': {}, '么': {}, '什': {}, '怎': {}, '请': {},
	'啥': {}, '咋': {}, '呀': {}, '嘛': {}, '哦': {}, '有': {}, '要': {},
}

var (
	concepts  = buildConcepts()
	stopWords = buildStopWords()
	synonyms  = buildSynonyms()
)

// Synonyms returns the other forms of the notions word stands for in the
// offline embedder's bilingual lexicon ("好处" → "权益", "benefit", …), or
// nil when word is not in it. word is a Chinese form or an English word
// (any case, plural folded). Knowledge search uses it to count a question's
// word as found in a passage that says it differently. The result is shared:
// do not modify it.
func Synonyms(word string) []string {
	return synonyms[formHash(word)]
}

func buildSynonyms() map[uint64][]string {
	m := make(map[uint64][]string)
	for _, group := range conceptGroups {
		for _, form := range group {
			h := formHash(form)
			for _, other := range group {
				if other != form && !slices.Contains(m[h], other) {
					m[h] = append(m[h], other)
				}
			}
		}
	}
	return m
}

// maxFormRunes is the longest Chinese form in conceptGroups; scanning looks
// up every substring of a CJK run up to this length.
const maxFormRunes = 4

func buildConcepts() map[uint64][]uint32 {
	m := make(map[uint64][]uint32)
	for i, group := range conceptGroups {
		for _, form := range group {
			h := formHash(form)
			if c := uint32(i + 1); !slices.Contains(m[h], c) {
				m[h] = append(m[h], c)
			}
		}
	}
	return m
}

func buildStopWords() map[uint64]struct{} {
	m := make(map[uint64]struct{}, len(stopWordList))
	for _, w := range stopWordList {
		m[formHash(w)] = struct{}{}
	}
	return m
}

// formHash hashes a table entry the way scanning hashes text: lowercased,
// and for Latin words plural folded.
func formHash(form string) uint64 {
	rs := []rune(strings.ToLower(form))
	if len(rs) > 0 && !isCJK(rs[0]) {
		rs = foldPlural(rs)
	}
	return hashRunes(kindWord, rs)
}
