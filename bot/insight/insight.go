// Package insight reads one customer message for what the customer wants
// (intent), how they feel (mood and valence) and which language they write.
//
// This first version is lexicon based and works on a single message. It is
// deliberately small: the Insight struct will grow (hidden need, mood
// trajectory, confidence) without breaking callers of Analyze.
package insight

import (
	"strings"
	"unicode"
)

// Intents Analyze can report. "other" means nothing matched.
const (
	IntentOrderStatus     = "order_status"
	IntentShipping        = "shipping"
	IntentReturn          = "return"
	IntentRefund          = "refund"
	IntentExchange        = "exchange"
	IntentProductQuestion = "product_question"
	IntentSizeFit         = "size_fit"
	IntentPaymentBilling  = "payment_billing"
	IntentMembership      = "membership"
	IntentHumanRequest    = "human_request"
	IntentGreeting        = "greeting"
	IntentThanks          = "thanks"
	IntentComplaint       = "complaint"
	IntentOther           = "other"
)

// Moods Analyze can report, from pleased to furious.
const (
	MoodCalm       = "calm"
	MoodHappy      = "happy"
	MoodConfused   = "confused"
	MoodAnxious    = "anxious"
	MoodFrustrated = "frustrated"
	MoodAngry      = "angry"
)

// Insight is what one message tells about the customer.
type Insight struct {
	Intent string
	// IntentConfidence is 0..1.
	IntentConfidence float64
	// Need is the hidden need behind the intent (one of Needs) and
	// NeedReason a short reason a person can check ("asked where the parcel
	// is three times → anxious, wants reassurance and an update").
	Need       string
	NeedReason string
	Mood       string
	// Valence is how positive the message sounds, from -1 (very negative)
	// to 1 (very positive); 0 is neutral.
	Valence float64
	// Arousal is how agitated the message sounds, 0..1, and Confidence how
	// sure the analyzer is of the mood, 0..1.
	Arousal    float64
	Confidence float64
	// Trajectory is the conversation's mood so far, this turn included
	// (filled by Analyzer implementations, empty from Analyze).
	Trajectory Trajectory
	// Injection is true when the message tries to instruct the assistant
	// ("忽略以上指令", "you are now…"); it is still answered as data.
	Injection bool
	// Lang is "zh" when the text has Chinese characters, "en" when it has
	// Latin letters, otherwise "".
	Lang string
}

// Negative reports whether the mood calls for an apology or extra care.
func (i Insight) Negative() bool {
	return i.Mood == MoodFrustrated || i.Mood == MoodAngry || i.Mood == MoodAnxious
}

// SmallTalk reports whether the intent needs no knowledge to answer.
func SmallTalk(intent string) bool {
	return intent == IntentGreeting || intent == IntentThanks || intent == IntentHumanRequest
}

// Analyze reads text. It never fails: text it cannot read is "other" and
// "calm".
func Analyze(text string) Insight {
	t := newText(text)
	mood, valence := t.mood()
	return Insight{Intent: t.intent(), Mood: mood, Valence: valence, Lang: Lang(text)}
}

// Lang returns "zh" when text has a Han character, "en" when it has a Latin
// letter, otherwise "".
func Lang(text string) string {
	latin := false
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return "zh"
		}
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			latin = true
		}
	}
	if latin {
		return "en"
	}
	return ""
}

// text is a message prepared for lexicon look-ups.
type text struct {
	raw   string // lower-cased, as written, for Chinese substrings
	words []string
	// padded is the words joined by single spaces with a space either
	// side, so an English phrase matches only on word boundaries.
	padded string
	// shouting is true when the message has an all-caps English word of
	// three letters or more ("WHERE IS IT").
	shouting bool
}

func newText(s string) text {
	lower := strings.ToLower(s)
	// Curly apostrophes are common on phones; "don’t" should read "don't".
	lower = strings.ReplaceAll(lower, "’", "'")
	words := strings.FieldsFunc(lower, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''))
	})
	return text{raw: lower, words: words, padded: " " + strings.Join(words, " ") + " ", shouting: shouts(s)}
}

func shouts(s string) bool {
	for _, w := range strings.Fields(s) {
		upper, lower := 0, 0
		for _, r := range w {
			switch {
			case unicode.IsUpper(r):
				upper++
			case unicode.IsLower(r):
				lower++
			}
		}
		if upper >= 3 && lower == 0 {
			return true
		}
	}
	return false
}

// has reports whether the text contains the lexicon entry kw. Entries with
// a Han character match as substrings; English single words also match
// their plain inflections ("refund" matches "refunds", "refunded").
func (t text) has(kw string) bool {
	return t.index(kw) >= 0
}

// index returns where kw occurs: a byte offset into raw for Chinese entries,
// into padded for English ones; -1 when absent.
func (t text) index(kw string) int {
	if Lang(kw) == "zh" {
		return strings.Index(t.raw, kw)
	}
	if strings.Contains(kw, " ") || strings.Contains(kw, "'") {
		return strings.Index(t.padded, " "+kw+" ")
	}
	off := 0
	for _, w := range t.words {
		off = strings.Index(t.padded[off:], " "+w+" ") + off
		if inflectionOf(w, kw) {
			return off
		}
		off += len(w) + 1
	}
	return -1
}

// inflectionOf reports whether w is kw or kw with a common English suffix.
func inflectionOf(w, kw string) bool {
	if !strings.HasPrefix(w, kw) {
		return false
	}
	if len(kw) <= 2 {
		// "hi" must not match "his".
		return w == kw
	}
	switch w[len(kw):] {
	case "", "s", "es", "ed", "d", "ing":
		return true
	}
	return false
}

// count returns how many entries of lexicon the text contains.
func (t text) count(lexicon []string) int {
	n := 0
	for _, kw := range lexicon {
		if t.has(kw) {
			n++
		}
	}
	return n
}
