package churn

import (
	"fmt"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// explain says in a sentence why feature i raised the risk, in lang ("zh"
// or English), with the customer's own figures.
func explain(i int, x Vector, p memory.Profile, now time.Time, lang string) string {
	zh := lang == "zh"
	b, h, it := p.Business, p.Behaviour, p.Interaction
	pick := func(zhText, enText string) string {
		if zh {
			return zhText
		}
		return enText
	}
	switch i {
	case FOrderOverdue:
		since := int(daysBetween(b.LastOrderAt, now))
		interval := b.ReorderIntervalDays
		if b.Orders < 2 || interval <= 0 {
			interval = OneOrderInterval
		}
		return pick(fmt.Sprintf("已 %d 天未下单，平时约 %.0f 天一单", since, interval),
			fmt.Sprintf("no order for %d days; usually orders every %.0f days", since, interval))
	case FNoOrders:
		return pick("从未下单", "has never ordered")
	case FActivityDrop:
		return pick(fmt.Sprintf("近 30 天活跃明显下降（%d 天有访问）", h.VisitDays30),
			fmt.Sprintf("activity fell well below their usual rate (%d active days in the last 30)", h.VisitDays30))
	case FDaysUnseen:
		return pick(fmt.Sprintf("已 %d 天未访问", int(daysBetween(h.LastSeen, now))),
			fmt.Sprintf("not seen for %d days", int(daysBetween(h.LastSeen, now))))
	case FLowCSAT:
		score := 5 - 4*x[FLowCSAT]
		return pick(fmt.Sprintf("满意度偏低（CSAT %.1f/5）", score), fmt.Sprintf("low satisfaction (CSAT %.1f/5)", score))
	case FHighCES:
		score := 1 + 6*x[FHighCES]
		return pick(fmt.Sprintf("办事费力（CES %.1f/7）", score), fmt.Sprintf("high effort to get things done (CES %.1f/7)", score))
	case FNegativeMoods:
		n := 0
		for _, pt := range it.Sentiment {
			if !pt.At.After(now) && now.Sub(pt.At) <= RecentWindow && (pt.Mood == "frustrated" || pt.Mood == "angry" || pt.Valence <= -0.5) {
				n++
			}
		}
		return pick(fmt.Sprintf("近 60 天有 %d 次不满或愤怒的对话", n), fmt.Sprintf("%d frustrated or angry messages in the last 60 days", n))
	case FMoodDecline:
		return pick("最近的情绪比以往更负面", "recent mood is worse than before")
	case FRefundRate:
		return pick(fmt.Sprintf("%d 个订单中申请了 %d 次退款", b.Orders, b.Refunds),
			fmt.Sprintf("%d refund requests over %d orders", b.Refunds, b.Orders))
	case FRecentRefunds:
		return pick("近 60 天申请过退款", "asked for a refund in the last 60 days")
	case FUsageDrop:
		return pick(fmt.Sprintf("App 使用时长下降 %.0f%%", 100*x[FUsageDrop]), fmt.Sprintf("app usage down %.0f%%", 100*x[FUsageDrop]))
	case FLogOrders:
		return pick("订单很少", "few orders so far")
	}
	return FeatureNames[i]
}
