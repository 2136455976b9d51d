package insight

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// moodAt is the score a mood needs before the message reads as that mood
// rather than calm: one clear word, or several mild ones.
const moodAt = 1.2

// factsAlone is the most that words reporting what went wrong add up to
// when nothing in the message shows a feeling: less than a mood.
const factsAlone = 1.0

// proto is where each mood sits on valence (-1..1) and arousal (0..1).
var proto = map[string]MoodPoint{
	MoodHappy:      {MoodHappy, 0.65, 0.5},
	MoodCalm:       {MoodCalm, 0.05, 0.15},
	MoodConfused:   {MoodConfused, -0.2, 0.35},
	MoodAnxious:    {MoodAnxious, -0.4, 0.65},
	MoodFrustrated: {MoodFrustrated, -0.55, 0.6},
	MoodAngry:      {MoodAngry, -0.85, 0.9},
}

// negativeMood reports whether m is a mood that needs care.
func negativeMood(m string) bool {
	return m == MoodAnxious || m == MoodFrustrated || m == MoodAngry
}

// severity orders moods by how close they are to an escalation, 0..1.
func severity(m string) float64 {
	switch m {
	case MoodAngry:
		return 1
	case MoodFrustrated:
		return 0.6
	case MoodAnxious:
		return 0.45
	case MoodConfused:
		return 0.25
	}
	return 0
}

