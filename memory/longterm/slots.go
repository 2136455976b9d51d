package longterm

import (
	"fmt"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// slot describes one kind of keyed memory: how important it is, the words a
// question about it uses (indexed with the memory, so "宝宝多大" finds
// baby.age), and how to say it.
type slot struct {
	key        string // exact key, or a prefix ending in "."
	kind       string
	importance float64
	topics     string // space-separated words, zh and en
	// say renders the memory; second is true for "you"/"您", false for
	// "the customer"/"客户".
	say func(v, lang string, second bool) string
}

// who returns the subject words for lang and person.
func who(lang string, second bool) (subj, poss string) {
	switch {
	case lang == "zh" && second:
		return "您", "您的"
	case lang == "zh":
		return "客户", "客户的"
	case second:
		return "you", "your"
	}
	return "the customer", "the customer's"
}

// sentence capitalises the first letter of an English phrase.
func sentence(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}

// simple builds a say function from a zh and an en pattern. In zh, %[1]s is
// the subject and %[2]s its possessive; in en, %[3]s is the subject and
// %[4]s its possessive; %[5]s is the value localised by conv.
func simple(zh, en string, conv func(v, lang string) string) func(string, string, bool) string {
	return func(v, lang string, second bool) string {
		s, p := who(lang, second)
		if conv != nil {
			v = conv(v, lang)
		}
		if lang == "zh" {
			return fmt.Sprintf(zh, s, p, "", "", v)
		}
		out := fmt.Sprintf(en, "", "", s, p, v)
		if !second {
			return sentence(thirdPerson(out))
		}
		return out
	}
}

// thirdPerson conjugates the verb after "the customer": "the customer
// wear" → "the customer wears".
func thirdPerson(s string) string {
	const subj = "the customer "
	if !strings.HasPrefix(s, subj) {
		return s
	}
	verb, rest, _ := strings.Cut(s[len(subj):], " ")
	switch verb {
	case "are":
		verb = "is"
	case "do":
		verb = "does"
	case "have":
		verb = "has"
	case "would", "usually", "is", "has", "does":
		if verb == "usually" {
			v2, r2, _ := strings.Cut(rest, " ")
			rest = v2 + "s " + r2
		}
	default:
		verb += "s"
	}
	return subj + verb + " " + rest
}

var slots = []slot{
	{"baby.age", memory.MemoryFact, 0.8, "宝宝 宝贝 多大 几个月 月龄 年龄 几岁 岁 age old baby months",
		simple("%[2]s宝宝%[5]s大", "%[4]s baby is %[5]s old", ageConv)},
	{"child.age", memory.MemoryFact, 0.7, "孩子 儿子 女儿 多大 几岁 年龄 age old child kid son daughter",
		simple("%[2]s孩子%[5]s", "%[4]s child is %[5]s old", ageConv)},
	{"household.children", memory.MemoryFact, 0.6, "孩子 几个 家里 children kids family",
		simple("%[1]s有%[5]s个孩子", "%[3]s have %[5]s children", nil)},
	{"household.size", memory.MemoryFact, 0.5, "家里 几口人 家庭 household family people",
		simple("%[2]s家里有%[5]s口人", "%[4]s household has %[5]s people", nil)},
	{"pet.", memory.MemoryFact, 0.6, "宠物 养 猫 狗 pet pets dog cat",
		nil}, // said by petSay (needs the key)
	{"location.city", memory.MemoryFact, 0.7, "城市 住 在哪 哪里 哪个 地址 收货 city live where location based",
		simple("%[1]s住在%[5]s", "%[3]s live in %[5]s", cityConv)},
	{"clothing.size", memory.MemoryPreference, 0.7, "尺码 码数 几码 穿 衣服 size wear clothes",
		simple("%[1]s穿%[5]s码", "%[3]s wear size %[5]s", nil)},
	{"shoe.size", memory.MemoryPreference, 0.7, "鞋码 鞋子 鞋 码 shoe shoes size",
		simple("%[2]s鞋码是%[5]s", "%[4]s shoe size is %[5]s", nil)},
	{"body.height", memory.MemoryFact, 0.5, "身高 多高 height tall",
		simple("%[1]s身高%[5]s", "%[4]s height is %[5]s", unitConv)},
	{"body.weight", memory.MemoryFact, 0.5, "体重 多重 weight weigh",
		simple("%[1]s体重%[5]s", "%[4]s weight is %[5]s", unitConv)},
	{"shipping.carrier_avoid", memory.MemoryPreference, 0.7, "快递 物流 发货 哪家 carrier courier shipping ship delivery express",
		simple("%[1]s不希望用%[5]s", "%[3]s would rather not use %[5]s", carrierConv)},
	{"shipping.carrier", memory.MemoryPreference, 0.7, "快递 物流 发货 哪家 carrier courier shipping ship delivery express",
		simple("%[1]s偏好用%[5]s快递", "%[3]s prefer %[5]s", carrierConv)},
	{"contact.no_call", memory.MemoryPreference, 0.9, "电话 打电话 来电 联系 call calls phone contact",
		simple("%[1]s不希望接到电话", "%[3]s do not want phone calls", nil)},
	{"contact.time", memory.MemoryPreference, 0.6, "联系 时间 电话 几点 方便 什么时候 contact call time reach when",
		simple("%[1]s希望在%[5]s联系", "the best time to contact %[3]s is %[5]s", timeConv)},
	{"contact.channel", memory.MemoryPreference, 0.6, "联系 方式 微信 短信 邮件 contact email text channel reach",
		simple("%[1]s希望通过%[5]s联系", "%[3]s prefer to be contacted by %[5]s", channelConv)},
	{"contact.language", memory.MemoryPreference, 0.6, "语言 中文 英文 language english chinese",
		simple("%[1]s希望用%[5]s沟通", "%[3]s prefer to talk in %[5]s", langConv)},
	{"baby.allergy.", memory.MemoryFact, 0.9, "过敏 宝宝 allergy allergic allergies baby",
		simple("%[2]s宝宝对%[5]s过敏", "%[4]s baby is allergic to %[5]s", allergenConv)},
	{"allergy.", memory.MemoryFact, 0.9, "过敏 allergy allergic allergies",
		simple("%[1]s对%[5]s过敏", "%[3]s are allergic to %[5]s", allergenConv)},
	{"diet.", memory.MemoryFact, 0.7, "饮食 吃 忌口 素 diet dietary eat food vegetarian",
		nil}, // said by dietSay (needs the key)
	{"product.water_purifier.model", memory.MemoryFact, 0.7, "净水器 净水机 型号 purifier model water",
		simple("%[2]s净水器型号是%[5]s", "%[4]s water purifier is the %[5]s", nil)},
	{"product.filter.installed_at", memory.MemoryFact, 0.8, "滤芯 换 更换 安装 什么时候 filter installed changed replaced when",
		simple("%[2]s滤芯是%[5]s安装的", "%[4]s filter was installed on %[5]s", dateConv)},
	{"baby.formula", memory.MemoryFact, 0.7, "奶粉 几段 哪个牌子 宝宝 formula stage milk brand",
		simple("%[2]s宝宝喝的是%[5]s奶粉", "%[4]s baby drinks %[5]s formula", formulaConv)},
	{"budget", memory.MemoryPreference, 0.6, "预算 多少钱 价位 budget spend price afford",
		simple("%[2]s预算是%[5]s", "%[4]s budget is %[5]s", budgetConv)},
	{"name", memory.MemoryFact, 0.6, "名字 叫 称呼 name called",
		simple("%[1]s叫%[5]s", "%[4]s name is %[5]s", nil)},
	{"birthday", memory.MemoryFact, 0.6, "生日 birthday",
		simple("%[2]s生日是%[5]s", "%[4]s birthday is %[5]s", dateConv)},
	{"payment.method", memory.MemoryPreference, 0.5, "付款 支付 方式 pay payment",
		simple("%[1]s习惯用%[5]s付款", "%[3]s usually pay with %[5]s", paymentConv)},
	{"commitment.", memory.MemoryCommitment, 0.9, "承诺 答应 回电 回复 跟进 联系 什么时候 promise promised call back follow up when",
		nil}, // said by commitmentSay (needs the key)
	{"episode.", memory.MemoryEpisode, 0.5, "上次 之前 问 咨询 last time asked before",
		nil},
}

// slotOf returns the slot a key belongs to.
func slotOf(key string) (slot, bool) {
	for _, s := range slots {
		if key == s.key || strings.HasSuffix(s.key, ".") && strings.HasPrefix(key, s.key) {
			return s, true
		}
	}
	return slot{}, false
}

// Topics returns the words a question about key would use, to index with the
// memory.
func Topics(key string) string {
	s, _ := slotOf(key)
	return s.topics
}

// Phrase says a memory in lang ("zh" or "en"): "您的宝宝8个月大", "your baby is
// 8 months old" when second is true, or about "the customer" otherwise.
// Keyed memories are rendered from their normalised value, so a fact told
// in English can be recalled in Chinese; other memories are their text.
func Phrase(m memory.Memory, lang string, second bool) string {
	if lang != "zh" {
		lang = "en"
	}
	if m.Value == "" && !strings.HasPrefix(m.Key, "commitment.") {
		return m.Text
	}
	s, ok := slotOf(m.Key)
	switch {
	case !ok:
		return m.Text
	case strings.HasPrefix(m.Key, "pet."):
		return petSay(m.Key, m.Value, lang, second)
	case strings.HasPrefix(m.Key, "diet."):
		return dietSay(m.Key, lang, second)
	case strings.HasPrefix(m.Key, "commitment."):
		return commitmentSay(m.Key, m.Value, lang, second)
	case s.say == nil:
		return m.Text
	}
	return s.say(m.Value, lang, second)
}

func ageConv(v, lang string) string {
	if lang == "zh" {
		return zhDuration(v, true)
	}
	return v
}

func unitConv(v, lang string) string {
	if lang == "zh" {
		return strings.NewReplacer(" cm", "厘米", " kg", "公斤").Replace(v)
	}
	return v
}

func cityConv(v, lang string) string {
	if c, ok := cityByName(v); ok && lang == "zh" && c.zh != "" {
		return c.zh
	}
	return v
}

func carrierConv(v, lang string) string {
	if c, ok := carrierByName(v); ok && lang == "zh" {
		return c.zh
	}
	return v
}

func timeConv(v, lang string) string {
	if lang == "zh" {
		return zhTime(v)
	}
	switch v {
	case "morning", "afternoon", "evening":
		return "in the " + v
	case "weekdays", "weekends":
		return "on " + v
	case "noon":
		return "at noon"
	case "daytime":
		return "during the day"
	}
	return v
}

func channelConv(v, lang string) string {
	if lang == "zh" {
		return zhChannel(v)
	}
	switch v {
	case "sms":
		return "text message"
	case "wechat":
		return "WeChat"
	}
	return v
}

func langConv(v, lang string) string {
	switch {
	case v == "zh" && lang == "zh":
		return "中文"
	case v == "en" && lang == "zh":
		return "英文"
	case v == "zh":
		return "Chinese"
	}
	return "English"
}

func allergenConv(v, lang string) string {
	_, zh, en := allergenOf(v)
	if lang == "zh" {
		return zh
	}
	return en
}

// dateConv renders an ISO date ("2025-03-10") or month-day ("03-10").
func dateConv(v, lang string) string {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if lang == "zh" {
			return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
		}
		return t.Format("January 2, 2006")
	}
	if t, err := time.Parse("01-02", v); err == nil {
		if lang == "zh" {
			return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
		}
		return t.Format("January 2")
	}
	return v
}

