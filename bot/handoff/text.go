package handoff

import (
	"fmt"
	"time"
)

// What the customer is told, in their language ("zh" or anything else →
// English). Notices are stored as system messages, so every channel shows
// them and a reconnecting client gets them by replay.

func minutes(secs int) int {
	m := (secs + 59) / 60
	return max(m, 1)
}

func noticeWaiting(lang string, position, waitS int) string {
	if lang == "zh" {
		if position > 1 {
			return fmt.Sprintf("好的，正在为您转接人工客服。您前面还有 %d 位，预计等待约 %d 分钟。您可以继续在这里留言，客服接入后会看到全部内容。", position-1, minutes(waitS))
		}
		return fmt.Sprintf("好的，正在为您转接人工客服，预计等待约 %d 分钟。您可以继续在这里留言，客服接入后会看到全部内容。", minutes(waitS))
	}
	if position > 1 {
		return fmt.Sprintf("I'm connecting you with a human agent. There %s ahead of you; the expected wait is about %d min. Keep writing here — the agent will see everything.", ahead(position-1), minutes(waitS))
	}
	return fmt.Sprintf("I'm connecting you with a human agent; the expected wait is about %d min. Keep writing here — the agent will see everything.", minutes(waitS))
}

func ahead(n int) string {
	if n == 1 {
		return "is 1 customer"
	}
	return fmt.Sprintf("are %d customers", n)
}

func noticeAfterHours(lang string, next time.Time) string {
	if lang == "zh" {
		return fmt.Sprintf("现在是人工客服的休息时间（下次上班：%s）。请留下您的联系电话和问题，客服上班后会第一时间联系您。", next.Format("1月2日 15:04"))
	}
	return fmt.Sprintf("Our agents are off right now (back %s). Please leave a phone number and your question, and an agent will call you back first thing.", next.Format("Mon Jan 2 15:04"))
}

func noticeCallbackNoted(lang string, next time.Time) string {
	if lang == "zh" {
		return fmt.Sprintf("已为您登记回电，客服会在 %s 后尽快联系您。您也可以继续补充信息。", next.Format("1月2日 15:04"))
	}
	return fmt.Sprintf("Thanks, your callback is booked; an agent will contact you soon after %s. Feel free to add anything else here.", next.Format("Mon Jan 2 15:04"))
}

func noticeClaimed(lang string) string {
	if lang == "zh" {
		return "人工客服已接入，请问有什么可以帮您？"
	}
	return "A human agent has joined the chat."
}

func noticeSLA(lang string, waitS int) string {
	if lang == "zh" {
		return fmt.Sprintf("抱歉让您久等了，已为您优先排队，预计还需约 %d 分钟。", minutes(waitS))
	}
	return fmt.Sprintf("Sorry for the wait — you've been moved up the queue. The expected wait is now about %d min.", minutes(waitS))
}

func noticeTransferred(lang string) string {
	if lang == "zh" {
		return "正在为您转接到更合适的客服，请稍候。"
	}
	return "I'm transferring you to a colleague who can help better; one moment please."
}

func noticeResolved(lang string) string {
	if lang == "zh" {
		return "人工客服已完成本次服务，接下来由智能助手继续为您服务。如还需人工，回复“转人工”即可。"
	}
	return "The agent has finished and handed you back to the assistant. Type \"talk to a human\" any time to reach an agent again."
}