// scoreMoods adds the mood hits up, each scaled by the degree adverbs and
// flipped by the negators just before it.
func (r *reading) scoreMoods(hits []hit) {
	weakHappy := 0.0
	for i, h := range hits {
		if h.e.has(kSarcasm) {
			r.sarcasm += h.e.weight(kSarcasm)
		}
		if !h.e.sentiment || bothAnd(r.t.norm, h) || redo(r.t.norm, h) || askedOfNoun(r.t.norm, h) {
			continue
		}
		negs, factor := r.modifiers(hits, i)
		if negs == 0 && deniedClause(r.t.norm, h.start) {
			negs = 1 // "不是对服务不满意，就是…", "it's not that I'm unhappy, I just…"
		}
		for _, f := range h.e.feats {
			if f.kind != kMood {
				continue
			}
			w := f.w * factor
			if factor < 1 && negs%2 == 0 && !h.e.fact {
				// A hedge ("有点", "a bit", "kind of") softens a feeling,
				// it does not remove it: "有点失望" is disappointed,
				// mildly. Hedged anger is annoyance ("有点生气", "kind of
				// ridiculous").
				w = max(w, min(f.w, moodAt))
				if f.label == mAngry {
					r.moods[mFrustrated] += w
					continue
				}
			}
			if h.e.strong && factor <= 1 && negs%2 == 0 && f.label == mAngry {
				r.moods[mFrustrated] += w
				r.strong += w
				continue
			}
			if h.e.fact && factor <= 1 {
				// A fact said plainly is weighed once the message's
				// feeling is known; a denied one ("not broken", "没坏")
				// says nothing.
				if negs%2 == 0 {
					r.facts += w
				}
				continue
			}
			if negs%2 == 1 {
				switch f.label {
				case mHappy:
					// "不太满意", "not happy": a clear positive word
					// negated is a clear complaint. A politeness word
					// negated says nothing ("没收到" is "not received").
					if f.w >= 2 {
						w = max(w, moodAt/0.8)
					}
					if f.w >= 1 {
						r.moods[mFrustrated] += w * 0.8
					}
				case mAngry, mFrustrated:
					// "not bad", "没有不满意".
					r.moods[mHappy] += w * 0.3
				}
				continue
			}
			if f.label == mHappy && f.w > 0 && f.w < 1 && negs == 0 {
				// Politeness ("ok", "好的", "谢谢") is not joy however
				// much of it there is: "ok 明白了 谢谢" is calm.
				weakHappy += w
				continue
			}
			if f.label == mFrustrated && r.positiveWords && negs == 0 && crying(h.e.text) {
				// Tears after thanks or praise are being moved: "太感谢了
				// 你们比上家靠谱多了😭", "it finally came 😭 thank you".
				r.moods[mHappy] += w
				continue
			}
			if f.label == mHappy && f.w > 0 && polarQuestion(r.t.norm, h) {
				continue // "这款好用吗", "is it good for sensitive skin?" ask, they do not praise
			}
			if f.label == mHappy && f.w > 0 && openerAck(r.t.norm, h) {
				w *= 0.5 // "great, and is there a customs fee?": an acknowledgement
			}
			r.moods[f.label] += w
			if f.label == mHappy {
				r.happyPeak = max(r.happyPeak, w)
			}
			if f.label == mHappy && f.w > 0 {
				if isEmoji(h.e.text) {
					r.positiveEmoji = true
				} else if f.w >= 1 {
					r.positiveWords = true
				}
			}
		}
	}
	r.moods[mHappy] += min(weakHappy, 0.8)
	// Recurrence and disappointed expectations said at length.
	if everyTime(r.t.norm) {
		r.moods[mFrustrated] += 2
	}
	if expectedBetter(r.t.norm) && !containsAny(r.t.norm, "expected better", "expect better", "expected more", "expect more") {
		r.moods[mFrustrated] += 2
	}
	n := r.t.norm
	r.exclaimRuns, r.questionRuns, r.longestRun = runs(n)
	r.shout = shouting(r.t.orig)
	r.elongated = elongated(n)
	r.scoreCues()

	neg := r.moods[mAngry] + r.moods[mFrustrated] + r.moods[mAnxious] + r.facts
	// A run of question marks is impatience when something is wrong
	// already, puzzlement otherwise.
	if r.questionRuns > 0 {
		callout := r.intents[intentIndex(IntentGreeting)] > 0 || r.intents[intentIndex(IntentHumanRequest)] > 0
		if neg > 0 || callout {
			// "hello?? anyone here??" calls out, impatiently.
			r.moods[mFrustrated] += 0.8 * float64(r.questionRuns)
		} else if r.moods[mHappy] == 0 && r.exclaimRuns == 0 {
			r.moods[mConfused] += 0.8 // "?!" is indignation, not puzzlement
		}
	}
	// Shouting needs no words: "WHERE IS MY ORDER". One word in capitals
	// among others is stress, not shouting: "got the wrong size AGAIN",
	// "the VAT number is WRONG" insist without raising the voice.
	stress := r.stress()
	switch {
	case stress:
		r.moods[mFrustrated] += 0.6
	case r.shout > 0:
		r.moods[mFrustrated] += 0.8 + 0.4*float64(min(r.shout, 3))
	}
	// Sarcasm turns the praise around: "great, just great", 👍 after a
	// complaint.
	// The praise goes to whichever of anger and frustration the message
	// already shows ("呵呵" is bitter, "just great" weary).
	// Praise in a message about something that went wrong, with no "but"
	// to balance it, is sarcasm too: "45 minutes on hold and then
	// disconnected. Amazing service."
	if r.positiveWords && neg >= 1.5 && r.moods[mHappy] < 3 && r.cues[cueContrast] == 0 && r.cues[cuePolite] == 0 &&
		r.intents[intentIndex(IntentThanks)] == 0 && praiseLast(n) && !strings.Contains(n, "but") &&
		!strings.Contains(n, "但") && !strings.Contains(n, "不过") {
		r.sarcasm += 2
	}
	if r.sarcasm > 0 || (r.positiveEmoji && neg >= 1 && !r.positiveWords) {
		to := mFrustrated
		if r.moods[mAngry] > r.moods[mFrustrated] {
			to = mAngry
		}
		r.moods[to] += r.moods[mHappy]*0.7 + r.sarcasm/2
		r.moods[mHappy] = 0
		if r.sarcasm >= 2 && r.moods[to] < moodAt {
			r.moods[to] = moodAt // a clear sarcasm marker alone ("你们真行") is a feeling
		}
	}
	// Facts count in full beside a feeling or force; alone they stay
	// below a mood: a report is not a complaint.
	r.factsCounted = r.facts
	if !r.felt && r.sarcasm == 0 {
		r.factsCounted = min(r.facts, factsAlone)
	}
	r.moods[mFrustrated] += r.factsCounted
	// Cheerful punctuation: "thanks!!", "hello there!".
	// A greeting with "!" is friendly, not delighted ("Hello!").
	if neg == 0 && strings.Contains(n, "!") && (r.moods[mHappy] > 0 || r.intents[intentIndex(IntentThanks)] > 0) {
		r.moods[mHappy] += 1.2
	}
	// Insisting: the same request three times ("人工！人工！人工！").
	if r.insist >= 3 {
		if strings.Contains(n, "!") {
			r.moods[mAngry] += 2
		} else {
			r.moods[mFrustrated] += 2
		}
	}
	// Politeness softens annoyance into worry: "麻烦查一下…谢谢" after a
	// delay is pressing, not hostile.
	if r.cues[cuePolite] >= 2 && r.moods[mAngry] == 0 && r.moods[mFrustrated] > 0 && r.moods[mFrustrated] < 3 &&
		r.questionRuns == 0 && r.exclaimRuns == 0 && r.intensity < pointsRhetoric {
		r.moods[mAnxious] += r.moods[mFrustrated] * 0.8
		r.moods[mFrustrated] *= 0.4
	}
	// Exclamation runs, shouting and stretched words raise negative
	// feelings (and joy) in strength.
	amp := 1.0
	if r.exclaimRuns > 0 {
		amp += 0.25 * float64(min(r.exclaimRuns, 2))
		if r.longestRun >= 3 {
			amp += 0.2
		}
	}
	switch {
	case stress:
		amp += 0.2
	case r.shout > 0:
		amp += 0.4
	}
	if r.elongated {
		amp += 0.2
	}
	r.moods[mAngry] *= amp
	r.moods[mFrustrated] *= amp
	r.moods[mHappy] *= 1 + (amp-1)/2
}

