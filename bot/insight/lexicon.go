package insight

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// kind is what a lexicon entry tells about a message.
type kind uint8

const (
	kIntent  kind = iota + 1 // points for an intent
	kMood                    // points for a mood
	kNegator                 // negates the sentiment entry after it
	kDegree                  // multiplies the sentiment entry after it (weight is the factor)
	kSarcasm                 // marks positive words as meant negatively
	kInject                  // an attempt to instruct the assistant
	kCue                     // a hidden-need or conversation cue
)

// Cues behind hidden needs and escalation.
const (
	cueDeadline = iota // a date or time the customer must have it by
	cueUnfit           // the product did not fit or suit
	cueUnused          // paying for something not used
	cueWronged         // damaged, wrong item, charged twice: the customer was wronged
	cueLost            // lost in a process
	cueRepeat          // says they already asked
	cueThreat          // threatens to leave, review badly, go to a regulator
	cuePolite          // asks politely ("麻烦", "please")
	cueRhetoric        // an accusing rhetorical question ("你们到底…", "are you kidding")
	cuePatience        // says their patience is gone ("more than patient", "受够")
	cueDemand          // demands it at once ("立刻", "right now")
	cueAccuse          // accuses of cheating ("骗子", "scam")
	cueWorry           // worries about the outcome ("会不会", "is that normal")
	cueContrast        // sets what they see against what they expect ("明明", "but I")
	cueReport          // quotes what a page or message says ("显示", "says")
	numCues
)

// Mood indexes into moodScores.
const (
	mAngry = iota
	mFrustrated
	mAnxious
	mConfused
	mHappy
	numMoods
)

var moodName = [numMoods]string{MoodAngry, MoodFrustrated, MoodAnxious, MoodConfused, MoodHappy}

// feat is one thing an entry says: kind, which intent/mood/cue (label) and
// how strongly (w).
type feat struct {
	kind  kind
	label int
	w     float64
}

// entry is one lexicon word or phrase with everything it says.
type entry struct {
	text  string
	words []string // English entries: the words; nil for substring entries
	feats []feat
	// sentiment is set when the entry has a mood feature, so negators and
	// degree adverbs before it apply.
	sentiment bool
	// fact is set on words that report what went wrong ("damaged",
	// "delayed", "破损", "还没") rather than how the customer feels about
	// it: they count towards a mood only beside a word or a form that
	// shows a feeling (mood.go).
	fact bool
	// strong is set on words of strong disapproval that are not hostile
	// in themselves ("ridiculous", "terrible", "过分"): anger said with
	// force, annoyance said plainly (mood.go).
	strong bool
}

func (e *entry) has(k kind) bool {
	for _, f := range e.feats {
		if f.kind == k {
			return true
		}
	}
	return false
}

func (e *entry) weight(k kind) float64 {
	for _, f := range e.feats {
		if f.kind == k {
			return f.w
		}
	}
	return 0
}

// hit is an entry found in a message, at byte offsets of text.norm.
type hit struct {
	e          *entry
	start, end int
}

// matcher finds lexicon entries in a message in one pass over it: Chinese,
// emoji and emoticon entries as substrings, English entries as whole words
// with plain inflections ("refunds", "shipped"). At each place the longest
// entry wins, and an entry wholly inside an earlier, longer one is not
// reported; overlapping ones are ("还没到" and "到账" in "还没到账").
type matcher struct {
	sub     map[rune][]*entry   // by first rune, longest first
	exact   map[string][]*entry // English entries by first word, most words first
	stemmed map[string][]*entry // inflectable English entries by first word's stem
	all     map[string]*entry
	// skipDeterminers lets a possessive or an article stand inside an
	// English phrase (the mood layer: feelings are said many ways).
	skipDeterminers bool
	// asciiStart marks the ASCII characters some substring entry starts
	// with ("7天无理由", "<|im_start|>"); other ASCII is skipped quickly.
	asciiStart [utf8.RuneSelf]bool
}

