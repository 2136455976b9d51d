package storetest

import (
	"fmt"
	"math/rand/v2"

	"github.com/kairoscx/kairos/memory"
)

// Fact returns a generated memory sentence of the kind long-term memory
// keeps (facts, preferences, commitments, episode summaries), in Chinese or
// English, with its kind; the memory-recall benchmarks load and query with
// these.
func Fact(r *rand.Rand) (kind, text string) {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	zh := r.IntN(2) == 0
	switch n := r.IntN(10); {
	case n < 4:
		if zh {
			return memory.MemoryFact, fmt.Sprintf(pick(factsZH), pick(slotsZH), 1+r.IntN(36))
		}
		return memory.MemoryFact, fmt.Sprintf(pick(factsEN), pick(slotsEN), 1+r.IntN(36))
	case n < 7:
		if zh {
			return memory.MemoryPreference, fmt.Sprintf(pick(prefsZH), pick(slotsZH))
		}
		return memory.MemoryPreference, fmt.Sprintf(pick(prefsEN), pick(slotsEN))
	case n < 8:
		if zh {
			return memory.MemoryCommitment, fmt.Sprintf("我们承诺%s前就订单%d回电", pick(daysZH), 100000+r.IntN(900000))
		}
		return memory.MemoryCommitment, fmt.Sprintf("We promised a callback by %s about order %d", pick(daysEN), 100000+r.IntN(900000))
	}
	if zh {
		return memory.MemoryEpisode, fmt.Sprintf("客户询问了%s的%s，已经解决", pick(slotsZH), pick(topicsZH))
	}
	return memory.MemoryEpisode, fmt.Sprintf("Customer asked about %s for %s; resolved", pick(topicsEN), pick(slotsEN))
}

var (
	factsZH  = []string{"宝宝用的是%s，现在%d个月大", "家里的%s已经用了%d个月", "住在%s，快递一般%d天到", "对%s过敏，孩子%d个月"}
	factsEN  = []string{"Uses %s; the baby is %d months old", "Has owned the %s for %d months", "Lives near %s, deliveries take %d days", "Allergic to %s since age %d"}
	prefsZH  = []string{"喜欢用%s", "希望用%s发货", "更想要%s的包装", "只买%s"}
	prefsEN  = []string{"Prefers %s", "Wants shipping by %s", "Likes the %s packaging", "Only buys %s"}
	slotsZH  = []string{"顺丰", "京东物流", "有机奶粉", "纸尿裤", "上海", "北京", "深圳", "坚果", "牛奶", "大号", "小包装", "羊奶粉", "湿巾", "奶瓶", "杭州"}
	slotsEN  = []string{"SF Express", "JD Logistics", "organic formula", "diapers", "Shanghai", "Beijing", "Shenzhen", "nuts", "milk", "size L", "small packs", "goat milk formula", "wipes", "bottles", "Hangzhou"}
	daysZH   = []string{"周一", "周二", "周三", "周四", "周五", "周末"}
	daysEN   = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"}
	topicsZH = []string{"退款", "物流", "发票", "优惠券", "换货", "尺码"}
	topicsEN = []string{"a refund", "delivery", "an invoice", "a coupon", "an exchange", "sizing"}
)