// crying reports the emoji of tears, which are joy beside praise.
func crying(s string) bool { return s == "😭" || s == "😢" || s == "🥹" || s == "🥲" }

// modifiers walks back from hits[i] over the negators and degree adverbs
// right before it ("一点都不", "not very") and returns how many negators
// there are and the product of the degree factors.
func (r *reading) modifiers(hits []hit, i int) (negs int, factor float64) {
	factor = 1
	pos := hits[i].start
	for j, steps := i-1, 0; j >= 0 && steps < 3; j-- {
		p := hits[j]
		if p.end > pos {
			continue // overlaps: part of another word
		}
		if !filler(r.t.norm[p.end:pos]) {
			break
		}
		switch {
		case p.e.has(kNegator) && choiceQuestion(r.t.norm, p.start):
			// "是不是有病", "有没有用": the A-not-A question asks, it
			// does not deny.
		case p.e.has(kNegator):
			negs++
		case p.e.has(kDegree):
			factor *= p.e.weight(kDegree)
		default:
			return negs, factor
		}
		pos = p.start
		steps++
	}
	return negs, factor
}

// filler reports whether gap, the text between a modifier and the word it
// modifies, is short enough to let the modifier reach across ("not at all
// happy", "不是很满意", "没那么好").
func filler(gap string) bool {
	gap = strings.TrimSpace(gap)
	if gap == "" {
		return true
	}
	if strings.ContainsAny(gap, ",.!?;:，。！？；\n") {
		return false
	}
	if zhFillers[gap] {
		return true // "不是很满意", "没那么好"
	}
	words := strings.Fields(gap)
	if len(words) > 2 {
		return false
	}
	for _, w := range words {
		if !fillers[w] {
			return false
		}
	}
	return true
}

var zhFillers = map[string]bool{
	"是": true, "很": true, "太": true, "那么": true, "怎么": true, "都": true, "也": true, "算": true, "觉得": true,
	"感觉": true, "会": true, "够": true, "是很": true, "太过": true, "那么的": true, "怎么样": true,
}

var fillers = map[string]bool{
	"be": true, "been": true, "feel": true, "feeling": true, "at": true, "all": true, "that": true, "am": true,
	"is": true, "was": true, "i": true, "i'm": true, "it": true, "this": true, "the": true, "very": true, "a": true,
	"an": true, "so": true, "exactly": true, "even": true, "really": true, "too": true, "any": true, "overly": true,
}

// runs counts runs of two or more '!' and of '?' (after folding, so "！！"
// and "？？" count too) and the longest run of either.
func runs(norm string) (exclaim, question, longest int) {
	var cur byte
	n := 0
	mixed := false
	flush := func() {
		if n >= 2 {
			if cur == '!' {
				exclaim++
			} else {
				question++
			}
			if mixed {
				exclaim++ // "?!" asks and exclaims: indignation
			}
		}
		mixed = false
		longest = max(longest, n)
		n = 0
	}
	for i := 0; i < len(norm); i++ {
		c := norm[i]
		switch {
		case c == '!' || c == '?':
			if n > 0 && c != cur {
				// "?!" and "!?" runs count as questions: impatience.
				cur, mixed = '?', true
			} else if n == 0 {
				cur = c
			}
			n++
		case c == ' ':
		default:
			flush()
		}
	}
	flush()
	return exclaim, question, longest
}