func newMatcher() *matcher {
	return &matcher{sub: map[rune][]*entry{}, exact: map[string][]*entry{}, stemmed: map[string][]*entry{}, all: map[string]*entry{}}
}

// The lexicons are matched in three layers, each its own matcher, so a
// longer entry of one layer does not hide a shorter entry of another: the
// intent phrase "还没收到" must not swallow the mood word "还没".
var (
	intentLex = newMatcher() // kIntent
	moodLex   = &matcher{sub: map[rune][]*entry{}, exact: map[string][]*entry{}, stemmed: map[string][]*entry{},
		all: map[string]*entry{}, skipDeterminers: true} // kMood, kNegator, kDegree, kSarcasm
	cueLex = newMatcher() // kCue, kInject
)

// add records that each of words says (k, label, w) in k's layer.
func add(k kind, label int, w float64, words ...string) {
	switch k {
	case kIntent:
		intentLex.add(k, label, w, words...)
	case kCue, kInject:
		cueLex.add(k, label, w, words...)
	default:
		moodLex.add(k, label, w, words...)
	}
}

func init() {
	addIntentWords()
	addFamilies()
	addFamilies2()
	addMoodWords()
	addCueWords()
	addIntensityWords()
	for _, m := range []*matcher{intentLex, moodLex, cueLex} {
		m.compile()
	}
}

// add records that each of words says (k, label, w).
func (m *matcher) add(k kind, label int, w float64, words ...string) {
	for _, s := range words {
		s = strings.ToLower(s)
		e := m.all[s]
		if e == nil {
			e = &entry{text: s}
			if isEnglish(s) {
				e.words = splitWords(s)
			}
			m.all[s] = e
		}
		e.feats = append(e.feats, feat{k, label, w})
		if k == kMood {
			e.sentiment = true
		}
	}
}

// isEnglish reports whether s is made of ASCII letters, digits, apostrophes,
// spaces and hyphens: matched as words, not as a substring.
func isEnglish(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) && c != ' ' && c != '-' {
			return false
		}
	}
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' })
}

func splitWords(s string) []string {
	var ws []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' }) {
		for _, p := range splitDigits(f) {
			ws = append(ws, p.w)
		}
	}
	for i, w := range ws {
		if fix, ok := enFix[w]; ok && !strings.Contains(fix, " ") {
			ws[i] = fix
		}
	}
	return ws
}

// inflectable reports whether an English word matches its inflections:
// short words must match exactly ("hi" is not "his").
func inflectable(w string) bool { return len(w) >= 3 && !strings.Contains(w, "'") }

// compile indexes the entries added so far.
func (m *matcher) compile() {
	for _, e := range m.all {
		if e.words == nil {
			r, _ := utf8.DecodeRuneInString(e.text)
			if r < utf8.RuneSelf {
				m.asciiStart[r] = true
			}
			m.sub[r] = append(m.sub[r], e)
			continue
		}
		first := e.words[0]
		m.exact[first] = append(m.exact[first], e)
		if inflectable(first) {
			m.stemmed[first] = append(m.stemmed[first], e)
			if strings.HasSuffix(first, "e") {
				// "charging" strips to "charg".
				m.stemmed[first[:len(first)-1]] = append(m.stemmed[first[:len(first)-1]], e)
			}
		}
	}
	longest := func(a, b *entry) int {
		if n := len(b.words) - len(a.words); n != 0 {
			return n
		}
		if n := len(b.text) - len(a.text); n != 0 {
			return n
		}
		return strings.Compare(a.text, b.text)
	}
	for _, idx := range []map[rune][]*entry{m.sub} {
		for _, es := range idx {
			slices.SortFunc(es, longest)
		}
	}
	for _, idx := range []map[string][]*entry{m.exact, m.stemmed} {
		for _, es := range idx {
			slices.SortFunc(es, longest)
		}
	}
}

