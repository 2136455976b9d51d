package profile

import (
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Bounds of the interaction profile.
const (
	// MaxSentiment is how many turns of sentiment history are kept.
	MaxSentiment = 50
	// MaxQuestionTypes bounds the distinct intents counted; further ones
	// count under OtherQuestions, so a noisy classifier cannot grow a
	// profile without limit.
	MaxQuestionTypes = 64
	// OtherQuestions is the bucket for intents beyond MaxQuestionTypes.
	OtherQuestions = "other"
)

// ApplyTurn records one customer turn of a conversation: the message and
// its intent (question type), mood and valence (-1..1), and whether the
// turn started a new conversation. Like Apply it counts, so call it once
// per stored customer message.
func ApplyTurn(p *memory.Profile, at time.Time, intent, mood string, valence float64, newConversation bool) {
	in := &p.Interaction
	if newConversation {
		in.Conversations++
	}
	in.Messages++
	if intent != "" {
		if in.QuestionTypes == nil {
			in.QuestionTypes = make(map[string]int)
		}
		if _, ok := in.QuestionTypes[intent]; !ok && len(in.QuestionTypes) >= MaxQuestionTypes {
			intent = OtherQuestions
		}
		in.QuestionTypes[intent]++
	}
	if mood != "" {
		addSentiment(in, memory.SentimentPoint{At: at, Mood: mood, Valence: max(-1, min(1, valence))})
	}
	if at.After(in.LastContact) {
		in.LastContact = at
	}
}

// addSentiment inserts a point in time order and keeps the newest
// MaxSentiment.
func addSentiment(in *memory.InteractionProfile, pt memory.SentimentPoint) {
	i, _ := slices.BinarySearchFunc(in.Sentiment, pt.At, func(e memory.SentimentPoint, t time.Time) int {
		if e.At.After(t) {
			return 1
		}
		return -1 // equal times: insert after, keeping arrival order
	})
	if len(in.Sentiment) >= MaxSentiment && i == 0 {
		return
	}
	in.Sentiment = slices.Insert(in.Sentiment, i, pt)
	if n := len(in.Sentiment); n > MaxSentiment {
		in.Sentiment = slices.Delete(in.Sentiment, 0, n-MaxSentiment)
	}
}
