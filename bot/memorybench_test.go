package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/channels"
)

// fact is one thing a customer tells us in session 1 and asks back in
// session 2, with the words a correct answer contains (any of them).
type fact struct {
	tell, ask string
	want      []string
}

// memoryScript is ten customers telling five facts each (50 facts) in
// varied zh/en phrasings, typos and mixed language included. Each customer
// comes back three weeks later on WeChat and asks for each fact.
var memoryScript = [][]fact{
	{
		{"宝宝8个月了，最近在找奶粉", "我上次说宝宝多大了？", []string{"8个月"}},
		{"我穿L码", "我之前说我穿什么码来着？", []string{"L码"}},
		{"喜欢顺丰，别的快递太慢", "我跟你说过我喜欢哪家快递吗？", []string{"顺丰"}},
		{"我在杭州", "还记得我住在哪个城市吗？", []string{"杭州"}},
		{"宝宝对牛奶蛋白过敏", "我上次说宝宝对什么过敏来着？", []string{"牛奶蛋白"}},
	},
	{
		{"My baby is 6 months old", "Do you remember how old my baby is?", []string{"6 months"}},
		{"I wear size M", "What size did I say I wear?", []string{"size M"}},
		{"I prefer SF Express", "Which courier did I tell you I prefer?", []string{"SF Express"}},
		{"I live in Shenzhen", "Do you remember which city I live in?", []string{"Shenzhen"}},
		{"Please don't call me", "Did I tell you how to contact me? can you call me?", []string{"phone calls"}},
	},
	{
		{"我家宝宝一岁半了", "还记得我家宝宝多大吗？", []string{"1岁半"}},
		{"鞋码42", "我之前说过我的鞋码是多少？", []string{"42"}},
		{"预算500左右", "我上次说的预算是多少来着？", []string{"500元"}},
		{"晚上联系我比较方便", "我跟你说过什么时候联系我方便吗？", []string{"晚上"}},
		{"我对花生过敏", "还记得我对什么过敏吗？", []string{"花生"}},
	},
	{
		{"my daughter is 3 years old", "Do you remember how old my daughter is?", []string{"3 years"}},
		{"I'm allergic to penicillin", "What did I tell you I'm allergic to?", []string{"penicillin"}},
		{"my budget is $200", "Did I mention my budget?", []string{"200"}},
		{"I'm vegetarian", "Do you remember my diet?", []string{"vegetarian"}},
		{"email me please", "Did I tell you how to contact me?", []string{"email"}},
	},
	{
		{"我的净水器型号是RO-500", "我上次说我的净水器是什么型号来着？", []string{"RO-500"}},
		{"滤芯是5月10号换的", "我之前说滤芯是什么时候换的来着？", []string{"5月10日"}},
		{"宝宝喝的是飞鹤3段", "还记得宝宝喝的是什么奶粉吗？", []string{"飞鹤3段"}},
		{"我叫张伟", "还记得我叫什么名字吗？", []string{"张伟"}},
		{"我们家有两个孩子", "我上次说我家有几个孩子来着？", []string{"2个孩子"}},
	},
	{
		{"I have the AquaPure 500 water purifier", "Do you remember which water purifier model I have?", []string{"AquaPure 500"}},
		{"I installed the filter on April 2", "When did I say I installed the filter?", []string{"April 2"}},
		{"my name is Emma Wilson", "Do you remember my name?", []string{"Emma Wilson"}},
		{"We have two cats", "Did I tell you about my pets?", []string{"2 cats"}},
		{"best time to reach me is after 6pm", "Do you remember the best time to call me?", []string{"18:00"}},
	},
	{
		{"我的baby 10个月了", "我上次说宝宝几个月了？", []string{"10个月"}},
		{"prefer 顺丰", "我之前说我喜欢哪家快递来着？", []string{"顺丰"}},
		{"I'm in 上海", "还记得我在哪个城市吗？", []string{"上海"}},
		{"我平时穿XL的", "我说过我穿什么码吗？", []string{"XL"}},
		{"不要给我打电话", "我之前说过能不能给我打电话？", []string{"不希望接到电话"}},
	},
	{
		{"My baby is 4 monthes old", "Remember how old my baby is?", []string{"4 months"}},
		{"I'm a medium", "Did I tell you my size?", []string{"size M"}},
		{"please ship with sf-express", "Do you remember my preferred courier?", []string{"SF Express"}},
		{"we live in Springfield", "Do you remember where I live?", []string{"Springfield"}},
		{"I'm lactose intolerant", "Do you remember my dietary needs?", []string{"lactose intolerant"}},
	},
	{
		{"我吃素", "还记得我的饮食习惯吗？", []string{"吃素"}},
		{"我一般用支付宝付款", "我之前说过我习惯用什么付款吗？", []string{"支付宝"}},
		{"身高170", "我上次说我身高多少来着？", []string{"170"}},
		{"微信联系我", "我跟你说过用什么方式联系我吗？", []string{"微信"}},
		{"我生日是5月3日", "还记得我的生日吗？", []string{"5月3日"}},
	},
	{
		{"my son is 5", "Do you remember how old my son is?", []string{"5 years"}},
		{"my shoe size is 9.5", "What shoe size did I tell you?", []string{"9.5"}},
		{"she drinks Aptamil stage 2", "Do you remember which formula my baby drinks?", []string{"Aptamil stage 2"}},
		{"I don't eat pork", "Did I tell you what I don't eat?", []string{"pork"}},
		{"please reply in English", "Do you remember which language I prefer?", []string{"English"}},
	},
}

