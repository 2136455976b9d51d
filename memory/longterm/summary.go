package longterm

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// Episode is an extractive summary of a conversation: the customer's main
// questions, in their words, and the first sentence of what we answered.
type Episode struct {
	Text string // the summary, in the conversation's language
	// Topics are the main questions joined ("退款多久到账；能发顺丰吗"), for
	// "last time you asked about …".
	Topics  string
	Lang    string
	Sources []memory.MessageRef
}

// Summary limits: an episode names at most maxTopics questions, each cut to
// topicRunes characters, and answers cut to answerRunes.
const (
	maxTopics   = 3
	topicRunes  = 40
	answerRunes = 60
)

// Summarize makes the episode summary of msgs (a conversation, oldest
// first). lang is the conversation's language, or "" to take the language
// most of the customer's messages are in. ok is false when the customer
// said nothing but greetings and thanks.
func Summarize(msgs []memory.Message, lang string) (Episode, bool) {
	if lang == "" {
		lang = majorityLang(msgs)
	}
	type pick struct {
		m        memory.Message
		question bool
	}
	var picks []pick
	for _, m := range msgs {
		if m.Role != memory.RoleCustomer || smallTalk(m.Text) {
			continue
		}
		picks = append(picks, pick{m, asks(m.Text) || strings.ContainsAny(m.Text, "？?")})
	}
	if len(picks) == 0 {
		return Episode{}, false
	}
	// Questions first, in order; statements fill what is left.
	var chosen []memory.Message
	for _, want := range []bool{true, false} {
		for _, p := range picks {
			if p.question == want && len(chosen) < maxTopics {
				chosen = append(chosen, p.m)
			}
		}
	}
	sortBySeq(chosen)
	ep := Episode{Lang: lang}
	var topics, parts []string
	for _, q := range chosen {
		topic := cut(oneLine(q.Text), topicRunes)
		topics = append(topics, topic)
		ep.Sources = append(ep.Sources, memory.MessageRef{ConversationID: q.ConversationID, Seq: q.Seq})
		part := topic
		if a, ok := answerTo(msgs, q); ok {
			if lang == "zh" {
				part += "（答复：" + a + "）"
			} else {
				part += " (we answered: " + a + ")"
			}
		}
		parts = append(parts, part)
	}
	if lang == "zh" {
		ep.Topics = strings.Join(topics, "；")
		ep.Text = "客户咨询了：" + strings.Join(parts, "；")
	} else {
		ep.Topics = strings.Join(topics, "; ")
		ep.Text = "The customer asked: " + strings.Join(parts, "; ")
	}
	ep.Text = cut(ep.Text, MaxText)
	return ep, true
}

// answerTo returns the first sentence of the bot or agent reply to q.
func answerTo(msgs []memory.Message, q memory.Message) (string, bool) {
	var next *memory.Message
	for i := range msgs {
		m := &msgs[i]
		if m.Role != memory.RoleBot && m.Role != memory.RoleAgent {
			continue
		}
		if m.ReplyTo == q.Seq {
			next = m
			break
		}
		if next == nil && m.Seq > q.Seq && m.ReplyTo == 0 {
			next = m
		}
	}
	if next == nil {
		return "", false
	}
	return cut(firstSentence(next.Text), answerRunes), true
}

var firstSentenceEnd = regexp.MustCompile(`[。！？!?]|\.\s`)

func firstSentence(s string) string {
	s = oneLine(s)
	if loc := firstSentenceEnd.FindStringIndex(s); loc != nil {
		return strings.TrimSpace(s[:loc[1]])
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

var smallTalkRe = regexp.MustCompile(`(?i)^(?:你好|您好|在吗|在不在|嗨|哈喽|hello|hi|hey|good (?:morning|afternoon|evening)|谢谢|感谢|多谢|thanks|thank you|thx|ok|okay|好的|好|嗯|收到|bye|再见|拜拜)[\s!！.。,，~～呀啊哈]*$`)

// smallTalk reports whether a message is only a greeting, thanks or an
// acknowledgement.
func smallTalk(s string) bool {
	return smallTalkRe.MatchString(strings.TrimSpace(s))
}

func majorityLang(msgs []memory.Message) string {
	zh, en := 0, 0
	for _, m := range msgs {
		if m.Role != memory.RoleCustomer {
			continue
		}
		if hasHan(m.Text) {
			zh++
		} else {
			en++
		}
	}
	if zh >= en && zh > 0 {
		return "zh"
	}
	return "en"
}

func sortBySeq(ms []memory.Message) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Seq < ms[j-1].Seq; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}
