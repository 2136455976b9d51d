package longterm

import (
	"cmp"
	"strconv"
	"strings"
)

const (
	zhKid   = `(宝宝|宝贝|小宝|大宝|二宝|baby|娃|孩子|小孩|儿子|女儿|闺女)`
	zhFill  = `(?:今年|现在|目前|已经|刚刚|刚|满|才|快|都|也|是|有|马上|就|要|差不多|大概|大约|快要)*`
	zhPets  = `(猫咪|小猫|猫|狗狗|小狗|狗|仓鼠|兔子|鹦鹉|金鱼)`
	zhTimes = `(早上|上午|中午|下午|晚上|傍晚|白天|工作日|周末|下班后)`
)

var zhRules = []rule{
	// Ages: "宝宝8个月了", "孩子一岁半", "我家8个月的宝宝".
	{re: re(zhKid + zhFill + `\s*{num}\s*(个半月|个多月|个月|周|星期|岁半|岁多|岁)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			return ageCandidate(g[1], g[2], g[3], strings.Contains(g[3], "半"))
		}},
	{re: re(`(?:我家|我的|家里|我家的)\s*{num}\s*(个半月|个多月|个月|周|岁半|岁)(?:大)?的` + zhKid), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			return ageCandidate(g[3], g[1], g[2], strings.Contains(g[2], "半"))
		}},
	// "他现在10个月了" updates a known baby age.
	{re: re(`^(?:他|她|现在|已经|都)+\s*{num}\s*(个半月|个多月|个月|岁半|岁)(?:大)?了`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			if _, ok := b.knownValue("baby.age"); ok {
				return ageCandidate("宝宝", g[1], g[2], strings.Contains(g[2], "半"))
			}
			if _, ok := b.knownValue("child.age"); ok {
				return ageCandidate("孩子", g[1], g[2], strings.Contains(g[2], "半"))
			}
			return nil
		}},
	// Household.
	{re: re(`(?:我|我们|我家)(?:有|家有|生了|养了)\s*{num}\s*个(?:孩子|娃|小孩|宝宝)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return countCandidate("household.children", g[1]) }},
	{re: re(`家里?(?:有|共|一共)?\s*{num}\s*口人`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return countCandidate("household.size", g[1]) }},
	// Pets: "我家有一只猫", "我养了两条狗"; "我不养狗了" retracts.
	{re: re(`(?:我|我们|我家|家里)[^，。]{0,3}?(?:养了|养着|养|有)\s*(?:{num}\s*(?:只|条|个))?\s*` + zhPets), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return petCandidate(g[2], g[1]) }},
	{re: re(zhPets + `[^，。]{0,4}?(?:送人了|去世了|走了|没了|丢了|过世了)`), negative: true, presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return retract(petCandidate(g[1], "")) }},
	// City: "我在上海", "坐标深圳", "搬到杭州了"; "已经不住上海了" retracts.
	{re: re(`(?:我|我们|我家|本人)(?:现在|目前|一直|也|已经)?(?:不再|不)?(?:住在|住|在|人在|定居在|是)\s*{city}`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return cityCandidate(g[1]) }},
	{re: re(`(?:坐标|住在|定居在|搬到了?|搬去了?|收货地址(?:是|在)?)\s*{city}`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return cityCandidate(g[1]) }},
	// Sizes: "我穿L码", "平时穿XL的", "鞋码42".
	{re: re(`(?:我|本人|平时|一般|平常|通常|都|习惯)[^，。]{0,4}?穿\s*{size}\s*(?:码|号)?`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return sizeCandidate(g[1]) }},
	{re: re(`(?:我的?)?(?:衣服)?(?:尺码|码数)(?:一般|平时)?(?:是|穿)\s*{size}`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return sizeCandidate(g[1]) }},
	{re: re(`鞋码(?:一般|平时)?(?:是|穿)?\s*(\d{2}(?:\.5)?)`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return one("shoe.size", g[1]) }},
	{re: re(`(?:我|平时|一般)[^，。]{0,4}?穿\s*(\d{2}(?:\.5)?)\s*(?:码|号)的?鞋`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return one("shoe.size", g[1]) }},
	// The shoe named first: "鞋子一般穿38码", "运动鞋要42的", "鞋是37.5码".
	{re: re(`(?:鞋子?|球鞋|运动鞋|皮鞋|靴子|拖鞋)[^，。\d]{0,4}?(?:穿|是|要|买)\s*(\d{2}(?:\.5)?)\s*(?:码|号|的)?`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return shoeSizeCandidate(g[1]) }},
	// Body.
	{re: re(`身高\s*(\d{3}(?:\.\d)?|1\.\d{1,2})\s*(cm|厘米|公分|米|m)?`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return heightCandidate(g[1], g[2]) }},
	{re: re(`体重\s*(\d{2,3}(?:\.\d)?)\s*(斤|公斤|kg|千克)?`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return weightCandidate(g[1], g[2]) }},
	// Carriers: "喜欢顺丰", "下次发顺丰吧"; "不要发韵达" is a carrier to avoid.
	{re: re(`(?:喜欢|习惯|偏好|最好|只用|请用|请发|麻烦发|麻烦用|尽量发|尽量用|都用|一般用|希望用|希望发|指定|下次|以后)(?:请)?(?:都)?(?:用|发|走)?\s*{carrier}`),
		build: func(g []string, b buildCtx) []Candidate { return carrierCandidate("shipping.carrier", g[1]) }},
	{re: re(`(?:不要|别|不想|不喜欢|不用|拒收|不希望)(?:再)?(?:用|发|走)?\s*{carrier}`), negative: true,
		build: func(g []string, b buildCtx) []Candidate { return carrierCandidate("shipping.carrier_avoid", g[1]) }},
	// Contact.
	{re: re(`(?:不要|别|请勿|不用|不必|请不要|不想|不希望)(?:再)?(?:给我)?(?:打电话|来电|电话联系|打给我|打我电话|打电话给我)`), negative: true,
		build: func(g []string, b buildCtx) []Candidate { return one("contact.no_call", "yes") }},
	{re: re(zhTimes + `[^，。]{0,4}?(?:联系我|打电话|打给我|来电|比较方便|方便|回电|找我)`),
		build: func(g []string, b buildCtx) []Candidate { return timeCandidate(g[1]) }},
	{re: re(`((?:早上|上午|中午|下午|晚上)?(\d{1,2})点(?:以后|之后|后|以前|之前|前))[^，。]{0,4}?(?:联系|打电话|打给我|来电|方便|回电|找我)`),
		build: func(g []string, b buildCtx) []Candidate { return clockCandidate(g[1], g[2]) }},
	{re: re(`(?:联系|打电话给|打给|回电给|找)我[^，。]{0,3}?(?:请|最好)?(?:在)?` + zhTimes),
		build: func(g []string, b buildCtx) []Candidate { return timeCandidate(g[1]) }},
	{re: re(`(?:用|通过|请用|发|加)?(微信|短信|邮件|邮箱|QQ)(?:联系|通知|找|告诉|发给)我`),
		build: func(g []string, b buildCtx) []Candidate { return channelCandidate(g[1]) }},
	{re: re(`(?:联系我|通知我)(?:请|最好)?(?:用|通过|发)(微信|短信|邮件|邮箱)`),
		build: func(g []string, b buildCtx) []Candidate { return channelCandidate(g[1]) }},
	// A channel that is enough: "发短信就行", "微信联系就好".
	{re: re(`(?:用|通过|发|走|加)?(微信|短信|邮件|邮箱|QQ)(?:联系|通知|留言|沟通)?(?:就行|就好|就可以|即可|就够了)`),
		build: func(g []string, b buildCtx) []Candidate { return channelCandidate(g[1]) }},
	{re: re(`(?:请|麻烦)?(?:用|说)(英文|英语|中文|汉语|普通话)(?:回复|回答|沟通|交流|和我说)`),
		build: func(g []string, b buildCtx) []Candidate {
			if strings.HasPrefix(g[1], "英") {
				return one("contact.language", "en")
			}
			return one("contact.language", "zh")
		}},
	// Allergies: "我对花生过敏", "宝宝牛奶蛋白过敏"; "对牛奶不过敏了" retracts.
	// "我闺女对鸡蛋过敏" is about the daughter: a kid named after "我" wins.
	{re: re(`(?:(我|本人)(?:家的?|的)?)?(宝宝|宝贝|小宝|大宝|二宝|孩子|儿子|女儿|闺女|娃|小孩)?[^，。对]{0,3}?对\s*([^，。！？\s对]{1,8}?)\s*(?:不再|已经不|不)?过敏`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return allergyCandidate(cmp.Or(g[2], g[1]), g[3], b) }},
	{re: re(`(我|宝宝|宝贝|孩子|儿子|女儿|娃)[^，。对]{0,2}?([\p{Han}A-Za-z]{1,6}?)(?:不再|已经不|不)?过敏`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return allergyCandidate(g[1], g[2], b) }},
	// Diet.
	{re: re(`我(?:是|一直|平时)?(吃素|素食者|素食主义者|吃全素|纯素食?者?|只吃清真|吃清真|在控糖|控糖|不能吃糖|乳糖不耐受?)`), negative: true, presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dietCandidate(g[1]) }},
	{re: re(`乳糖不耐受?`), negative: true, presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return one("diet.lactose_intolerant", "yes") }},
	{re: re(`我(?:从来)?(?:不吃|忌口|不能吃)(猪肉|牛肉|辣|海鲜)`), negative: true, presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dietCandidate("不吃" + g[1]) }},
	// Products owned.
	{re: re(`(?:我|我家|家里|我们)(?:用的是|买的是|装的是|用的|买的|装的|用|买了|装了|有)(?:一台|台)?\s*([a-z][a-z0-9\-]{1,15})\s*(?:型号的?|型的?|款的?)?\s*(?:净水器|净水机)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return modelCandidate(g[1]) }},
	{re: re(`(?:净水器|净水机)(?:的)?(?:型号)?(?:是)\s*([a-z0-9][a-z0-9\-]{1,15})`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return modelCandidate(g[1]) }},
	{re: re(`滤芯(?:是|在)?\s*{zhdate}\s*(?:换|装|更换|安装|换上)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dateCandidate("product.filter.installed_at", g[1], b) }},
	{re: re(`{zhdate}\s*(?:刚)?(?:换|装|更换|安装)(?:了|的)?(?:新的?)?滤芯`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dateCandidate("product.filter.installed_at", g[1], b) }},
	{re: re(`(?:喝的是|在喝|吃的是|用的是|喝|吃)\s*([\p{Han}a-z]{2,8}?)\s*([1-4一二三四])\s*段`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			return one("baby.formula", g[1]+" stage "+numText(number(g[2])))
		}},
	// Budget.
	{re: re(`预算(?:大概|大约|在|是|有|只有|差不多|控制在|就|最多)*\s*(\d+(?:\.\d+)?)\s*(万|千|k)?\s*(?:元|块|rmb)?\s*(左右|以内|以下|上下|之内)?`),
		build: func(g []string, b buildCtx) []Candidate {
			qual := ""
			switch g[3] {
			case "左右", "上下":
				qual = "about"
			case "以内", "以下", "之内":
				qual = "under"
			}
			if v, ok := budgetValue(qual, g[1], g[2], "CNY"); ok {
				return one("budget", v)
			}
			return nil
		}},
	{re: re(`(?:不超过|不要超过|最多|别超过)\s*(\d+(?:\.\d+)?)\s*(万|千)?\s*(?:元|块)`), negative: true,
		build: func(g []string, b buildCtx) []Candidate {
			if v, ok := budgetValue("under", g[1], g[2], "CNY"); ok {
				return one("budget", v)
			}
			return nil
		}},
	// Name, birthday, payment.
	{re: re(`(?:我叫|我的名字是|我的名字叫|叫我)\s*([\p{Han}]{2,3}|[a-z]{2,20})`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			first := []rune(g[1])[0]
			if strings.ContainsRune("了过你他她人个车外什", first) {
				return nil
			}
			name := strings.TrimSuffix(strings.TrimSuffix(g[1], "就"), "吧")
			return one("name", name)
		}},
	{re: re(`(?:我的?|本人)生日(?:是|在)?\s*(\d{1,2})月(\d{1,2})[日号]?`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return birthdayCandidate(g[1], g[2]) }},
	{re: re(`(?:一般|平时|习惯|喜欢|常用|都用|一直用|通常)(?:用|是)?(支付宝|微信支付|信用卡|花呗|银行卡|货到付款)`),
		build: func(g []string, b buildCtx) []Candidate { return paymentCandidate(g[1]) }},
	// Commitments we made: "我们会在周五前给您回电".
	{re: re(`(?:我们|我|专员|客服|同事|工作人员|售后)(?:这边)?(?:会|将|将会|稍后会|马上会|会尽快|尽快)(?:在)?([^。！？，]{0,14}?)(?:给您|为您|和您|帮您|跟您)?(回电话|回电|致电|打电话|联系您|回复您|答复您|回复|答复|跟进|处理退款|退款|发货|补发|寄出|发邮件)`), fromUs: true, negative: true,
		build: func(g []string, b buildCtx) []Candidate {
			return commitmentCandidate(g[2], zhDeadlineRe.FindString(g[1]))
		}},
}

