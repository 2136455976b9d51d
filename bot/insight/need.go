package insight

import (
	"fmt"
	"strconv"
)

// needContext is what the hidden need is derived from: the turn's own
// reading, its final intent and mood, and the conversation's signals.
type needContext struct {
	r        *reading
	intent   string
	mood     string
	asked    int // times the customer asked this question, this turn included
	resolved int // unresolved bot answers in a row before this turn
	lang     string
}

// need names the hidden need behind the turn and a short reason a person
// can check, in the customer's language. Rules are tried in order; the
// first that holds wins.
func need(c needContext) (string, string) {
	zh := c.lang == "zh"
	cue := func(k int) float64 { return c.r.cues[k] }
	quote := func(k int) string { return "“" + c.r.cueText[k] + "”" }
	waiting := c.intent == IntentOrderStatus || c.intent == IntentShipping || c.intent == IntentRefund ||
		c.intent == IntentPaymentBilling
	upset := c.mood == MoodAngry || c.mood == MoodFrustrated
	pick := func(zhText, enText string) string {
		if zh {
			return zhText
		}
		return enText
	}
	switch {
	case c.intent == IntentHumanRequest:
		return NeedHumanContact, pick("要求人工 → 想被真人倾听、由人来处理",
			"asked for a person → wants to be heard and handled by a human")
	case cue(cueWronged) >= 2 && (upset || c.intent == IntentComplaint):
		return NeedCompensation, pick(
			fmt.Sprintf("%s且%s → 觉得受了委屈，期待补偿而不只是解决问题", quote(cueWronged), moodZh(c.mood)),
			fmt.Sprintf("%s and %s → feels wronged, expects compensation, not just a fix", quote(cueWronged), c.mood))
	case cue(cueDeadline) >= 2 || (cue(cueDeadline) >= 1 && c.mood == MoodAnxious):
		return NeedUrgency, pick(
			fmt.Sprintf("提到期限%s → 最在乎速度，要明确的时间", quote(cueDeadline)),
			fmt.Sprintf("mentions a deadline (%s) → needs speed and a firm date above all", quote(cueDeadline)))
	case c.asked >= 2 && waiting:
		return NeedReassurance, pick(
			fmt.Sprintf("同一个问题问了%s次 → 焦虑，需要安心和主动的进度更新", timesZh(c.asked)),
			fmt.Sprintf("asked the same thing %s → anxious, wants reassurance and a proactive update", timesEn(c.asked)))
	case cue(cueUnfit) >= 2 && (c.intent == IntentReturn || c.intent == IntentExchange || c.intent == IntentSizeFit ||
		c.intent == IntentRefund || c.intent == IntentComplaint):
		return NeedAlternativeProduct, pick(
			fmt.Sprintf("因为%s想退换 → 可能需要一个更合适的替代商品", quote(cueUnfit)),
			fmt.Sprintf("wants to send it back because %s → may want an alternative that suits better", quote(cueUnfit)))
	case cue(cueUnused) >= 2 && (c.intent == IntentCancelSubscription || c.intent == IntentMembership ||
		c.intent == IntentPaymentBilling):
		return NeedValueNotRealized, pick(
			fmt.Sprintf("想取消，因为%s → 没用出价值，帮他用起来或换个合适的方案", quote(cueUnused)),
			fmt.Sprintf("wants to cancel because %s → not getting the value; help them use it or find a plan that fits", quote(cueUnused)))
	case c.intent == IntentCancelSubscription:
		return NeedValueNotRealized, pick("想取消订阅 → 可能没用出价值，先了解原因",
			"wants to cancel → may not be getting the value; ask what is missing")
	case cue(cueWronged) >= 2 || (c.intent == IntentComplaint && upset):
		return NeedCompensation, pick("投诉且情绪不好 → 觉得受了委屈，期待道歉和补偿",
			"complains and is upset → feels wronged, expects an apology and something to make up for it")
	case cue(cueLost) >= 2 || c.mood == MoodConfused:
		return NeedGuidance, pick("找不到或看不懂操作 → 需要一步一步的指引",
			"lost in the steps → wants step-by-step guidance")
	case c.resolved >= 2:
		return NeedHumanContact, pick(
			fmt.Sprintf("连续%s次回答都没解决 → 想要真人处理", timesZh(c.resolved)),
			fmt.Sprintf("%s answers in a row did not help → wants a person to take over", strconv.Itoa(c.resolved)))
	case c.mood == MoodAnxious && waiting:
		return NeedReassurance, pick("在等订单或款项且担心 → 需要安心和明确的进度",
			"waiting on an order or money and worried → wants reassurance and a clear status")
	case c.intent == IntentTechSupport:
		return NeedGuidance, pick("遇到技术问题 → 需要清楚的排查步骤",
			"stuck with a technical problem → wants clear troubleshooting steps")
	}
	return NeedNone, ""
}

func moodZh(m string) string {
	switch m {
	case MoodAngry:
		return "很生气"
	case MoodFrustrated:
		return "很不满"
	case MoodAnxious:
		return "很着急"
	}
	return "不满意"
}

func timesZh(n int) string {
	if n >= 0 && n <= 10 {
		return []string{"零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十"}[n]
	}
	return strconv.Itoa(n)
}

func timesEn(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	case 3:
		return "three times"
	}
	return strconv.Itoa(n) + " times"
}
