package insight

import (
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// This file turns what the rules computed about a turn into the input of
// the trained layer (learned.go): the rules' own per-label scores and
// decisions, the cues they counted, the conversation's signals and,
// optionally, hashed words and character bigrams of the normalised text.

// featureVersion names the feature layout. A model trained on another
// layout is not loaded (the rules answer alone); change it whenever the
// features below change, then retrain (kairos model train insight).
const featureVersion = "insight-features-4"

// Layout of the dense features: the reading's part first (all the intent
// model sees), then the conversation's part.
const (
	readingDense = 1 + 16*3 + 1 + numMoods + 6 + numCues + 32
	contextDense = 6 + 6 + 13
	numDense     = readingDense + contextDense
)

// Layer.probs indexes the dense slots with a byte.
var _ [255 - numDense]struct{}

// features is one turn's input to the trained layer.
type features struct {
	dense [numDense]float64
	// hashed holds the distinct buckets of the text's words and bigrams,
	// each of value hashValue; empty when the model uses no text features.
	hashed    []uint32
	hashValue float64
}

// moodIndex is the index of a mood in Moods.
func moodIndex(m string) int {
	for i, s := range Moods {
		if s == m {
			return i
		}
	}
	return -1
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func capScale(v, cap float64) float64 { return min(max(v, 0), cap) / cap }

// fillReading writes the features of one message read alone: the slots
// [0, readingDense). The context slots are cleared, so x is what an
// utterance shows.
func (x *features) fillReading(r *reading) {
	x.dense = [numDense]float64{}
	d := x.dense[:0]
	d = append(d, 1) // bias
	for j := range 16 {
		d = append(d, math.Log1p(max(r.intents[j], 0)))
	}
	for j := range 16 {
		d = append(d, capScale(r.named[j], 3))
	}
	ri := intentIndex(r.intent)
	for j := range 16 {
		d = append(d, b2f(j == ri))
	}
	d = append(d, b2f(r.guessed))
	for j := range numMoods {
		d = append(d, math.Log1p(max(r.moods[j], 0)))
	}
	rm := moodIndex(r.mood)
	for j := range 6 {
		d = append(d, b2f(j == rm))
	}
	for j := range numCues {
		d = append(d, capScale(r.cues[j], 4))
	}
	runes := utf8.RuneCountInString(r.t.norm)
	d = append(d,
		capScale(r.sarcasm, 3),
		capScale(r.inject, 4),
		math.Log1p(max(r.facts, 0)),
		math.Log1p(max(r.factsCounted, 0)),
		math.Log1p(max(r.strong, 0)),
		b2f(r.felt),
		capScale(float64(r.exclaimRuns), 3),
		capScale(float64(r.questionRuns), 3),
		capScale(float64(r.longestRun), 5),
		capScale(float64(r.shout), 3),
		capScale(float64(r.insist), 3),
		b2f(r.elongated),
		capScale(r.intensity, 4),
		math.Log1p(min(max(r.waited, 0), 60))/4,
		b2f(r.ordinal),
		b2f(r.demand),
		b2f(r.occasion),
		b2f(r.pressed),
		b2f(r.positiveEmoji),
		b2f(r.positiveWords),
		capScale(r.happyPeak, 3),
		b2f(r.asks()),
		b2f(r.requests()),
		b2f(r.acknowledges()),
		math.Log1p(float64(runes))/6,
		b2f(runes <= 6),
		b2f(r.t.han > 0),
		b2f(r.t.latin > 0),
		b2f(r.t.han+r.t.latin == 0),
		r.intentConf,
		r.moodConf,
		r.valence,
	)
	if len(d) != readingDense {
		panic("insight: reading features out of step with readingDense")
	}
}

// turnContext is what the conversation adds to a turn's reading.
type turnContext struct {
	index          int
	turn           Turn
	prev           *turnState // nil for the first turn
	prevTurn       Turn
	prevUnresolved bool
	botAgain       bool
	sig            Signals
	ruleMood       string // the rules' mood after the conversation's rules
}

// fillContext writes the conversation's features into the slots
// [readingDense, numDense).
func (x *features) fillContext(c *turnContext) {
	d := x.dense[readingDense:readingDense]
	fm := moodIndex(c.ruleMood)
	for j := range 6 {
		d = append(d, b2f(j == fm))
	}
	pm := -1
	if c.prev != nil {
		pm = moodIndex(c.prev.point.Label)
	}
	for j := range 6 {
		d = append(d, b2f(j == pm))
	}
	s := c.sig
	d = append(d,
		b2f(c.index > 0),
		b2f(c.prevUnresolved),
		b2f(c.botAgain),
		b2f(c.index > 0 && c.prevTurn.Resolved),
		capScale(float64(s.Unresolved), 3),
		capScale(float64(s.Asked-1), 3),
		capScale(float64(s.BotRepeats), 3),
		capScale(float64(s.PunctuationRuns), 3),
		capScale(float64(s.FastReplies), 3),
		capScale(float64(s.LongComposes), 2),
		math.Log1p(float64(max(c.turn.GapMS, 0))/1000)/6,
		math.Log1p(float64(max(c.turn.ComposeMS, 0))/1000)/4,
		math.Log1p(float64(max(c.turn.Deletions, 0)))/3,
	)
	if len(d) != contextDense {
		panic("insight: context features out of step with contextDense")
	}
}

// FNV-1a, written out so hashing a word allocates nothing.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvRune(h uint32, r rune) uint32 {
	for range 4 {
		h ^= uint32(r & 0xff)
		h *= fnvPrime
		r >>= 8
	}
	return h
}

// fillHashed writes the text's hashed features for a table of 1<<bits
// buckets: English words and word bigrams of the analyzer's tokens, and
// Chinese characters and character bigrams of the normalised text. Each
// bucket counts once, and a long message's buckets weigh less (1 up to 9
// of them, then 3/sqrt(n)), so a long paste does not drown the rules'
// features in its words.
func (x *features) fillHashed(t *text, bits int) {
	x.hashed, x.hashValue = hashText(t, bits, x.hashed[:0])
}

// hashText appends to buf the distinct buckets of t (fillHashed) and
// returns them with their value. It takes and returns the slice, rather
// than filling a features, so a caller's stack buffer stays on the stack.
func hashText(t *text, bits int, buf []uint32) ([]uint32, float64) {
	if bits <= 0 {
		return buf, 0
	}
	mask := uint32(1)<<bits - 1
	prev := ""
	for _, tok := range t.toks {
		w := tok.word
		buf = append(buf, fnvString(fnvString(fnvOffset, "w:"), w)&mask)
		if prev != "" {
			h := fnvString(fnvString(fnvOffset, "b:"), prev)
			buf = append(buf, fnvString(fnvString(h, " "), w)&mask)
		}
		prev = w
	}
	var last rune
	for _, r := range t.norm {
		if !unicode.Is(unicode.Han, r) {
			last = 0
			continue
		}
		buf = append(buf, fnvRune(fnvString(fnvOffset, "c:"), r)&mask)
		if last != 0 {
			buf = append(buf, fnvRune(fnvRune(fnvString(fnvOffset, "z:"), last), r)&mask)
		}
		last = r
	}
	slices.Sort(buf)
	buf = slices.Compact(buf)
	return buf, min(1, 3/math.Sqrt(float64(max(len(buf), 1))))
}
