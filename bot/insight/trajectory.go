package insight

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Trajectory tuning. The risk weights are points on a 0..1 scale, chosen so
// that one frustrated turn alone stays below EscalateAt but frustration
// that repeats a question after an answer that did not help crosses it, and
// anger crosses it at once.
const (
	repeatWindow = 8      // earlier turns a question is compared with
	recentTurns  = 3      // turns the recent signals are summed over
	fastGapMS    = 5000   // a reply this soon after the previous message is fast
	repeatAt     = 0.5    // char-bigram Dice similarity of a repeated question
	botRepeatAt  = 0.6    // char-bigram Dice similarity of a bot answer given again
	sameTopicAt  = 0.2    // lower similarity that still repeats, on the same topic
	longCompose  = 15_000 // ms: writing took long
)

var moodRisk = map[string]float64{
	MoodAngry: 0.65, MoodFrustrated: 0.35, MoodAnxious: 0.25, MoodConfused: 0.1, MoodCalm: 0, MoodHappy: -0.1,
}

// turnState is what one turn contributes to the conversation's signals.
type turnState struct {
	intent string
	point  MoodPoint
	grams  []uint32 // sorted distinct character bigrams of the letters
	runs   int      // '!'/'?' runs
	// saysAgain is set when the customer says they are asking again.
	saysAgain bool
	// dated is set when the turn names a deadline or the occasion behind
	// one: the conversation's worry has a date.
	dated bool
	// polite is the turn's apologetic politeness ("请问", "sorry to
	// bother"): a customer's register carries over to their next turn.
	polite float64
	// guessed is set when the intent is the fallback's guess (guess.go):
	// two guessed questions share no topic the lexicons saw.
	guessed bool
}