// stems returns the plain stems of w ("shipped" → "shipp", "ship"), not w.
func stems(w string, buf []string) []string {
	buf = buf[:0]
	for _, suf := range [...]string{"ing", "es", "ed", "s", "d"} {
		if !strings.HasSuffix(w, suf) || len(w)-len(suf) < 3 {
			continue
		}
		st := w[:len(w)-len(suf)]
		buf = append(buf, st)
		if n := len(st); n >= 4 && st[n-1] == st[n-2] && suf != "s" {
			buf = append(buf, st[:n-1])
		}
	}
	return buf
}

// wordIs reports whether text word w is lexicon word kw or an inflection.
func wordIs(w, kw string) bool {
	if w == kw {
		return true
	}
	if !inflectable(kw) {
		return false
	}
	var buf [8]string
	for _, st := range stems(w, buf[:0]) {
		if st == kw || (strings.HasSuffix(kw, "e") && st == kw[:len(kw)-1]) {
			return true
		}
	}
	return false
}

// find returns the entries in t, ordered by position.
func (m *matcher) find(t *text, hits []hit) []hit {
	hits = m.findSub(t.norm, hits)
	n := len(hits)
	hits = m.findWords(t, hits)
	if n > 0 && len(hits) > n {
		slices.SortStableFunc(hits, func(a, b hit) int { return a.start - b.start })
	}
	return hits
}

func (m *matcher) findSub(s string, hits []hit) []hit {
	covered := 0 // end of the furthest-reaching hit so far
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && !m.asciiStart[c] {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		for _, e := range m.sub[r] {
			if strings.HasPrefix(s[i:], e.text) {
				// A hit inside a longer one ("满意" in "不满意") is that
				// one's part, not a word of its own.
				if end := i + len(e.text); end > covered {
					hits = append(hits, hit{e: e, start: i, end: end})
					covered = end
				}
				break
			}
		}
		i += size
	}
	return hits
}

func (m *matcher) findWords(t *text, hits []hit) []hit {
	toks := t.toks
	var buf [8]string
	covered := 0 // index after the last token of the furthest-reaching hit
	for i := range toks {
		w := toks[i].word
		best, n := m.longestAt(toks, i, m.exact[w], nil, 0)
		for _, st := range stems(w, buf[:0]) {
			best, n = m.longestAt(toks, i, m.stemmed[st], best, n)
		}
		if best == nil || i+n <= covered {
			continue
		}
		covered = i + n
		hits = append(hits, hit{e: best, start: toks[i].start, end: toks[covered-1].end})
	}
	return hits
}

// longestAt returns the entry of cands matching at token i with the most
// words and how many tokens it spans, or best and n if none has more.
func (m *matcher) longestAt(toks []token, i int, cands []*entry, best *entry, n int) (*entry, int) {
	for _, e := range cands {
		if best != nil && len(e.words) <= len(best.words) {
			break
		}
		if i+len(e.words) > len(toks) {
			continue
		}
		if k := m.matchAt(toks, i, e); k > 0 {
			return e, k
		}
	}
	return best, n
}

// matchAt returns how many tokens from i entry e's words span, or 0 when
// they do not match there. A matcher with skipDeterminers lets one
// possessive or article stand inside a phrase: "waste of my time" is
// "waste of time", "lost all my progress" is "lost my progress".
func (m *matcher) matchAt(toks []token, i int, e *entry) int {
	k, skipped := i, false
	for j := 0; j < len(e.words); {
		if k >= len(toks) {
			return 0
		}
		if wordIs(toks[k].word, e.words[j]) {
			j++
			k++
			continue
		}
		if m.skipDeterminers && j > 0 && !skipped && determiners[toks[k].word] {
			skipped = true
			k++
			continue
		}
		return 0
	}
	return k - i
}

// determiners may stand inside a mood phrase without changing it.
var determiners = map[string]bool{
	"my": true, "your": true, "our": true, "the": true, "a": true, "an": true, "this": true, "that": true,
	"all": true, "his": true, "her": true, "their": true, "such": true, "any": true,
}