var zhDeadlineRe = re(`(?:下周|本周|这周)?(?:周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天])(?:之前|以前|前)?|今天|明天|后天|今晚|下周|\d+\s*(?:个)?(?:小时|工作日|个工作日|天|分钟)(?:之内|以内|内)?|[一二两三四五六七八九十]+(?:个)?(?:小时|工作日|天)(?:之内|以内|内)?|\d{1,2}月\d{1,2}[日号](?:之前|以前|前)?`)

func retract(cs []Candidate) []Candidate {
	for i := range cs {
		cs[i].Retract = true
	}
	return cs
}

func countCandidate(key, num string) []Candidate {
	n := number(num)
	if n < 1 || n > 20 {
		return nil
	}
	return one(key, numText(n))
}

func petCandidate(pet, num string) []Candidate {
	p := strings.ToLower(strings.TrimSpace(pet))
	slug := ""
	switch {
	case strings.Contains(p, "猫"), strings.HasPrefix(p, "cat"), strings.HasPrefix(p, "kitt"):
		slug = "cat"
	case strings.Contains(p, "狗"), strings.HasPrefix(p, "dog"), strings.HasPrefix(p, "pupp"):
		slug = "dog"
	case strings.Contains(p, "仓鼠"), strings.HasPrefix(p, "hamster"):
		slug = "hamster"
	case strings.Contains(p, "兔"), strings.HasPrefix(p, "rabbit"), strings.HasPrefix(p, "bunn"):
		slug = "rabbit"
	case strings.Contains(p, "鹦鹉"), strings.HasPrefix(p, "parrot"):
		slug = "parrot"
	case strings.Contains(p, "鱼"), p == "fish":
		slug = "fish"
	default:
		return nil
	}
	v := "yes"
	if n := number(num); n > 1 && n < 50 {
		v = numText(n)
	}
	return one("pet."+slug, v)
}

