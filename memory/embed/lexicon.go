package embed

import "strings"

// conceptGroups are customer-service notions with their common Chinese and
// English surface forms. Each form also contributes a shared "concept"
// feature, so "退货" and "return", or "快递" and "shipping", overlap even
// though they share no characters. Chinese forms are matched anywhere inside
// a run of CJK characters; English forms are single words (plural folded).
var conceptGroups = [][]string{
	{"退货", "退换", "退回", "寄回", "return", "returning", "returned"},
	{"退款", "退钱", "返款", "refund", "refunded", "reimburse"},
	{"发货", "配送", "快递", "物流", "运送", "邮寄", "送达", "到货", "顺丰", "ship", "shipping", "shipped", "delivery", "deliver", "delivered", "courier", "carrier", "dispatch", "dispatched"},
	{"运费", "包邮", "邮费", "postage", "freight"},
	{"尺码", "尺寸", "码数", "大小", "合身", "size", "sizing", "fit"},
	{"会员", "等级", "积分", "member", "membership", "tier", "loyalty", "point"},
	{"滤芯", "滤网", "净水器", "净水", "filter", "cartridge", "purifier"},
	{"更换", "换新", "替换", "replace", "replacement", "replacing"},
	{"奶粉", "配方奶", "formula"},
	{"宝宝", "婴儿", "幼儿", "月龄", "baby", "infant", "toddler"},
	{"阶段", "段位", "stage"},
	{"支付", "付款", "结账", "付钱", "pay", "payment", "checkout"},
	{"分期", "花呗", "免息", "instalment", "installment"},
	{"人工", "客服", "真人", "专员", "human", "agent", "representative", "staff"},
	{"联系", "电话", "热线", "contact", "phone", "hotline", "call"},
	{"订单", "下单", "购买", "order", "purchase", "buy"},
	{"价格", "价钱", "多少钱", "price", "cost", "fee"},
	{"库存", "缺货", "现货", "补货", "到货通知", "stock", "restock", "availability", "available"},
	{"政策", "规定", "规则", "条件", "policy", "rule", "condition"},
	{"取消", "撤销", "cancel", "cancellation"},
	{"发票", "invoice", "receipt"},
	{"夹克", "外套", "jacket", "coat"},
	{"球鞋", "运动鞋", "sneaker", "shoe", "trainer"},
	{"多久", "几天", "时效", "天数", "long", "day", "time"},
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
	"had", "please", "any", "some",
}

// stopChars are Chinese function characters whose unigrams carry no topic.
var stopChars = map[rune]struct{}{
	'的': {}, '了': {}, '是': {}, '吗': {}, '呢': {}, '吧': {}, '啊': {},
	'我': {}, '你': {}, '他': {}, '她': {}, '们': {}, '在': {}, '和': {},
	'也': {}, '都': {}, '就': {}, '么': {}, '什': {}, '怎': {}, '请': {},
}

var (
	concepts  = buildConcepts()
	stopWords = buildStopWords()
)

func buildConcepts() map[uint64]uint32 {
	m := make(map[uint64]uint32)
	for i, group := range conceptGroups {
		for _, form := range group {
			m[formHash(form)] = uint32(i + 1)
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
