package longterm

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// cnDigits are the Chinese numerals customers write for small numbers.
var cnDigits = map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// enNumbers are the English number words customers write for ages and
// counts.
var enNumbers = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "twenty": 20,
}

// number reads "8", "8.5", "八", "十一", "二十", "two" (-1 when it is none of
// them).
func number(s string) float64 {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return -1
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if n, ok := enNumbers[s]; ok {
		return float64(n)
	}
	rs := []rune(s)
	total, cur := 0, -1
	for _, r := range rs {
		switch {
		case r == '十':
			if cur < 0 {
				cur = 1
			}
			total += cur * 10
			cur = -1
		case r == '百':
			if cur < 0 {
				cur = 1
			}
			total += cur * 100
			cur = -1
		default:
			d, ok := cnDigits[r]
			if !ok {
				return -1
			}
			cur = d
		}
	}
	if cur > 0 {
		total += cur
	}
	return float64(total)
}

// numText formats n without a needless ".0".
func numText(n float64) string {
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// durationValue normalises an age or span: n of unit ("month", "week",
// "year", "day") becomes "8 months", "1.5 years", "1 week".
func durationValue(n float64, unit string) string {
	if n != 1 {
		unit += "s"
	}
	return numText(n) + " " + unit
}

// parseDuration splits a value made by durationValue.
func parseDuration(v string) (float64, string, bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, "", false
	}
	n, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, "", false
	}
	return n, strings.TrimSuffix(f[1], "s"), true
}

// zhDuration renders "8 months" as "8个月", "1.5 years" as "1岁半".
func zhDuration(v string, age bool) string {
	n, unit, ok := parseDuration(v)
	if !ok {
		return v
	}
	switch unit {
	case "month":
		return numText(n) + "个月"
	case "week":
		return numText(n) + "周"
	case "day":
		return numText(n) + "天"
	case "year":
		if !age {
			return numText(n) + "年"
		}
		if n != float64(int(n)) && n-float64(int(n)) == 0.5 {
			return strconv.Itoa(int(n)) + "岁半"
		}
		return numText(n) + "岁"
	}
	return v
}

// unitOf maps a written unit to the normalised one.
func unitOf(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	switch {
	case u == "":
		return ""
	case strings.Contains(u, "月") || strings.HasPrefix(u, "mo") || strings.HasPrefix(u, "mth") || strings.HasPrefix(u, "mon"):
		return "month"
	case strings.Contains(u, "周") || strings.Contains(u, "星期") || strings.HasPrefix(u, "w"):
		return "week"
	case strings.Contains(u, "岁") || strings.HasPrefix(u, "y"):
		return "year"
	case strings.Contains(u, "天") || strings.HasPrefix(u, "d"):
		return "day"
	}
	return ""
}

// city is a place with its Chinese and English names.
type city struct{ zh, en string }