func cityCandidate(name string) []Candidate {
	if c, ok := cityByName(name); ok {
		return one("location.city", c.en)
	}
	return nil
}

func sizeCandidate(s string) []Candidate {
	v, ok := sizes[strings.ToLower(strings.Join(strings.Fields(s), " "))]
	if !ok {
		return nil
	}
	return one("clothing.size", v)
}

// shoeSizeCandidate accepts the shoe sizes people give in China (EU sizes,
// 20-50) and US/UK ones up to 16 in half sizes.
func shoeSizeCandidate(n string) []Candidate {
	if v := number(n); v < 1 || v > 50 || v > 16 && v < 20 {
		return nil
	}
	return one("shoe.size", n)
}

func heightCandidate(num, unit string) []Candidate {
	n := number(num)
	if n > 0 && n < 3 {
		n *= 100
	}
	if n < 50 || n > 250 {
		return nil
	}
	return one("body.height", numText(n)+" cm")
}

func weightCandidate(num, unit string) []Candidate {
	n := number(num)
	switch strings.ToLower(unit) {
	case "斤":
		n /= 2
	case "", "kg", "公斤", "千克", "kgs", "kilos":
		if unit == "" && n > 150 {
			n /= 2 // a bare number above 150 is 斤 in Chinese usage
		}
	case "lbs", "pounds", "lb":
		n *= 0.4536
		n = float64(int(n + 0.5))
	}
	if n < 2 || n > 300 {
		return nil
	}
	return one("body.weight", numText(n)+" kg")
}