// isEmoji reports whether s starts with a pictograph or an emoticon.
func isEmoji(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r >= 0x2600 && !unicode.IsLetter(r) || strings.ContainsAny(s[:1], ":^")
}

// decideMood names the mood and places it on valence and arousal.
func (r *reading) decideMood() {
	m := &r.moods
	// A greeting opening the message sets a polite register: a problem
	// reported after "Hi," or "您好，" with no stronger sign (no feeling
	// word of weight, no long wait, no shouting or "??") is a report.
	// A wait stated plainly, however long, stays a report in that register
	// ("Hi, my refund still hasn't arrived. It's been 12 days.").
	waitOnly := r.waited >= 7 && r.intensity == pointsLongWait
	if greetingOpener(r.t.norm) && m[mAngry] == 0 && max(m[mFrustrated], m[mAnxious]) < 2 &&
		r.exclaimRuns+r.questionRuns == 0 && r.shout == 0 && (r.intensity == 0 || waitOnly) {
		m[mFrustrated] *= 0.6
		if !r.pressed {
			m[mAnxious] *= 0.6 // a date the customer needs it by is no report
		}
	}
	// Strong disapproval with force — exclamation marks, shouting, an
	// accusing question or a threat, or anger beside it — is anger:
	// "this is ridiculous, I'm reporting you".
	if r.strong > 0 && (r.exclaimRuns > 0 || r.shout >= 2 || r.intensity >= pointsRhetoric || m[mAngry] > 0) {
		moved := min(r.strong, m[mFrustrated])
		m[mFrustrated] -= moved
		m[mAngry] += moved
	}
	// Frustration strong enough reads as anger (the original lexicon's
	// "太失望了！！！" case).
	// Strong frustration that shouts or piles up exclamation marks is
	// anger ("真的太失望了！！！", "WHERE IS MY ORDER").
	loud := r.exclaimRuns > 0 && (r.longestRun >= 3 || m[mFrustrated] >= 5)
	if (loud && m[mFrustrated] >= 3) || (r.shout >= 2 && m[mFrustrated] >= 2.5) ||
		(r.shout > 0 && !r.stress() && m[mFrustrated] >= 4) {
		m[mAngry] = max(m[mAngry], m[mFrustrated]+0.1)
	}
	// Three or more exclamation marks on bad news: "被偷了！！！".
	if neg := m[mFrustrated] + m[mAnxious]; r.exclaimRuns > 0 && r.longestRun >= 3 && neg >= 2 {
		m[mAngry] = max(m[mAngry], neg)
	}
	// Intense annoyance is anger: a count of times asked with an accusing
	// question, a lost patience, a threat ("这都第四次了，你们到底有没有人管",
	// "I have been more than patient").
	if r.intensity >= angerAt && m[mFrustrated]+m[mAngry] >= moodAt && m[mFrustrated]+m[mAngry] >= m[mAnxious] &&
		(addressed(r.t) || r.cues[cueThreat] >= 2 || r.cues[cuePatience] > 0 || r.cues[cueAccuse] > 0 || m[mAngry] > 0 ||
			nowAlone(r.t.norm) || r.cues[cueDemand] > 0 && r.exclaimRuns > 0) {
		m[mAngry] = max(m[mAngry], m[mFrustrated]+0.1)
	}
	// Two sources set against each other and a question which is right
	// ("详情页说防水 评论里说进水了 到底防不防水", "客服说已发货 快递员又说没收
	// 到，到底谁说的是真的") is puzzlement: the "又" of the second source
	// and the "到底" of the question are its insistence, not annoyance,
	// while nothing hostile is said.
	if (m[mConfused] >= 2.5 || conflictingSources(r.t.norm)) && m[mAngry] == 0 && r.intensity == 0 &&
		m[mFrustrated] < 4 {
		m[mConfused] = max(m[mConfused], 1.5) + 0.5*m[mFrustrated]
		m[mFrustrated] *= 0.5
	}
	// Relief ends a worry: "吓死我了 那就好", "phew, found it" look back on a
	// fear that is over.
	if containsAny(r.t.norm, "那就好", "放心了", "松了口气", "谢天谢地", "phew", "what a relief", "thank god",
		"thank goodness", "relieved") {
		m[mAnxious] *= 0.3
	}
	top, second, best := 0.0, 0.0, -1
	for i, s := range m {
		switch {
		case s > top:
			second, top, best = top, s, i
		case s > second:
			second = s
		}
	}
	// Ties go to the more serious mood: missing anger is worse than
	// missing joy (moods are indexed most serious first).
	if best < 0 || top < moodAt {
		r.mood = MoodCalm
		r.moodConf = 0.75 - 0.25*top
		if r.t.han+r.t.latin == 0 && top == 0 {
			r.moodConf = 0.4 // emoji-only, digits or garbage: little to go on
		}
	} else {
		r.mood = moodName[best]
		r.moodConf = confidence(top, second)
	}
	r.valence, r.arousal = r.place()
}

