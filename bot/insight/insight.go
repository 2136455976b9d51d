// Package insight reads customer messages for what the customer wants
// (intent), what they really need (hidden need), how they feel (mood,
// valence, arousal) and where that feeling is heading over a conversation
// (trajectory and escalation risk).
//
// Offline is the analyzer that needs no network: bilingual (zh-CN, en)
// lexicons with negation, degree adverbs, emoji, sarcasm markers and chat
// slang, plus the signals beyond words a channel reports. The language-model
// analyzer in bot/llm meets the same contract (contract.go). docs/insight.md
// documents the taxonomy and how the escalation risk is computed.
package insight

import "unicode"

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

// Analyze reads one message alone, as the first turn of a conversation. It
// never fails: text it cannot read is "other" and "calm".
func Analyze(text string) Insight {
	return analyze([]Turn{{Text: text}}, nil, defaultModel(), nil)
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
