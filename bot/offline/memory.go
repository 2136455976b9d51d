package offline

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/longterm"
)

// recallQuestion matches a customer asking what they told us before:
// "我上次说宝宝多大了？", "What size did I say I wear?".
var recallQuestion = regexp.MustCompile(`(?i)我上次说|上次我说|我之前说|之前我说|我以前说|我说过|我告诉过|告诉过你|跟你说过|和你说过|跟你们说过|和你们说过|我提过|我提到过|之前提到|还记得|记得我|记不记得|来着|上次说的|之前说的|\bdid i (?:say|tell|mention)\b|\bdo you (?:still )?remember\b|\bremember (?:what|my|which|how|when|where)\b|\bwhat did i (?:say|tell|mention)\b|\bi told you\b|\bdid i ever tell\b|\bas i (?:said|mentioned)\b|\bi (?:said|mentioned) (?:before|earlier|last time)\b`)

// askedBefore matches a customer asking what they said, asked for or
// chose before, by a past marker, a verb of telling or asking and a
// question word after it in the same clause: "我之前要求发哪个快递？",
// "上次我选的是什么颜色", "Which courier did I ask for?". The question word
// keeps requests about the past out: "我之前要求退款，怎么还没到账" asks
// for the refund, not for what they said.
var askedBefore = regexp.MustCompile(`(?i)(?:我|咱)(?:之前|上次|以前|先前|上回|那次|早先|前几天)|(?:之前|上次|以前|先前|上回|那次)我`)

var askedVerbQuestion = regexp.MustCompile(`^(?:跟你们?|和你们?|对你们?|给你们?|在这里?|在你们这)?(?:说|讲|提|要求|要的|交代|嘱咐|告诉|选|挑|留|填|备注|指定|约|定)[^，。！？,.!?]{0,14}?(?:哪|什么|啥|多少|几|多大|来着|(?:吗|么)\s*[？?]?\s*$)`)

var enAskedBefore = regexp.MustCompile(`(?i)\b(?:which|what|where|when|how\s+\w+)\b[^.?!]{0,40}?\bdid\s+i\s+(?:ask|request|want|pick|choose|select|specify|prefer|order|book)\b`)

// IsRecallQuestion reports whether q asks about something the customer
// told us before.
func IsRecallQuestion(q string) bool {
	q = strings.ReplaceAll(q, "’", "'")
	if recallQuestion.MatchString(q) || enAskedBefore.MatchString(q) {
		return true
	}
	for _, m := range askedBefore.FindAllStringIndex(q, -1) {
		if askedVerbQuestion.MatchString(q[m[1]:]) {
			return true
		}
	}
	return false
}

// asMemory turns a recalled memory back into the store's shape for the
// longterm helpers.
func asMemory(m reason.Memory) memory.Memory {
	return memory.Memory{Kind: m.Kind, Key: m.Key, Value: m.Value, Text: m.Text, Importance: m.Importance,
		ValidFrom: m.SaidAt, CreatedAt: m.SaidAt}
}

// answerMemory picks the remembered fact a recall question is about: the
// one matching most of the question's words beyond whom it is about, the
// better ranked on a tie. Episodes are not facts to quote. The memory's
// text is only ever quoted, never acted on.
func answerMemory(question string, ms []reason.Memory) (reason.Memory, bool) {
	best, bestN := reason.Memory{}, 0
	for _, m := range ms {
		if m.Kind == memory.MemoryEpisode {
			continue
		}
		n := longterm.Overlap(question, asMemory(m))
		if n > bestN || n == bestN && n > 0 && m.Score > best.Score {
			best, bestN = m, n
		}
	}
	return best, bestN > 0
}

// lastEpisode returns the newest episode summary of another conversation.
func lastEpisode(req reason.Request) (reason.Memory, bool) {
	var best reason.Memory
	found := false
	for _, m := range req.Memories {
		if m.Kind != memory.MemoryEpisode || m.ConversationID == req.ConversationID || strings.TrimSpace(m.Value) == "" {
			continue
		}
		if !found || m.SaidAt.After(best.SaidAt) {
			best, found = m, true
		}
	}
	return best, found
}

// describe says a memory to the customer, with when they told us.
func describe(m reason.Memory, now time.Time, lang string) string {
	return longterm.Describe(asMemory(m), now, lang)
}

// topics shortens an episode's topics for a greeting.
func topics(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 60 {
		return string([]rune(s)[:59]) + "…"
	}
	return s
}

// capitalize upper-cases the first letter, for an English sentence that
// starts with "earlier today".
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