func carrierCandidate(key, name string) []Candidate {
	if c, ok := carrierByName(strings.Join(strings.Fields(strings.ReplaceAll(name, "-", " ")), " ")); ok {
		return one(key, c.en)
	}
	if c, ok := carrierByName(name); ok {
		return one(key, c.en)
	}
	return nil
}

func timeCandidate(t string) []Candidate {
	for _, x := range timesOfDay {
		if x.zh == t {
			return one("contact.time", x.en)
		}
	}
	return nil
}

// clockCandidate reads "晚上8点以后" as "after 20:00".
func clockCandidate(whole, hour string) []Candidate {
	h, err := strconv.Atoi(hour)
	if err != nil || h > 24 {
		return nil
	}
	if (strings.HasPrefix(whole, "下午") || strings.HasPrefix(whole, "晚上")) && h < 12 {
		h += 12
	}
	rel := "after"
	if strings.Contains(whole, "前") {
		rel = "before"
	}
	return one("contact.time", rel+" "+strconv.Itoa(h)+":00")
}

func channelCandidate(ch string) []Candidate {
	switch strings.ToLower(ch) {
	case "微信", "wechat":
		return one("contact.channel", "wechat")
	case "短信", "text", "sms", "text message", "text messages", "texts":
		return one("contact.channel", "sms")
	case "邮件", "邮箱", "email", "e-mail":
		return one("contact.channel", "email")
	case "电话", "phone", "phone call", "phone calls", "call", "calls":
		return one("contact.channel", "phone")
	case "qq":
		return one("contact.channel", "qq")
	case "whatsapp":
		return one("contact.channel", "whatsapp")
	}
	return nil
}

