package insight

import "strings"

// Mood lexicons. A match adds one point to its mood; negated positive words
// ("不太满意", "not happy") count as frustration instead.
var moodWords = map[string][]string{
	MoodAngry: {"气死", "愤怒", "生气", "火大", "垃圾", "骗子", "太过分", "搞什么", "什么破", "滚", "投诉", "坑人",
		"angry", "furious", "scam", "ridiculous", "unacceptable", "worst", "hate", "wtf", "outrageous", "pissed"},
	MoodFrustrated: {"失望", "烦", "无语", "太慢", "怎么还", "还没", "又是", "等了", "一直", "差劲", "受不了", "麻烦死",
		"frustrated", "frustrating", "disappointed", "annoying", "annoyed", "again", "useless", "waited", "waiting for", "fed up"},
	MoodAnxious: {"着急", "急用", "很急", "担心", "怎么办", "快点", "赶紧", "尽快", "急死",
		"urgent", "urgently", "worried", "worry", "asap", "anxious", "hurry", "nervous", "as soon as possible"},
	MoodConfused: {"不明白", "不懂", "看不懂", "怎么回事", "啥意思", "什么意思", "搞不清", "不清楚", "糊涂",
		"confused", "confusing", "don't understand", "do not understand", "unclear", "makes no sense", "what does", "how come"},
	MoodHappy: {"满意", "太好了", "开心", "喜欢", "很棒", "不错", "赞", "完美", "谢谢",
		"great", "love", "awesome", "happy", "perfect", "excellent", "thanks", "thank you", "satisfied", "nice", "wonderful"},
}

// moodOrder breaks ties, most serious first: missing anger is worse than
// missing joy.
var moodOrder = []string{MoodAngry, MoodFrustrated, MoodAnxious, MoodConfused, MoodHappy}

// valenceWeight is how much one point of a mood moves valence.
var valenceWeight = map[string]float64{
	MoodAngry: -0.6, MoodFrustrated: -0.4, MoodAnxious: -0.3, MoodConfused: -0.15, MoodHappy: 0.4,
}

var (
	zhNegators   = []string{"不太", "不是很", "不怎么", "并不", "没有", "不", "没"}
	enNegators   = map[string]bool{"not": true, "no": true, "never": true, "isn't": true, "wasn't": true, "don't": true, "didn't": true, "aren't": true, "hardly": true}
	intensifiers = []string{"非常", "特别", "超级", "极其", "真的", "太", "简直",
		"very", "really", "extremely", "totally", "absolutely", "super"}
)

// angryAt is the frustration score at which frustration reads as anger.
const angryAt = 5

func (t text) mood() (string, float64) {
	score := map[string]float64{}
	for mood, words := range moodWords {
		for _, kw := range words {
			at := t.index(kw)
			if at < 0 {
				continue
			}
			if mood == MoodHappy && t.negated(kw, at) {
				score[MoodFrustrated]++
				continue
			}
			score[mood]++
		}
	}
	if q := strings.Count(t.raw, "?") + strings.Count(t.raw, "？"); q >= 3 {
		score[MoodConfused]++
	}
	amp := t.intensity()
	for _, m := range []string{MoodAngry, MoodFrustrated, MoodAnxious} {
		score[m] *= amp
	}

	mood, top := MoodCalm, 0.0
	for _, m := range moodOrder {
		if score[m] > top {
			mood, top = m, score[m]
		}
	}
	if mood == MoodFrustrated && top >= angryAt {
		mood = MoodAngry
	}
	valence := 0.0
	for m, s := range score {
		valence += s * valenceWeight[m]
	}
	return mood, min(1, max(-1, valence))
}

// negated reports whether the entry kw found at offset at is negated by the
// word(s) just before it.
func (t text) negated(kw string, at int) bool {
	if Lang(kw) == "zh" {
		before := t.raw[:at]
		for _, n := range zhNegators {
			if strings.HasSuffix(before, n) {
				return true
			}
		}
		return false
	}
	before := strings.Fields(t.padded[:at])
	for i := len(before) - 1; i >= 0 && i >= len(before)-2; i-- {
		if enNegators[before[i]] || strings.HasSuffix(before[i], "n't") {
			return true
		}
	}
	return false
}

// intensity is the factor negative moods are multiplied by: intensifier
// words, repeated exclamation marks and shouting (all-caps words) raise it.
func (t text) intensity() float64 {
	amp := 1.0
	for _, w := range intensifiers {
		if t.has(w) {
			amp += 0.5
			break
		}
	}
	if strings.Count(t.raw, "!")+strings.Count(t.raw, "！") >= 2 {
		amp += 0.5
	}
	if t.shouting {
		amp += 0.5
	}
	return amp
}