// place blends the moods' positions by their scores: a message's valence
// and arousal say how strongly it leans, the label only where.
func (r *reading) place() (v, a float64) {
	total := 0.0
	for _, s := range r.moods {
		total += s
	}
	if total == 0 {
		v, a = 0, proto[MoodCalm].Arousal
	} else {
		for i, s := range r.moods {
			p := proto[moodName[i]]
			v += s / total * p.Valence
			a += s / total * p.Arousal
		}
		strength := min(1, 0.3+total/4)
		c := proto[MoodCalm]
		v = c.Valence*(1-strength) + v*strength
		a = c.Arousal*(1-strength) + a*strength
	}
	if r.exclaimRuns > 0 {
		a += 0.1
	}
	if r.shout > 0 {
		a += 0.15
	}
	if r.elongated {
		a += 0.05
	}
	// The numbers must not contradict the label.
	switch {
	case r.mood == MoodCalm:
		v = clamp(v, -0.2, 0.25)
	case r.mood == MoodHappy:
		v = max(v, 0.2)
	default:
		v = min(v, -0.1)
	}
	return clamp(v, -1, 1), clamp(a, 0, 1)
}

// scoreCues adds what the message's cues say about its mood beyond its
// feeling words: the intensity cues read as impatience, a wait as
// impatience, worry cues as anxiety, a contradiction the customer reports
// as confusion.
func (r *reading) scoreCues() {
	m := &r.moods
	// A demand counts when something is already wrong, or when it is
	// shouted ("立刻给我退订！！").
	switch {
	case r.cues[cueDemand] > 0 && r.exclaimRuns > 0:
		r.intensity += pointsPatience // an order shouted ("立刻给我取消！！") is a raised voice, like "Now."
	case r.demand && m[mAngry]+m[mFrustrated]+r.facts > 0:
		r.intensity += pointsDemand
	}
	r.felt = m[mAngry]+m[mFrustrated] > 0 || r.exclaimRuns+r.questionRuns > 0 || r.shout > 0 || r.elongated ||
		r.intensity > 0 || r.sarcasm > 0 || emphaticNegation(r.t) || brokenPromise(r.t.norm) && r.facts > 0
	// In the register a greeting sets, a long wait stated with nothing
	// else ("Hi, my refund still hasn't arrived. It's been 12 days.") is
	// one more fact of the report.
	report := r.felt && greetingOpener(r.t.norm) && m[mAngry]+m[mFrustrated] == 0 && r.exclaimRuns+r.questionRuns == 0 &&
		r.shout == 0 && r.waited >= 7 && r.intensity == pointsLongWait
	if report {
		r.felt = false
	}
	// Impatience goes to the negative mood the words already lean to:
	// anger when they are angry, worry when the customer stays polite
	// ("sorry to bother you again, it's been 12 days" is pressing, not
	// hostile), annoyance otherwise ("could someone please look into this?
	// it's been two weeks").
	to := mFrustrated
	switch {
	case m[mAngry] > 0 && m[mAngry] >= m[mFrustrated]:
		to = mAngry
	case r.cues[cuePolite] >= 2 && r.intensity < pointsRhetoric && m[mAngry] == 0:
		to = mAnxious
	}
	// A wait is a fact too: "it's been 3 days" alone reports, beside a
	// feeling it presses.
	switch {
	case report:
		r.facts += 0.8
	case r.waited >= 7:
		m[to] += 0.8
	case r.waited >= 1 && (r.felt || to != mFrustrated):
		m[to] += 0.5
	case r.waited >= 1:
		r.facts += 0.5
	}
	if !report {
		m[to] += 0.5 * r.intensity
	}
	// An accusing question or an accusation alone ("are you kidding me?",
	// "this is theft") is annoyance at least.
	if r.cues[cueRhetoric]+r.cues[cueAccuse] > 0 && m[to] < moodAt {
		m[to] = moodAt
	}
	// A deadline behind the request makes it pressing ("下周婚礼要穿").
	relaxed := containsAny(r.t.norm, "no rush", "no hurry", "不急", "不着急")
	if r.cues[cueDeadline] >= 2 && m[mAngry]+m[mFrustrated] < moodAt && !relaxed {
		m[mAnxious] += 0.6
	}
	// Something wrong with the clock running and nobody blamed is worry:
	// "the exam closes at midnight and I can't get in", "I land in 3
	// hours and there's no booking". The failure words' own mild
	// annoyance ("still isn't") turns to worry with it.
	// A promise broken ("说好9点到 现在10点了还没来") lays blame: annoyance,
	// not worry.
	if brokenPromise(r.t.norm) && r.facts > 0 && m[mFrustrated] < moodAt {
		m[mFrustrated] += 0.6
	}
	// The clock that presses is one ahead; time already lost waiting
	// ("一个半小时了还没到", "been waiting 2 hours") is a letdown.
	if (r.cues[cueDeadline] > 0 || clockTime(r.t.norm) && !timeLost(r.t.norm)) && wentWrong(r.t) && m[mAngry] == 0 && m[mFrustrated] < 2 &&
		m[mHappy] < 1 && r.waited < 7 && r.intensity == 0 && !relaxed && !brokenPromise(r.t.norm) {
		m[mAnxious] += 1.2 + m[mFrustrated]
		m[mFrustrated] *= 0.5
	}
	// An occasion of the customer's own on a date ahead ("明天就是我妈生日
	// 了", "I need it by Friday for my daughter's recital") beside something
	// that has not come, or behind a question whether it will that says the
	// customer needs it ("need", "要穿", "不然"), is worry about
	// the date, not annoyance, while nobody is blamed: mild annoyance
	// ("咋还没到") turns to worry with it.
	if r.occasion && dateAhead(r.t.norm) && (r.asks() && needed(r.t.norm) || wentWrong(r.t)) && m[mAngry] == 0 &&
		r.intensity <= pointsLongWait && r.cues[cueRhetoric]+r.cues[cueAccuse] == 0 && m[mFrustrated] < 4 && m[mHappy] < 1 && !relaxed {
		m[mAnxious] += 1.2 + 0.5*m[mFrustrated]
		m[mFrustrated] *= 0.5
		r.pressed = true
	}
	if fearedOutcome(r.t.norm) {
		r.cues[cueWorry]++ // "会不会把电池搞坏", "will it damage my phone"
	}
	if presumedNot(r.t.norm) {
		r.cues[cueWorry]++ // "不会出问题吧": hoping aloud that it has not gone wrong
	}
	if w := r.cues[cueWorry]; w > 0 {
		m[mAnxious] += min(w, 2) * 1.3
	}
	// What a page or message says set against what the customer sees or
	// another page says: "the app says Pro but the invoice says Basic".
	// A page saying a parcel came when it did not ("显示已签收，但我没收到")
	// is a missing parcel, not a puzzle.
	if r.cues[cueContrast] > 0 && r.cues[cueReport] > 0 && m[mAngry]+m[mFrustrated] < 2 && r.intensity == 0 &&
		!notReceived(r.t.norm) {
		m[mConfused] += 1.2
	} else if r.cues[cueReport] > 0 && m[mAngry]+m[mFrustrated] < moodAt && r.intensity == 0 &&
		containsAny(r.t.norm, "why", "how come", "what does", "为什么", "怎么会", "什么意思", "怎么显示", "怎么提示", "怎么写着", "怎么算") {
		// Asking why a page or message says what it says: "why does my
		// order say completed?", "为什么显示已过期".
		m[mConfused] += 1
	}
}