var cities = []city{
	{"北京", "Beijing"}, {"上海", "Shanghai"}, {"广州", "Guangzhou"}, {"深圳", "Shenzhen"}, {"杭州", "Hangzhou"},
	{"南京", "Nanjing"}, {"苏州", "Suzhou"}, {"成都", "Chengdu"}, {"重庆", "Chongqing"}, {"武汉", "Wuhan"},
	{"西安", "Xi'an"}, {"天津", "Tianjin"}, {"长沙", "Changsha"}, {"郑州", "Zhengzhou"}, {"青岛", "Qingdao"},
	{"厦门", "Xiamen"}, {"宁波", "Ningbo"}, {"无锡", "Wuxi"}, {"合肥", "Hefei"}, {"福州", "Fuzhou"},
	{"济南", "Jinan"}, {"大连", "Dalian"}, {"沈阳", "Shenyang"}, {"哈尔滨", "Harbin"}, {"长春", "Changchun"},
	{"昆明", "Kunming"}, {"贵阳", "Guiyang"}, {"南宁", "Nanning"}, {"南昌", "Nanchang"}, {"太原", "Taiyuan"},
	{"石家庄", "Shijiazhuang"}, {"兰州", "Lanzhou"}, {"乌鲁木齐", "Urumqi"}, {"海口", "Haikou"}, {"三亚", "Sanya"},
	{"珠海", "Zhuhai"}, {"东莞", "Dongguan"}, {"佛山", "Foshan"}, {"香港", "Hong Kong"}, {"澳门", "Macau"},
	{"台北", "Taipei"}, {"拉萨", "Lhasa"}, {"呼和浩特", "Hohhot"}, {"温州", "Wenzhou"}, {"常州", "Changzhou"},
	{"", "London"}, {"", "New York"}, {"", "Singapore"}, {"", "Tokyo"}, {"", "Sydney"}, {"", "Paris"},
	{"", "Berlin"}, {"", "Toronto"}, {"", "Vancouver"}, {"", "San Francisco"}, {"", "Los Angeles"},
	{"", "Seattle"}, {"", "Chicago"}, {"", "Melbourne"}, {"", "Seoul"}, {"", "Kuala Lumpur"},
}

// cityByName finds a city by either name, case-insensitively.
func cityByName(s string) (city, bool) {
	s = strings.TrimSpace(s)
	for _, c := range cities {
		if c.zh != "" && (s == c.zh || strings.TrimSuffix(s, "市") == c.zh) || strings.EqualFold(s, c.en) {
			return c, true
		}
	}
	return city{}, false
}

// carrier is a courier with the names customers use for it.
type carrier struct {
	en, zh string
	names  []string // lower-case spellings, Chinese and English
}

var carriers = []carrier{
	{"SF Express", "顺丰", []string{"顺丰速运", "顺丰快递", "顺丰", "sf express", "sf-express", "sfexpress", "shunfeng", "sf"}},
	{"JD Logistics", "京东物流", []string{"京东物流", "京东快递", "京东", "jd logistics", "jd express", "jd"}},
	{"ZTO Express", "中通", []string{"中通快递", "中通", "zto"}},
	{"YTO Express", "圆通", []string{"圆通快递", "圆通", "yto"}},
	{"Yunda Express", "韵达", []string{"韵达快递", "韵达", "yunda"}},
	{"STO Express", "申通", []string{"申通快递", "申通", "sto express", "sto"}},
	{"China Post EMS", "邮政EMS", []string{"中国邮政", "邮政", "ems", "china post"}},
	{"J&T Express", "极兔", []string{"极兔速递", "极兔", "j&t", "jnt"}},
	{"Deppon", "德邦", []string{"德邦快递", "德邦物流", "德邦", "deppon"}},
	{"DHL", "DHL", []string{"dhl"}},
	{"FedEx", "联邦快递", []string{"联邦快递", "fedex"}},
	{"UPS", "UPS", []string{"ups"}},
	{"USPS", "USPS", []string{"usps"}},
}

// carrierPattern is an alternation of every carrier name, longest first so
// "顺丰快递" wins over "顺丰".
func carrierPattern() string {
	var names []string
	for _, c := range carriers {
		names = append(names, c.names...)
	}
	sortLongestFirst(names)
	for i, n := range names {
		names[i] = quoteMeta(n)
	}
	return strings.Join(names, "|")
}

func carrierByName(s string) (carrier, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, c := range carriers {
		if s == strings.ToLower(c.en) {
			return c, true
		}
		for _, n := range c.names {
			if s == n {
				return c, true
			}
		}
	}
	return carrier{}, false
}

// sizes maps how customers write a clothing size to its letter.
var sizes = map[string]string{
	"xxs": "XXS", "xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "xxl": "XXL", "2xl": "XXL", "xxxl": "XXXL",
	"3xl": "XXXL", "4xl": "4XL", "small": "S", "medium": "M", "large": "L", "x-large": "XL", "extra large": "XL",
	"extra-large": "XL", "xlarge": "XL", "extra small": "XS", "x-small": "XS", "均码": "one size", "one size": "one size",
}