// notAllergens are words that land where an allergen would ("宝宝会过敏吗").
var notAllergens = map[string]bool{"会": true, "容易": true, "易": true, "怕": true, "有": true, "是": true, "也": true,
	"还": true, "经常": true, "皮肤": true, "体质": true, "不会": true, "过": true, "很": true, "都": true}

func allergyCandidate(subject, allergen string, b buildCtx) []Candidate {
	a := strings.TrimSpace(allergen)
	if strings.Contains(a, "对") {
		return nil // "闺女对鸡蛋": the 对 rule reads this one
	}
	for _, p := range []string{"不再", "已经不", "不"} {
		a = strings.TrimSuffix(a, p)
	}
	if a == "" || notAllergens[a] || strings.HasPrefix(a, "会") || strings.HasPrefix(a, "容易") {
		return nil
	}
	if b.question && subject == "" {
		return nil // "对花生过敏的人能吃吗" is about people in general
	}
	slug, _, _ := allergenOf(a)
	key := "allergy." + slug
	if subject != "" && subject != "我" && subject != "本人" && subject != "i" && !strings.HasPrefix(strings.ToLower(subject), "i") {
		key = "baby.allergy." + slug
	}
	return one(key, a)
}

func dietCandidate(s string) []Candidate {
	switch {
	case strings.Contains(s, "纯素") || strings.Contains(s, "全素") || strings.EqualFold(s, "vegan"):
		return one("diet.vegan", "yes")
	case strings.Contains(s, "素") || strings.EqualFold(s, "vegetarian"):
		return one("diet.vegetarian", "yes")
	case strings.Contains(s, "清真") || strings.EqualFold(s, "halal"):
		return one("diet.halal", "yes")
	case strings.Contains(s, "糖") && !strings.Contains(s, "乳糖") || strings.EqualFold(s, "sugar") || strings.EqualFold(s, "diabetic"):
		return one("diet.sugar_free", "yes")
	case strings.Contains(s, "乳糖") || strings.HasPrefix(strings.ToLower(s), "lactose"):
		return one("diet.lactose_intolerant", "yes")
	case strings.Contains(s, "猪肉") || strings.EqualFold(s, "pork"):
		return one("diet.no_pork", "yes")
	case strings.Contains(s, "牛肉") || strings.EqualFold(s, "beef"):
		return one("diet.no_beef", "yes")
	case strings.Contains(s, "辣") || strings.HasPrefix(strings.ToLower(s), "spicy"):
		return one("diet.no_spicy", "yes")
	case strings.Contains(s, "海鲜") || strings.EqualFold(s, "seafood"):
		return one("diet.no_seafood", "yes")
	case strings.HasPrefix(strings.ToLower(s), "gluten"):
		return one("diet.gluten_free", "yes")
	case strings.EqualFold(s, "kosher"):
		return one("diet.kosher", "yes")
	}
	return nil
}

