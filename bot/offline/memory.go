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

// isRecallQuestion reports whether q asks about something the customer
// told us before.
func isRecallQuestion(q string) bool {
	return recallQuestion.MatchString(strings.ReplaceAll(q, "’", "'"))
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