// timesOfDay maps preferred contact times to a normalised value and its
// Chinese form.
var timesOfDay = []struct{ zh, en string }{
	{"早上", "morning"}, {"上午", "morning"}, {"中午", "noon"}, {"下午", "afternoon"}, {"晚上", "evening"},
	{"傍晚", "evening"}, {"白天", "daytime"}, {"工作日", "weekdays"}, {"周末", "weekends"}, {"下班后", "after work"},
}

func zhTime(en string) string {
	for _, t := range timesOfDay {
		if t.en == en {
			return t.zh
		}
	}
	var h int
	if _, err := fmt.Sscanf(en, "after %d:00", &h); err == nil {
		return strconv.Itoa(h) + "点以后"
	}
	if _, err := fmt.Sscanf(en, "before %d:00", &h); err == nil {
		return strconv.Itoa(h) + "点以前"
	}
	return en
}

// contactChannels maps channel words to a normalised value and Chinese name.
var contactChannels = []struct{ zh, en string }{
	{"微信", "wechat"}, {"短信", "sms"}, {"邮件", "email"}, {"电话", "phone"}, {"QQ", "qq"}, {"WhatsApp", "whatsapp"},
}

func zhChannel(en string) string {
	for _, c := range contactChannels {
		if c.en == en {
			return c.zh
		}
	}
	return en
}

// allergens maps common allergens (Chinese and English) to a key slug and
// both names.
var allergens = []struct{ slug, zh, en string }{
	{"peanut", "花生", "peanuts"}, {"milk_protein", "牛奶蛋白", "milk protein"}, {"milk", "牛奶", "milk"},
	{"egg", "鸡蛋", "eggs"}, {"seafood", "海鲜", "seafood"}, {"shellfish", "贝类", "shellfish"},
	{"nuts", "坚果", "nuts"}, {"gluten", "麸质", "gluten"}, {"wheat", "小麦", "wheat"}, {"soy", "大豆", "soy"},
	{"pollen", "花粉", "pollen"}, {"penicillin", "青霉素", "penicillin"}, {"lactose", "乳糖", "lactose"},
	{"dust_mites", "尘螨", "dust mites"}, {"alcohol", "酒精", "alcohol"}, {"mango", "芒果", "mango"},
	{"fish", "鱼", "fish"}, {"shrimp", "虾", "shrimp"}, {"cat_hair", "猫毛", "cat hair"}, {"latex", "乳胶", "latex"},
}

// allergenOf returns the slug and display names of a written allergen; an
// unknown one gets a slug from its letters (or a short hash for Chinese).
func allergenOf(s string) (slug, zh, en string) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, a := range allergens {
		if t == a.zh || t == a.en || t == strings.TrimSuffix(a.en, "s") || t+"s" == a.en {
			return a.slug, a.zh, a.en
		}
	}
	return slugOf(t), s, s
}

// slugOf makes a key segment of free text: ASCII letters and digits as
// they are, anything else folded into a short stable hash.
func slugOf(s string) string {
	var b strings.Builder
	ascii := true
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		case r == ' ' || r == '-' || r == '_':
			b.WriteByte('_')
		default:
			ascii = false
		}
	}
	if ascii && b.Len() > 0 && b.Len() <= 32 {
		return b.String()
	}
	var h uint32 = 2166136261
	for _, c := range []byte(s) {
		h ^= uint32(c)
		h *= 16777619
	}
	return fmt.Sprintf("x%08x", h)
}

func sortLongestFirst(ss []string) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && len([]rune(ss[j])) > len([]rune(ss[j-1])); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

func quoteMeta(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		if r == ' ' || r == '-' {
			b.WriteString(`[\s\-]?`)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