func modelCandidate(m string) []Candidate {
	m = strings.TrimSpace(m)
	if !strings.ContainsAny(m, "0123456789") {
		return nil // a model name has a number; "the new" is not one
	}
	return one("product.water_purifier.model", strings.ToUpper(m[:1])+m[1:])
}

func dateCandidate(key, s string, b buildCtx) []Candidate {
	d, ok := resolveDate(s, b.at)
	if !ok {
		return nil
	}
	return one(key, d)
}

func birthdayCandidate(month, day string) []Candidate {
	m, d := int(number(month)), int(number(day))
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return nil
	}
	return one("birthday", twoDigits(m)+"-"+twoDigits(d))
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func paymentCandidate(s string) []Candidate {
	for _, p := range payments {
		if strings.EqualFold(s, p.zh) || strings.EqualFold(s, p.en) {
			return one("payment.method", p.en)
		}
	}
	switch strings.ToLower(s) {
	case "card":
		return one("payment.method", "bank card")
	case "wechat pay":
		return one("payment.method", "WeChat Pay")
	}
	return nil
}

// commitmentCandidate maps the promised action to a commitment key.
func commitmentCandidate(action, deadline string) []Candidate {
	a := strings.ToLower(action)
	typ := ""
	switch {
	case strings.Contains(a, "回电") || strings.Contains(a, "致电") || strings.Contains(a, "打电话") || strings.Contains(a, "call"):
		typ = "callback"
	case strings.Contains(a, "邮件") || strings.Contains(a, "email"):
		typ = "email"
	case strings.Contains(a, "退款") || strings.Contains(a, "refund"):
		typ = "refund"
	case strings.Contains(a, "发货") || strings.Contains(a, "补发") || strings.Contains(a, "寄出") || strings.Contains(a, "ship") || strings.Contains(a, "replacement"):
		typ = "ship"
	case strings.Contains(a, "回复") || strings.Contains(a, "答复") || strings.Contains(a, "联系") || strings.Contains(a, "get back") || strings.Contains(a, "reply") || strings.Contains(a, "contact") || strings.Contains(a, "reach out"):
		typ = "reply"
	default:
		typ = "followup"
	}
	return one("commitment."+typ, strings.TrimSpace(deadline))
}