// deniedClause reports whether the clause holding byte offset at opens by
// denying itself in favour of what follows: "不是对服务不满意，就是用不上",
// "it's not that I'm unhappy, I just don't use it".
func deniedClause(norm string, at int) bool {
	start := strings.LastIndexAny(norm[:at], ",.!?;\n") + 1
	clause := strings.TrimLeft(norm[start:at], " ")
	for _, p := range [...]string{"不是", "并不是", "倒不是", "也不是", "not that", "it's not that", "it isn't that",
		"not because", "this isn't about", "it's not about"} {
		if strings.HasPrefix(clause, p) {
			rest := norm[at:]
			return strings.Contains(rest, "就是") || strings.Contains(rest, "只是") || strings.Contains(rest, "而是") ||
				strings.Contains(rest, "just") || strings.Contains(rest, "only") || strings.Contains(rest, "simply")
		}
	}
	return false
}

// praiseLast reports whether the message ends on a short sentence of
// praise ("Amazing service.", "效率可真高"): the shape of sarcasm after bad
// news, unlike praise that opens a message and a problem that follows.
func praiseLast(norm string) bool {
	norm = strings.TrimRight(norm, " .!?~")
	cut := strings.LastIndexAny(norm, ".!?\n")
	last := norm[cut+1:]
	if utf8.RuneCountInString(last) > 20 || cut < 0 {
		return false
	}
	t := newText(last)
	var buf [8]hit
	for _, h := range moodLex.find(t, buf[:0]) {
		for _, f := range h.e.feats {
			if f.kind == kMood && f.label == mHappy && f.w >= 1 {
				return true
			}
		}
	}
	return false
}

