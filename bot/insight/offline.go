package insight

import (
	"context"
	"fmt"
	"strings"
)

// maxTurns is how many of a conversation's latest turns the trajectory
// covers; older turns no longer say where the mood is heading.
const maxTurns = 50

// Offline is the analyzer that needs no network: lexicons and the signals
// beyond words, reranked by the trained layer (learned.go). The zero value
// is ready to use (with the committed model) and safe for concurrent use.
type Offline struct {
	model     *Model
	rulesOnly bool
}

// NewOffline returns an offline analyzer with the committed model.
func NewOffline() *Offline { return &Offline{} }

// NewOfflineModel returns an offline analyzer whose trained layer uses m;
// nil means the rules alone (what cross-validation compares against).
func NewOfflineModel(m *Model) *Offline { return &Offline{model: m, rulesOnly: m == nil} }

func (o *Offline) current() *Model {
	switch {
	case o.rulesOnly:
		return nil
	case o.model != nil:
		return o.model
	}
	return defaultModel()
}

var _ Analyzer = (*Offline)(nil)

// Analyze reads the last of turns in light of the ones before it. earlier,
// when it holds one insight per earlier turn, saves re-reading them; nil
// (or a slice of another length) re-reads them. It fails only when ctx is
// done.
func (o *Offline) Analyze(ctx context.Context, turns []Turn, earlier []Insight) (Insight, error) {
	if err := ctx.Err(); err != nil {
		return Insight{}, fmt.Errorf("insight: analyze: %w", err)
	}
	return analyze(turns, earlier, o.current(), nil), nil
}

// tapFunc receives, for training, the features of the last turn analysed:
// ix what the intent model sees, mx what the mood model sees.
type tapFunc func(ix, mx *features, r *reading)

// analyze is Offline.Analyze without the context; m nil means the rules
// alone, and tap, when set, receives the last turn's features.
func analyze(turns []Turn, earlier []Insight, m *Model, tap tapFunc) Insight {
	if len(turns) == 0 {
		turns = []Turn{{}}
		earlier = nil
	}
	if len(earlier) != len(turns)-1 {
		earlier = nil
	}
	if drop := len(turns) - maxTurns; drop > 0 {
		turns = turns[drop:]
		if earlier != nil {
			earlier = earlier[drop:]
		}
	}
	states := make([]turnState, len(turns))
	var in Insight
	for i := range turns {
		if i < len(turns)-1 && earlier != nil {
			e := earlier[i]
			states[i] = turnState{
				intent: e.Intent,
				point:  MoodPoint{Label: e.Mood, Valence: e.Valence, Arousal: e.Arousal},
				grams:  bigrams(turns[i].Text),
				runs:   punctuationRuns(turns[i].Text),
				dated:  e.Need == NeedUrgency,
			}
			states[i].polite = -1 // not read; politeness reads it when needed
			continue
		}
		var t tapFunc
		if i == len(turns)-1 {
			t = tap
		}
		in = step(turns[:i+1], states[:i+1], m, t)
	}
	return in
}

// prevPoliteness is the apologetic politeness of the turn before, read
// now if its insight was passed in rather than read.
func prevPoliteness(t Turn, st turnState) float64 {
	if st.polite >= 0 {
		return st.polite
	}
	return politeness(t.Text)
}

// politeness is the apologetic politeness of a message.
func politeness(s string) float64 {
	t := newText(s)
	var buf [16]hit
	p := 0.0
	for _, h := range cueLex.find(t, buf[:0]) {
		for _, f := range h.e.feats {
			if f.kind == kCue && f.label == cuePolite {
				p += f.w
			}
		}
	}
	return p
}

// punctuationRuns counts a message's '!' and '?' runs without reading it.
func punctuationRuns(s string) int {
	e, q, _ := runs(newPunct(capText(s)))
	return e + q
}

// newPunct folds full-width '！' and '？' so runs sees them.
func newPunct(s string) string {
	b := []byte(nil)
	for _, r := range s {
		switch fold(r) {
		case '!':
			b = append(b, '!')
		case '?':
			b = append(b, '?')
		case ' ':
			b = append(b, ' ')
		default:
			b = append(b, '.')
		}
	}
	return string(b)
}

