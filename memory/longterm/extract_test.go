package longterm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

var t0 = time.Date(2025, 6, 20, 10, 0, 0, 0, time.UTC)

// extracted is one expected candidate: key=value, with "!" before the key
// for a retraction.
func summarize(cs []Candidate) string {
	var parts []string
	for _, c := range cs {
		s := c.Key + "=" + c.Value
		if c.Retract {
			s = "!" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func extract(t *testing.T, role memory.Role, text string, known ...memory.Memory) []Candidate {
	t.Helper()
	cs, err := NewRules(func() time.Time { return t0 }).Extract(context.Background(), ExtractInput{
		CustomerID: "c1", Known: known,
		Messages: []memory.Message{{ConversationID: "conv1", Seq: 3, Role: role, Text: text, CreatedAt: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestRulesCustomerFacts(t *testing.T) {
	tests := []struct{ name, text, want string }{
		// Ages.
		{"zh baby age", "宝宝8个月了", "baby.age=8 months"},
		{"zh numerals and half", "我家宝宝一岁半了", "baby.age=1.5 years"},
		{"zh age before noun", "我家8个月的宝宝最近不爱喝奶", "baby.age=8 months"},
		{"zh child years", "孩子今年5岁", "child.age=5 years"},
		{"en baby age", "my baby is 8 months old", "baby.age=8 months"},
		{"en typo months", "My baby is 8 monthes old", "baby.age=8 months"},
		{"en possessive s", "my daughter's 3", "child.age=3 years"},
		{"en n-month-old", "I have a 10-month-old", "baby.age=10 months"},
		{"mixed zh en", "我的baby 8个月了", "baby.age=8 months"},
		// A question still states what it takes for granted.
		{"zh question presupposes age", "宝宝8个月能喝几段？", "baby.age=8 months"},
		{"en question presupposes age", "My son is 2 years old, which size fits him?", "child.age=2 years"},
		{"recall question states nothing", "我上次说宝宝多大了？", ""},
		{"en recall question states nothing", "What size did I say I wear?", ""},
		// Household and pets.
		{"zh children", "我们家有两个孩子", "household.children=2"},
		{"zh household", "家里3口人", "household.size=3"},
		{"zh pet", "我家有一只猫", "pet.cat=yes"},
		{"en pets count", "We have two dogs", "pet.dog=2"},
		{"en pet retracted", "I don't have a dog anymore", "!pet.dog=yes"},
		{"zh pet retracted", "我不养狗了", "!pet.dog=yes"},
		{"zh pet gone", "狗狗去年送人了", "!pet.dog=yes"},
		// City, with negation.
		{"zh city", "我在上海", "location.city=Shanghai"},
		{"zh city with 无", "我住在无锡", "location.city=Wuxi"},
		{"zh negated then stated", "我不是在上海，我在北京", "location.city=Beijing"},
		{"zh moved", "我已经不住上海了", "!location.city=Shanghai"},
		{"en city", "I live in Hangzhou", "location.city=Hangzhou"},
		{"en unknown capitalised city", "We live in Springfield", "location.city=Springfield"},
		{"en no longer", "I no longer live in Shanghai", "!location.city=Shanghai"},
		{"en lower-case not a city", "I live in a flat", ""},
		{"mixed city", "I'm in 上海", "location.city=Shanghai"},
		{"en based in", "I'm based in London", "location.city=London"},
		{"en located in", "we're located in Toronto", "location.city=Toronto"},
		{"en based, no longer", "I'm not based in London anymore", "!location.city=London"},
		{"en based in a country is not a city", "I'm based in the UK", ""},
		// Plural and twin kids; the kid named after 我 owns the allergy.
		{"en twins", "Our twins are 2 years old", "child.age=2 years"},
		{"en kids are", "my kids are 4", "child.age=4 years"},
		{"zh daughter's allergy", "我闺女对鸡蛋过敏", "baby.allergy.egg=鸡蛋"},
		{"zh own allergy", "我对花生过敏", "allergy.peanut=花生"},
		// Shoes named before the size; a channel that is enough.
		{"zh shoe first", "鞋子一般穿38码", "shoe.size=38"},
		{"zh sneakers", "运动鞋要42的", "shoe.size=42"},
		{"zh shoe year is no size", "这双鞋是2023年买的", ""},
		{"zh shoe not a size", "鞋子有点小", ""},
		{"zh channel is enough", "发短信就行", "contact.channel=sms"},
		// Sizes: preferences are not taken from questions.
		{"zh size", "我穿L码", "clothing.size=L"},
		{"zh size usual", "我平时穿XL的", "clothing.size=XL"},
		{"zh size question", "我穿L码合适吗？", ""},
		{"en size", "I wear size M", "clothing.size=M"},
		{"en size word", "I'm a medium", "clothing.size=M"},
		{"en not a size", "I'm a small business owner", ""},
		{"zh shoe", "鞋码42", "shoe.size=42"},
		{"en shoe", "my shoe size is 9.5", "shoe.size=9.5"},
		// Carriers.
		{"zh carrier", "喜欢顺丰", "shipping.carrier=SF Express"},
		{"zh carrier next time", "下次发京东吧", "shipping.carrier=JD Logistics"},
		{"zh carrier question", "能发顺丰吗？", ""},
		{"zh carrier avoid", "不要发韵达", "shipping.carrier_avoid=Yunda Express"},
		{"en carrier", "I prefer SF Express", "shipping.carrier=SF Express"},
		{"en carrier typo case", "please ship with sf-express", "shipping.carrier=SF Express"},
		{"en carrier avoid", "don't use UPS", "shipping.carrier_avoid=UPS"},
		{"en carrier word boundary", "the pick-ups are slow", ""},
		{"mixed carrier", "prefer 顺丰", "shipping.carrier=SF Express"},
		// Contact.
		{"zh no call", "不要给我打电话", "contact.no_call=yes"},
		{"en no call", "Please don't call me", "contact.no_call=yes"},
		{"en not a no call", "don't call me in the morning", ""},
		{"zh time", "晚上联系我", "contact.time=evening"},
		{"zh clock", "晚上8点以后比较方便", "contact.time=after 20:00"},
		{"en time", "call me in the evening", "contact.time=evening"},
		{"en clock", "best time to reach me is after 6pm", "contact.time=after 18:00"},
		{"zh channel", "微信联系我", "contact.channel=wechat"},
		{"en channel", "email me", "contact.channel=email"},
		{"en language", "please reply in English", "contact.language=en"},
		// Allergies and diet.
		{"zh allergy", "我对花生过敏", "allergy.peanut=花生"},
		{"zh baby allergy", "宝宝对牛奶蛋白过敏", "baby.allergy.milk_protein=牛奶蛋白"},
		{"zh allergy question is not a fact", "这个宝宝会过敏吗？", ""},
		{"zh allergy retracted", "宝宝对牛奶不过敏了", "!baby.allergy.milk=牛奶"},
		{"en allergies", "I'm allergic to peanuts and eggs", "allergy.peanut=peanuts allergy.egg=eggs"},
		{"en not allergic anymore", "My son is not allergic to milk anymore", "!baby.allergy.milk=milk"},
		{"zh diet", "我吃素", "diet.vegetarian=yes"},
		{"zh lactose", "我乳糖不耐受", "diet.lactose_intolerant=yes"},
		{"en diet", "I'm vegetarian", "diet.vegetarian=yes"},
		{"en no pork", "I don't eat pork", "diet.no_pork=yes"},
		// Products.
		{"zh purifier", "我的净水器型号是RO-500", "product.water_purifier.model=RO-500"},
		{"en purifier", "I have the AquaPure 500 water purifier", "product.water_purifier.model=AquaPure 500"},
		{"zh filter date", "滤芯是3月10号换的", "product.filter.installed_at=2025-03-10"},
		{"zh filter relative", "上个月刚换了新滤芯", "product.filter.installed_at=2025-05-20"},
		{"en filter date", "I installed the filter on March 3", "product.filter.installed_at=2025-03-03"},
		{"en filter ago", "filter was replaced 2 weeks ago", "product.filter.installed_at=2025-06-06"},
		{"zh formula", "宝宝喝的是飞鹤3段", "baby.formula=飞鹤 stage 3"},
		{"en formula", "she drinks Aptamil stage 2", "baby.formula=Aptamil stage 2"},
		// Budget, name, birthday, payment, body.
		{"zh budget", "预算500左右", "budget=about 500 CNY"},
		{"zh budget cap", "最多1千块", "budget=under 1000 CNY"},
		{"en budget", "my budget is $200", "budget=200 USD"},
		{"en budget about", "budget around 300 yuan", "budget=about 300 CNY"},
		{"zh name", "我叫张三", "name=张三"},
		{"zh not a name", "我叫了快递", ""},
		{"en name", "my name is John Smith", "name=John Smith"},
		{"en not a name", "call me back", ""},
		{"zh birthday", "我生日是5月3日", "birthday=05-03"},
		{"zh payment", "我一般用支付宝付款", "payment.method=Alipay"},
		{"zh body", "身高170，体重120斤", "body.height=170 cm body.weight=60 kg"},
		// Later statements win within a message.
		{"zh correction", "宝宝8个月，哦不对，9个月了，宝宝9个月", "baby.age=9 months"},
		// Commitments are only read from what we said.
		{"customer promise is not ours", "我们会在周五前回电", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(extract(t, memory.RoleCustomer, tt.text))
			if got != tt.want {
				t.Errorf("Extract(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestRulesCommitments(t *testing.T) {
	tests := []struct {
		name string
		role memory.Role
		text string
		want string
	}{
		{"zh callback", memory.RoleBot, "好的，我们会在周五前给您回电。", "commitment.callback=周五前"},
		{"zh reply", memory.RoleAgent, "我们会在24小时内给您回复", "commitment.reply=24小时内"},
		{"en callback", memory.RoleAgent, "We'll call you back on Friday.", "commitment.callback=on Friday"},
		{"en email", memory.RoleBot, "We will email you by tomorrow", "commitment.email=by tomorrow"},
		{"en refund no deadline", memory.RoleAgent, "I'll process your refund right away", "commitment.refund="},
		{"offer is not a promise", memory.RoleBot, "需要我们给您回电吗？", ""},
		{"bot facts are not customer facts", memory.RoleBot, "宝宝8个月可以喝2段奶粉。", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := extract(t, tt.role, tt.text)
			if got := summarize(cs); got != tt.want {
				t.Fatalf("Extract(%q) = %q, want %q", tt.text, got, tt.want)
			}
			for _, c := range cs {
				if c.Kind != memory.MemoryCommitment || c.Text == "" || len(c.Sources) != 1 || c.Sources[0].Seq != 3 {
					t.Errorf("candidate %+v: want a commitment with text and its source", c)
				}
			}
		})
	}
}

func TestRulesUseKnownSlot(t *testing.T) {
	known := memory.Memory{ID: "m1", Key: "baby.age", Value: "8 months", ValidFrom: t0.AddDate(0, -2, 0)}
	if got := summarize(extract(t, memory.RoleCustomer, "他现在10个月了", known)); got != "baby.age=10 months" {
		t.Errorf("with a known baby age: %q", got)
	}
	if got := summarize(extract(t, memory.RoleCustomer, "他现在10个月了")); got != "" {
		t.Errorf("without one: %q, want nothing (whose age?)", got)
	}
}

func TestRulesTextAndLanguage(t *testing.T) {
	cs := extract(t, memory.RoleCustomer, "宝宝8个月了")
	if len(cs) != 1 || cs[0].Text != "客户的宝宝8个月大" || cs[0].Lang != "zh" || cs[0].Importance <= 0 || !cs[0].At.Equal(t0) {
		t.Errorf("zh candidate = %+v", cs)
	}
	cs = extract(t, memory.RoleCustomer, "I wear size M")
	if len(cs) != 1 || cs[0].Text != "The customer wears size M" || cs[0].Lang != "en" || cs[0].Kind != memory.MemoryPreference {
		t.Errorf("en candidate = %+v", cs)
	}
}

func TestRulesHostileInput(t *testing.T) {
	long := strings.Repeat("我在上海，", 3000) + "我叫" + strings.Repeat("啊", 5000)
	for _, text := range []string{"", "\x00\x01", long, strings.Repeat("my baby is ", 2000), "宝宝99999999999个月"} {
		cs := extract(t, memory.RoleCustomer, text)
		for _, c := range cs {
			if len(c.Value) > MaxValue || !ValidKey(c.Key) {
				t.Errorf("candidate %+v breaks the limits", c)
			}
		}
	}
}