// openerAck reports a positive word that opens a message and is followed
// by a comma and a question ("great, and is there a customs fee?", "nice,
// do my points carry over?"): it acknowledges the last answer, it is not
// delight.
func openerAck(norm string, h hit) bool {
	if strings.TrimLeft(norm[:h.start], " ") != "" {
		return false
	}
	rest := strings.TrimLeft(norm[h.end:], " !")
	return strings.HasPrefix(rest, ",") && strings.ContainsAny(rest, "?吗")
}

// wentWrong reports words of failure or absence: something the customer
// needs is not working, not there or not happening ("can't access", "no
// record", "still says processing", "打不开", "没收到", "联系不上").
func wentWrong(t *text) bool {
	for _, tok := range t.toks {
		switch tok.word {
		case "can't", "won't", "doesn't", "didn't", "isn't", "hasn't", "haven't", "still", "stuck",
			"missing", "failed", "fails", "error", "down", "broken", "delayed", "lost", "cancelled", "canceled",
			"locked", "blocked", "declined", "nothing":
			return true
		}
	}
	if containsAny(t.norm, "no record", "no sign", "not working", "not here", "not arrived", "no driver", "no one",
		"nobody") {
		return true
	}
	if t.han == 0 {
		return false
	}
	return containsAny(t.norm, "不了", "不上", "不到", "打不开", "用不", "没收到", "没到", "还没", "没有", "没人", "无法",
		"失败", "卡住", "卡在", "坏了", "丢了", "停了", "断了", "被取消", "异常", "超时", "不见了")
}

// greetingOpener reports a message that opens with a greeting ("hi,",
// "hello", "您好", "你好"), not a call-out ("hello?").
func greetingOpener(norm string) bool {
	norm = strings.TrimLeft(norm, " ")
	// "Hello?" calls out to someone who is not answering: no greeting.
	callout := func(g string) bool { return strings.HasPrefix(strings.TrimLeft(norm[len(g):], " "), "?") }
	for _, g := range [...]string{"您好", "你好", "hello", "good morning", "good afternoon", "good evening", "dear "} {
		if strings.HasPrefix(norm, g) {
			return !callout(g)
		}
	}
	for _, g := range [...]string{"hi", "hey"} {
		if strings.HasPrefix(norm, g) && (len(norm) == len(g) || !isWordByte(norm[len(g)])) {
			return !callout(g)
		}
	}
	return false
}

// stress reports one word in capitals among others: emphasis, not
// shouting ("got the wrong size AGAIN").
func (r *reading) stress() bool { return r.shout == 1 && len(r.t.toks) >= 3 }