// heldOut are phrasings written after the rules were tuned on memoryScript
// and never tuned against: the honest figure for new wording.
var heldOut = [][]fact{
	{
		{"孩子刚满7个月，想问下辅食", "你还记得我孩子多大吗？", []string{"7个月"}},
		{"衣服我一般都穿M码", "我平时穿多大码来着？", []string{"M码"}},
		{"麻烦以后都发京东快递", "我之前要求发哪个快递？", []string{"京东"}},
		{"我们住在成都", "我上次说我住哪里来着？", []string{"成都"}},
		{"老人对海鲜过敏", "我之前说谁对什么过敏来着？", []string{"海鲜"}},
	},
	{
		{"Our little one just turned 9 months", "Remember how old our little one is?", []string{"9 months"}},
		{"I usually take a large", "Do you remember what size I take?", []string{"size L"}},
		{"I'd prefer DHL for deliveries", "Which carrier did I say I like?", []string{"DHL"}},
		{"We just moved to Chengdu", "Do you remember which city we moved to?", []string{"Chengdu"}},
		{"My kid has a peanut allergy", "Did I mention any allergies?", []string{"peanut"}},
	},
	{
		{"家里养了一只狗狗", "我说过我养了什么宠物吗？", []string{"狗"}},
		{"周末打电话给我比较方便", "我上次说什么时候打电话方便？", []string{"周末"}},
		{"预算控制在2000以内", "还记得我的预算吗？", []string{"2000"}},
		{"鞋子一般穿38码", "我说过我穿多大的鞋吗？", []string{"38"}},
		{"我是素食主义者", "我之前说过我吃什么吗？", []string{"吃素"}},
	},
	{
		{"text me instead of calling", "How did I say you should contact me?", []string{"text"}},
		{"I changed the filter 3 weeks ago", "Do you remember when I changed my filter?", []string{"2025"}},
		{"we're a family of four", "Did I tell you how big my family is?", []string{"4"}},
		{"I'm based in London", "Remember where I'm based?", []string{"London"}},
		{"we have an 11-month-old", "Do you remember the age of my baby?", []string{"11 months"}},
	},
	// Added with the fixes for the three misses above, before tuning
	// anything against them.
	{
		{"我儿子今年4岁了", "还记得我儿子几岁吗？", []string{"4岁"}},
		{"收货请用中通", "我之前说用哪家快递？", []string{"中通"}},
		{"我闺女对鸡蛋过敏", "我说过我闺女对什么过敏吗？", []string{"鸡蛋"}},
		{"我现在住在武汉", "还记得我住在哪吗？", []string{"武汉"}},
		{"别打电话，发短信就行", "我说过怎么联系我比较好吗？", []string{"短信"}},
	},
	{
		{"Our twins are 2 years old", "How old did I say our twins are?", []string{"2 years"}},
		{"I'm located in Toronto", "Do you remember where I'm located?", []string{"Toronto"}},
		{"Please use FedEx for my orders", "Which courier did I ask for?", []string{"FedEx"}},
		{"I wear a size 8 shoe", "What shoe size did I mention?", []string{"8"}},
		{"I'm allergic to shellfish", "Any allergies I told you about?", []string{"shellfish"}},
	},
}