// step reads the last turn and fills its state (states[len-1]) with the
// conversation around it in view.
func step(turns []Turn, states []turnState, m *Model, tap tapFunc) Insight {
	i := len(turns) - 1
	t := turns[i]
	r := read(t.Text)
	intent, intentConf := r.intent, r.intentConf
	mood, conf := r.mood, r.moodConf
	v, a := r.valence, r.arousal
	guessed := r.guessed

	// The trained layer reads text with letters; without them (empty,
	// emoji only, digits, garbage) the rules' low-confidence reading
	// stands.
	var x *features
	var xv features // on the stack: only the training tap gets copies
	var hbuf [96]uint32
	var ix features
	if (m != nil || tap != nil) && r.t.han+r.t.latin > 0 {
		x = &xv
		x.fillReading(r)
		if m != nil {
			xv.hashed, xv.hashValue = hashText(r.t, m.HashBits, hbuf[:0])
		}
		if tap != nil {
			ix.dense = x.dense
		}
		// An attempt to instruct the assistant stays `other` whatever the
		// model makes of its words, and an address to change stays
		// delivery however much the message says about the order: both
		// are conventions of the taxonomy, not readings to weigh.
		if m != nil && r.inject < 2 && !(r.intent == IntentShipping && r.changesAddress()) {
			// Nor may it send a question the rules guessed is about what
			// is sold back to `other`, the sink new domains fell into.
			if in, p := m.Intent.predict(x, intent); in != intent && !(r.guessed && in == IntentOther) {
				intent, intentConf, guessed = in, clamp(p, 0.3, 0.95), false
			}
		}
	}

	cur := &states[i]
	cur.intent, cur.guessed = intent, guessed
	cur.grams = bigrams(t.Text)
	cur.runs = r.exclaimRuns + r.questionRuns
	cur.saysAgain = r.cues[cueRepeat] >= 2
	cur.polite = r.cues[cuePolite]
	cur.dated = r.occasion || r.cues[cueDeadline] > 0
	sig := signals(turns, states)

	var prevUnresolved, botAgain bool
	if i > 0 {
		prev := states[i-1]
		// The problem is still open when the last answer did not help or
		// the customer is writing again before any answer.
		prevUnresolved = sig.Unresolved > 0 && !turns[i-1].Resolved
		// A follow-up without a topic of its own ("上周你也是这么说的",
		// "order 7781") continues the previous one.
		// The intent model reads the message alone, so a question the
		// rules found no topic words in follows the earlier topic
		// whatever the model guessed.
		if (intent == IntentOther || guessed || r.guessed) && r.inject < 2 && topical(prev.intent) {
			intent, intentConf = prev.intent, intentConf*0.6
			cur.intent, cur.guessed = intent, prev.guessed
		}
		// Pressing again against the clock after an answer that did not
		// help: "I check in in 4 hours though. Can you confirm it?",
		// "已经超时20分钟了，能联系下骑手吗".
		if mood == MoodCalm && prevUnresolved && r.asks() && (r.cues[cueDeadline] > 0 || clockTime(r.t.norm)) {
			mood, conf = MoodAnxious, 0.45
		}
		// A conversation in trouble lends a turn the force its words
		// lack: after an answer that did not help, asked again or let down
		// twice, a reported fact or a weak word of annoyance ("It's been 4
		// business days. When will it ship?", "上次就说3天，现在又说3天？")
		// is annoyance — worry when the customer stays apologetic.
		botAgain = prevUnresolved && lastBotRepeated(turns[:i])
		// A wait past what the last answer promised is such a letdown in
		// itself ("Please wait 24 hours." → "it's been 48 hours").
		late := prevUnresolved && overdue(r, turns[i-1].BotReply)
		if mood == MoodCalm && prevUnresolved && (askedAgain(states) || sig.Unresolved >= 2 || late) &&
			(r.moods[mAngry]+r.moods[mFrustrated]+r.facts-r.factsCounted >= moodAt*0.75 || late) {
			switch {
			case negativeMood(prev.point.Label) && prev.point.Label != MoodAngry:
				mood = prev.point.Label // the feeling the problem already raised
			case r.cues[cuePolite] >= 2 || prevPoliteness(turns[i-1], prev) >= 2:
				mood = MoodAnxious // apologetic politeness carries over: pressing, not annoyed
			default:
				mood = MoodFrustrated
			}
			conf = 0.45
		}
		// The bot gave the same answer again: whatever the customer says
		// next about the problem is said to someone who is not listening
		// ("is Chile one of them" → "the page doesn't list it. yes or
		// no"). Calm turns to annoyance; worry stays worry.
		if mood == MoodCalm && botAgain && intent != IntentThanks && intent != IntentGreeting {
			mood, conf = MoodFrustrated, 0.45
			if prev.point.Label == MoodAnxious || r.cues[cuePolite] >= 2 {
				mood = MoodAnxious
			}
		}
		// Closing thanks after an answer that settled it, with a mild word
		// of approval and nothing warmer ("great, thanks", "行 处理挺快的
		// 谢谢"), acknowledges the answer: calm, as plain thanks is. A
		// word of delight, "!" or a smiling emoji is still joy.
		if mood == MoodHappy && turns[i-1].Resolved && intent == IntentThanks && r.happyPeak < 1.5 &&
			!r.positiveEmoji && !strings.Contains(r.t.norm, "!") && !r.elongated {
			mood, conf = MoodCalm, 0.5
		}
		// Laughter or praise after two answers that did not help is not
		// joy ("it's 212 rows lol"): the problem is still there.
		if mood == MoodHappy && sig.Unresolved >= 2 && !turns[i-1].Resolved && r.sarcasm == 0 &&
			intent != IntentThanks {
			mood, conf = MoodFrustrated, 0.45
		}
		// A person asked for again after two answers that did not help
		// ("agent", "please connect me to an agent") is asked with
		// annoyance: the request is being ignored.
		if mood == MoodCalm && intent == IntentHumanRequest && sig.Unresolved >= 2 && prevUnresolved {
			mood, conf = MoodFrustrated, 0.45
		}
		// Praise right after an answer that did not help, from a customer
		// already upset, is sarcasm ("very helpful.", "great, thanks a
		// lot"): the problem is still there.
		if mood == MoodHappy && prevUnresolved && negativeMood(prev.point.Label) {
			mood, conf = MoodFrustrated, 0.45
			// Bitter when it answers anger, or a bot that said the same
			// thing again: "wow, super helpful, thanks so much".
			if prev.point.Label == MoodAngry || botAgain && sig.Unresolved >= 2 {
				mood = MoodAngry
			}
		}
		// Feelings persist while the problem does: a plain follow-up
		// after an answer that did not help keeps the customer's mood.
		top := max(r.moods[mAngry], r.moods[mFrustrated], r.moods[mAnxious], r.moods[mConfused])
		if prevUnresolved && negativeMood(prev.point.Label) && severity(mood) < severity(prev.point.Label) &&
			mood != MoodHappy && top < 2 {
			mood, conf = prev.point.Label, 0.5
		}
		// Still unanswered and now asking again: worry or annoyance.
		if mood == MoodCalm && sig.Unresolved >= 1 && sig.Asked >= 2 {
			mood, conf = MoodAnxious, 0.45
		}
		// Question marks piling up while the problem stays open, or while
		// the last message is still unanswered, are impatience ("在吗？？",
		// "能不能快点？？", "有人吗？？"), whatever the worry before them.
		pending := turns[i-1].BotReply == "" && !turns[i-1].Resolved // the customer wrote again before any answer
		if (prevUnresolved && negativeMood(prev.point.Label) || pending) && r.questionRuns > 0 &&
			severity(mood) < severity(MoodFrustrated) {
			mood, conf = MoodFrustrated, 0.5
		}
		// Worry with a date on it stays worry while the customer does not
		// turn on the bot: pressing again ("I need it by Saturday. will it
		// be restocked?", "so that's a no then. is there anything at all
		// you can do?") is still fear for the date, whatever mild
		// annoyance the words carry. Reproach ("you just said that"), an
		// accusing question, anger or "??" make it annoyance, and so does
		// a remark that no longer asks ("still nothing. this is
		// embarrassing").
		if mood == MoodFrustrated && prev.point.Label == MoodAnxious && datedConversation(states) &&
			r.moods[mAngry] == 0 && r.cues[cueRhetoric]+r.cues[cueAccuse] == 0 && r.intensity < pointsRhetoric &&
			r.questionRuns == 0 && r.asks() && !reproach(r.t.norm) {
			mood, conf = MoodAnxious, 0.45
		}
		// Annoyance that shouts, threatens or repeats after answers that
		// did not help has turned to anger.
		if mood == MoodFrustrated && sig.Unresolved >= 2 && prev.point.Label == MoodFrustrated &&
			(r.shout > 0 || r.exclaimRuns > 0 || r.intensity >= pointsRhetoric || r.moods[mAngry] >= 1.5 ||
				r.questionRuns > 0 && addressed(r.t)) {
			mood, conf = MoodAngry, 0.55
		}
	}
	if x != nil {
		c := turnContext{index: i, turn: t, sig: sig, ruleMood: mood, prevUnresolved: prevUnresolved, botAgain: botAgain}
		if i > 0 {
			c.prev, c.prevTurn = &states[i-1], turns[i-1]
		}
		x.fillContext(&c)
		if tap != nil {
			// Copies of the dense part only: a reference to hbuf would
			// move it to the heap on every turn.
			ic, mc := features{dense: ix.dense}, features{dense: x.dense}
			tap(&ic, &mc, r)
		}
		// Praise right after an answer that did not help, from a customer
		// already upset, is sarcasm whatever the words weigh: the model
		// may not read joy there.
		sarcastic := i > 0 && prevUnresolved && negativeMood(states[i-1].point.Label)
		if m != nil {
			if md, p := m.Mood.predict(x, mood); md != mood && !(md == MoodHappy && sarcastic) {
				mood, conf = md, clamp(p, 0.3, 0.95)
			}
		}
	}
	if mood != r.mood {
		p := proto[mood]
		v, a = p.Valence, max(p.Arousal, a)
	}
	cur.point = MoodPoint{Label: mood, Valence: round3(v), Arousal: round3(a)}

	lang := Lang(r.t.orig)
	needName, reason := need(needContext{r: r, intent: intent, mood: mood, asked: sig.Asked, resolved: sig.Unresolved, lang: lang})
	return Insight{
		Intent:           intent,
		IntentConfidence: round3(intentConf),
		Need:             needName,
		NeedReason:       reason,
		Mood:             mood,
		Valence:          cur.point.Valence,
		Arousal:          cur.point.Arousal,
		Confidence:       round3(conf),
		Trajectory:       trajectory(states, sig, r, intent),
		Injection:        r.inject >= 2,
		Lang:             lang,
	}
}