// bigrams returns the sorted distinct bigrams of s's letters and digits,
// lower-cased, punctuation, spaces and emoji dropped ("where's my order??"
// and "where is my order" share most).
func bigrams(s string) []uint32 {
	s = capText(s)
	var out []uint32
	var prev rune = -1
	n := 0
	for _, r := range s {
		if n >= 512 {
			break // the opening of a long message is its question
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		r = unicode.ToLower(r)
		if prev >= 0 {
			out = append(out, uint32(prev)*2654435761^uint32(r))
		}
		prev = r
		n++
	}
	if n == 1 {
		out = append(out, uint32(prev))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dice is the Dice similarity of two sorted sets, 0..1.
func dice(a, b []uint32) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	i, j, both := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			both++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return 2 * float64(both) / float64(len(a)+len(b))
}

// topical reports whether an intent names something the customer wants
// done (not small talk, not venting).
func topical(intent string) bool {
	switch intent {
	case IntentGreeting, IntentThanks, IntentOther, IntentComplaint, IntentHumanRequest, "":
		return false
	}
	return true
}

// repeats reports whether turn k asks again what turn j asked.
func repeats(k, j turnState) bool {
	sim := dice(k.grams, j.grams)
	return sim >= repeatAt || (sim >= sameTopicAt && topical(k.intent) && k.intent == j.intent && !k.guessed && !j.guessed)
}

// signals computes the conversation's signals at its last turn.
func signals(turns []Turn, states []turnState) Signals {
	var s Signals
	n := len(states)
	last := n - 1
	s.Asked = 1
	for j := max(0, last-repeatWindow); j < last; j++ {
		if repeats(states[last], states[j]) {
			s.Asked++
		}
	}
	if states[last].saysAgain && last > 0 {
		// "Sorry to bother you again", "第三次问了".
		s.Asked = max(s.Asked, 2)
	}
	for k := max(1, n-2*recentTurns); k < n; k++ {
		for j := max(0, k-repeatWindow); j < k; j++ {
			if repeats(states[k], states[j]) {
				s.Repeats++
				break
			}
		}
	}
	// Answers that did not help, back to the last one that did; a turn
	// the bot did not answer at all (the customer wrote twice) neither
	// helps nor breaks the streak.
	for k := last - 1; k >= 0; k-- {
		if turns[k].Resolved {
			break
		}
		if turns[k].BotReply != "" {
			s.Unresolved++
		}
	}
	s.BotRepeats = botRepeats(turns[:last], s.Unresolved)
	var gaps int64
	nGaps := 0
	for k := max(0, n-recentTurns); k < n; k++ {
		t := turns[k]
		s.PunctuationRuns += states[k].runs
		if t.GapMS > 0 {
			gaps += t.GapMS
			nGaps++
			if t.GapMS < fastGapMS {
				s.FastReplies++
			}
		}
		s.Deletions += max(0, t.Deletions)
		if t.ComposeMS >= longCompose || (t.ComposeMS >= 8000 && t.ComposeMS >= 600*int64(utf8.RuneCountInString(t.Text))) {
			s.LongComposes++
		}
	}
	if nGaps > 0 {
		s.MeanGapMS = gaps / int64(nGaps)
	}
	return s
}

// botRepeats counts, among the bot's latest unresolved answers (the
// streak of unresolved, at most recentTurns of them), those that give again
// an earlier answer of the bot, word for word or nearly: a bot that says the
// same thing twice has stopped listening, whatever the customer feels yet.
func botRepeats(turns []Turn, unresolved int) int {
	if unresolved == 0 {
		return 0
	}
	// The opening of an answer identifies it; the sets stay on the stack.
	// The streak's answers (at most recentTurns) are compared with the
	// few answers before them.
	const window = recentTurns + 2
	var bufs [window][openingGrams]uint32
	var sets [window][]uint32
	replies := sets[:0] // newest first
	for k := len(turns) - 1; k >= 0 && len(replies) < window; k-- {
		if turns[k].BotReply != "" {
			replies = append(replies, openingBigrams(&bufs[len(replies)], turns[k].BotReply))
		}
	}
	n := 0
	for i := 0; i < min(unresolved, recentTurns, len(replies)); i++ {
		for j := i + 1; j < len(replies); j++ {
			if dice(replies[i], replies[j]) >= botRepeatAt {
				n++
				break
			}
		}
	}
	return n
}

// openingGrams is how many bigrams of an answer's opening identify it.
const openingGrams = 64

// openingBigrams fills buf with the sorted distinct bigrams of the opening
// of s (its first openingGrams+1 letters and digits) and returns them; it
// does not allocate, so the bot's answers can be compared every turn.
func openingBigrams(buf *[openingGrams]uint32, s string) []uint32 {
	n := 0
	var prev rune = -1
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		r = unicode.ToLower(r)
		if prev >= 0 {
			if n == len(buf) {
				break
			}
			buf[n] = uint32(prev)*2654435761 ^ uint32(r)
			n++
		}
		prev = r
	}
	out := buf[:n]
	slices.Sort(out)
	return slices.Compact(out)
}

// lastBotRepeated reports whether the bot's last answer, which did not
// help, gave again one of its earlier answers.
func lastBotRepeated(turns []Turn) bool {
	if len(turns) == 0 || turns[len(turns)-1].BotReply == "" || turns[len(turns)-1].Resolved {
		return false
	}
	return botRepeats(turns, 1) > 0
}

// trend compares the last turn's valence with the turns before it.
func trend(points []MoodPoint) (string, float64) {
	n := len(points)
	if n < 2 {
		return TrendStable, 0
	}
	// The label carries most of the weight, so wording inside one mood
	// ("calm" then "calm") is not a trend.
	at := func(p MoodPoint) float64 { return 0.7*proto[p.Label].Valence + 0.3*p.Valence }
	prev := 0.0
	k := 0
	for i := max(0, n-4); i < n-1; i++ {
		prev += at(points[i])
		k++
	}
	delta := at(points[n-1]) - prev/float64(k)
	// A jump in agitation at the same valence also worsens.
	if d := points[n-1].Arousal - points[n-2].Arousal; d > 0.2 && points[n-1].Valence < 0 {
		delta -= d / 2
	}
	switch {
	case delta <= -0.15:
		return TrendWorsening, delta
	case delta >= 0.15:
		return TrendImproving, delta
	}
	return TrendStable, delta
}

// nearestMood names the mood whose position is closest to (v, a).
func nearestMood(v, a float64) string {
	best, bestD := MoodCalm, 1e9
	for _, m := range Moods {
		p := proto[m]
		dv, da := v-p.Valence, (a-p.Arousal)*0.7
		if d := dv*dv + da*da; d < bestD {
			best, bestD = m, d
		}
	}
	return best
}

// trajectory builds the conversation's mood trajectory at its last turn.
func trajectory(states []turnState, sig Signals, cur *reading, intent string) Trajectory {
	points := make([]MoodPoint, len(states))
	for i, s := range states {
		points[i] = s.point
	}
	last := points[len(points)-1]
	tr := Trajectory{Moods: points, Signals: sig}
	var delta float64
	tr.Trend, delta = trend(points)

	// Pressure is what pushes the next turn down regardless of this one's
	// words: asking again, answers that do not help, impatient punctuation.
	pressure := 0.08*float64(min(sig.Asked-1, 3)) + 0.08*float64(min(sig.Unresolved, 3)) +
		0.03*float64(min(sig.PunctuationRuns, 3))
	v := last.Valence + clamp(delta, -0.3, 0.3)/2 - pressure
	a := last.Arousal + pressure/2
	if tr.Trend == TrendWorsening {
		a += 0.05
	}
	v, a = clamp(v, -1, 1), clamp(a, 0, 1)
	tr.Forecast = MoodPoint{Label: nearestMood(v, a), Valence: v, Arousal: a}

	var fs []RiskFactor
	addF := func(name string, w float64) {
		if w != 0 {
			fs = append(fs, RiskFactor{Name: name, Weight: w})
		}
	}
	addF("mood:"+last.Label, moodRisk[last.Label])
	if last.Arousal > 0.7 {
		addF("arousal", 0.3*(last.Arousal-0.7))
	}
	negBefore := 0
	for i := max(0, len(points)-1-recentTurns); i < len(points)-1; i++ {
		if negativeMood(points[i].Label) {
			negBefore++
		}
	}
	addF("sustained_negative", 0.08*float64(negBefore))
	switch tr.Trend {
	case TrendWorsening:
		addF("worsening", 0.12)
	case TrendImproving:
		addF("improving", -0.1)
	}
	switch {
	case sig.Asked >= 3:
		addF("repeats", 0.25)
	case sig.Asked == 2:
		addF("repeats", 0.15)
	}
	addF("unresolved", []float64{0, 0.12, 0.2, 0.28}[min(sig.Unresolved, 3)])
	addF("bot_repeats", []float64{0, 0.12, 0.18, 0.22}[min(sig.BotRepeats, 3)])
	addF("punctuation", 0.04*float64(min(sig.PunctuationRuns, 3)))
	if negativeMood(last.Label) {
		addF("fast_replies", 0.04*float64(min(sig.FastReplies, 2)))
	}
	if sig.Deletions >= 10 {
		addF("deletions", 0.04)
	}
	if sig.LongComposes > 0 {
		addF("long_composes", 0.04)
	}
	switch intent {
	case IntentHumanRequest:
		addF("asks_for_human", 0.3)
	case IntentComplaint:
		addF("complaint", 0.1)
	}
	if cur != nil && cur.cues[cueThreat] >= 2 {
		addF("threat", 0.2)
	}
	risk := 0.0
	for _, f := range fs {
		risk += f.Weight
	}
	tr.EscalationRisk = clamp(risk, 0, 1)
	slices.SortStableFunc(fs, func(a, b RiskFactor) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	tr.Factors = fs
	return tr
}