func formulaConv(v, lang string) string {
	if lang == "zh" {
		if brand, stage, ok := strings.Cut(v, " stage "); ok {
			return brand + stage + "段"
		}
	}
	return v
}

// budgetConv renders "about 500 CNY", "under 800 CNY", "200 USD".
func budgetConv(v, lang string) string {
	if lang != "zh" {
		return v
	}
	f := strings.Fields(v)
	qual, amount, cur := "", "", ""
	if len(f) > 0 && (f[0] == "about" || f[0] == "under") {
		qual, f = f[0], f[1:]
	}
	switch len(f) {
	case 1:
		amount = f[0]
	case 2:
		amount, cur = f[0], f[1]
	default:
		return v
	}
	unit := map[string]string{"CNY": "元", "USD": "美元"}[cur]
	switch qual {
	case "about":
		return amount + unit + "左右"
	case "under":
		return amount + unit + "以内"
	}
	return amount + unit
}

var payments = []struct{ zh, en string }{
	{"支付宝", "Alipay"}, {"微信支付", "WeChat Pay"}, {"信用卡", "credit card"}, {"花呗", "Huabei"},
	{"银行卡", "bank card"}, {"货到付款", "cash on delivery"}, {"PayPal", "PayPal"}, {"Apple Pay", "Apple Pay"},
}