// heldOutFresh are phrasings written after the fixes for heldOut's misses
// (some of which the last two heldOut customers informed) and never
// tuned against: the untouched figure.
var heldOutFresh = [][]fact{
	{
		{"我家老大今年六岁", "我家老大几岁来着？", []string{"6岁"}},
		{"快递请发EMS", "我上次说要发什么快递？", []string{"EMS"}},
		{"我住北京朝阳区", "我之前说过我住在哪个城市吗？", []string{"北京"}},
		{"我对芒果过敏", "还记得我对什么过敏吗？", []string{"芒果"}},
		{"上午别联系我，下午可以", "我说过什么时候联系我方便吗？", []string{"下午"}},
	},
	{
		{"My son just turned 7", "Do you remember my son's age?", []string{"7 years"}},
		{"I'm a size small", "What size did I tell you I am?", []string{"size S"}},
		{"Ship everything with UPS please", "Do you remember which carrier I want?", []string{"UPS"}},
		{"I live in Melbourne", "Where did I say I live?", []string{"Melbourne"}},
		{"I can't eat gluten", "Do you remember what I can't eat?", []string{"gluten"}},
	},
}

// memoryFloor is the share of facts the offline reasoner must answer from
// memory: measured 1.00 (50/50) when written, kept a little below so a
// harmless change of phrasing does not fail the build. The script is
// written to the rules; docs/benchmarks.md says so.
const memoryFloor = 0.9

// heldOutFloor is the floor for the held-out phrasings (see heldOut and
// heldOutFresh), below what was measured when they were first run (17/20
// = 0.85; heldOut's last ten 6/10 before the fixes they informed).
const heldOutFloor = 0.75

// freshFloor is the floor for heldOutFresh, below its first run (7/10).
const freshFloor = 0.6

// TestMultiSessionMemory tells 50 facts in a first session on the web,
// lets the conversations go idle (extraction and episode summary), and asks
// each fact back three weeks later from WeChat, answered by the offline
// reasoner. It prints the share answered correctly.
func TestMultiSessionMemory(t *testing.T) {
	for _, set := range []struct {
		name   string
		script [][]fact
		floor  float64
	}{{"scripted", memoryScript, memoryFloor}, {"held-out phrasings", heldOut, heldOutFloor},
		{"fresh held-out phrasings", heldOutFresh, freshFloor}} {
		t.Run(set.name, func(t *testing.T) {
			right, total := multiSession(t, set.script)
			share := float64(right) / float64(total)
			fmt.Printf("multi-session memory, %s (offline reasoner): %d/%d facts answered from memory = %.2f\n", set.name, right, total, share)
			if share < set.floor {
				t.Errorf("share %.2f below the floor %.2f", share, set.floor)
			}
		})
	}
}

func multiSession(t *testing.T, memoryScript [][]fact) (right, total int) {
	h := startMemory(t, nil)
	ctx := context.Background()
	type customerSessions struct {
		web, wechat channels.Session
	}
	sessions := make([]customerSessions, len(memoryScript))
	for i, facts := range memoryScript {
		web, err := h.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		sessions[i].web = web
		for _, f := range facts {
			h.ask(t, web, "web", f.tell)
		}
	}
	h.settle(t)
	h.clock.Add(21 * 24 * time.Hour)

	right, total = 0, 0
	for i, facts := range memoryScript {
		conv, err := h.store.CurrentConversation(ctx, sessions[i].web.CustomerID, "wechat", h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		wx := channels.Session{CustomerID: sessions[i].web.CustomerID, ConversationID: conv.ID}
		for _, f := range facts {
			total++
			got := h.ask(t, wx, "wechat", f.ask)
			ok := false
			for _, w := range f.want {
				ok = ok || strings.Contains(got, w)
			}
			if ok {
				right++
			} else {
				t.Logf("missed: told %q, asked %q, got %q", f.tell, f.ask, got)
			}
		}
	}
	return right, total
}