// datedConversation reports a deadline named in the conversation so far.
func datedConversation(states []turnState) bool {
	for _, s := range states {
		if s.dated {
			return true
		}
	}
	return false
}

// overdue reports a wait longer than the last answer said it would take
// ("Please wait 24 hours." → "it's been 48 hours"): the promise is broken.
// A wait that only reaches the time promised ("预计3天内发货。" → "已经3天
// 了") is not yet overdue.
func overdue(r *reading, answer string) bool {
	if r.waited == 0 {
		return false
	}
	p := promisedDays(answer)
	return p > 0 && r.waited > p
}

// askedAgain reports whether the last turn repeats an earlier one in its
// words (the Dice similarity of signals), not only by saying "still" or
// "again".
func askedAgain(states []turnState) bool {
	last := len(states) - 1
	for j := max(0, last-repeatWindow); j < last; j++ {
		if repeats(states[last], states[j]) {
			return true
		}
	}
	return false
}

// round3 keeps three decimals, so reports and JSON read cleanly.
func round3(x float64) float64 {
	if x < 0 {
		return -float64(int64(-x*1000+0.5)) / 1000
	}
	return float64(int64(x*1000+0.5)) / 1000
}

// clockTime reports a time of day or a span of hours or minutes ("6:40",
// "in 4 hours", "20分钟", "超时"): the clock the customer is watching.
func clockTime(norm string) bool {
	if strings.Contains(norm, "小时") || strings.Contains(norm, "分钟") || strings.Contains(norm, "超时") ||
		strings.Contains(norm, "点了") {
		return true
	}
	for i := 1; i+1 < len(norm); i++ {
		if norm[i] == ':' && isDigit(norm[i-1]) && isDigit(norm[i+1]) {
			return true
		}
	}
	for _, u := range [...]string{" hour", " hours", " min", " mins", " minutes", "pm", "am "} {
		for j := 0; ; {
			k := strings.Index(norm[j:], u)
			if k < 0 {
				break
			}
			k += j
			if k > 0 && isDigit(norm[k-1]) || k > 1 && norm[k-1] == ' ' && isDigit(norm[k-2]) {
				return true
			}
			j = k + len(u)
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