func paymentConv(v, lang string) string {
	for _, p := range payments {
		if strings.EqualFold(v, p.en) {
			if lang == "zh" {
				return p.zh
			}
			return p.en
		}
	}
	return v
}

var pets = []struct{ slug, zh, en string }{
	{"dog", "狗", "dog"}, {"cat", "猫", "cat"}, {"hamster", "仓鼠", "hamster"}, {"rabbit", "兔子", "rabbit"},
	{"parrot", "鹦鹉", "parrot"}, {"fish", "鱼", "fish"},
}

func petSay(key, v, lang string, second bool) string {
	slug := strings.TrimPrefix(key, "pet.")
	zh, en := slug, slug
	for _, p := range pets {
		if p.slug == slug {
			zh, en = p.zh, p.en
		}
	}
	s, _ := who(lang, second)
	n := number(v)
	if lang == "zh" {
		if n > 1 {
			return fmt.Sprintf("%s养了%s只%s", s, numText(n), zh)
		}
		return s + "养了" + zh
	}
	verb := "has"
	if second {
		verb = "have"
	}
	out := fmt.Sprintf("%s %s a %s", s, verb, en)
	if n > 1 {
		out = fmt.Sprintf("%s %s %s %ss", s, verb, numText(n), en)
	}
	if !second {
		return sentence(out)
	}
	return out
}

var diets = []struct{ slug, zh, en string }{
	{"vegetarian", "吃素", "vegetarian"}, {"vegan", "吃纯素", "vegan"}, {"halal", "只吃清真食品", "halal only"},
	{"lactose_intolerant", "乳糖不耐受", "lactose intolerant"}, {"no_pork", "不吃猪肉", "does not eat pork"},
	{"no_beef", "不吃牛肉", "does not eat beef"}, {"no_spicy", "不吃辣", "does not eat spicy food"},
	{"no_seafood", "不吃海鲜", "does not eat seafood"}, {"sugar_free", "控糖，不吃糖", "avoids sugar"},
	{"gluten_free", "不吃麸质", "gluten-free"}, {"kosher", "只吃洁食", "kosher only"},
}

func dietSay(key, lang string, second bool) string {
	slug := strings.TrimPrefix(key, "diet.")
	s, _ := who(lang, second)
	for _, d := range diets {
		if d.slug != slug {
			continue
		}
		if lang == "zh" {
			return s + d.zh
		}
		phrase := d.en
		if strings.HasPrefix(phrase, "does not") && second {
			phrase = "do not" + strings.TrimPrefix(phrase, "does not")
		} else if !strings.HasPrefix(phrase, "does") && !strings.HasPrefix(phrase, "avoids") {
			verb := "is"
			if second {
				verb = "are"
			}
			phrase = verb + " " + phrase
		} else if second {
			phrase = strings.Replace(phrase, "avoids", "avoid", 1)
		}
		out := s + " " + phrase
		if !second {
			return sentence(out)
		}
		return out
	}
	return slug
}

// commitments are the promises we recognise, by key.
var commitments = []struct{ typ, zh, en string }{
	{"callback", "给%s回电", "call %s back"}, {"reply", "回复%s", "get back to %s"},
	{"followup", "跟进处理", "follow up"}, {"ship", "发货", "ship the order"},
	{"refund", "处理退款", "process the refund"}, {"email", "给%s发邮件", "email %s"},
}

func commitmentSay(key, deadline, lang string, second bool) string {
	typ := strings.TrimPrefix(key, "commitment.")
	obj := "客户"
	enObj := "the customer"
	if second {
		obj, enObj = "您", "you"
	}
	for _, c := range commitments {
		if c.typ != typ {
			continue
		}
		if lang == "zh" {
			action := c.zh
			if strings.Contains(action, "%s") {
				action = fmt.Sprintf(action, obj)
			}
			if deadline == "" {
				return "我们承诺" + action
			}
			return "我们承诺" + zhDeadline(deadline) + action
		}
		action := c.en
		if strings.Contains(action, "%s") {
			action = fmt.Sprintf(action, enObj)
		}
		out := "we promised to " + action
		if deadline != "" {
			out += " " + deadline
		}
		if !second {
			return sentence(out)
		}
		return out
	}
	return typ
}

// zhDeadline makes a deadline said in Chinese read well before the action
// ("周五" → "周五前"); English deadlines are kept as said.
func zhDeadline(d string) string {
	if strings.HasSuffix(d, "前") || strings.HasSuffix(d, "内") || strings.HasSuffix(d, "以内") || !hasHan(d) {
		return d
	}
	return d + "前"
}
