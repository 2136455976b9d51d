// Package knowledge is Kairos's knowledge base: it cuts documents (Markdown,
// plain text, FAQ CSV) into chunks, embeds them, and answers queries with a
// hybrid of vector and keyword search (CJK bigrams), ranked by a blend of
// cosine, coverage of the question (with bilingual synonyms and typo
// tolerance) and keyword score. It also serves the knowledge admin API and
// ships a bilingual sample base.
package knowledge

import (
	"strings"
	"unicode"
)

// englishStop are words too common to say what a text is about.
var englishStop = setOf(
	"an", "the", "is", "are", "was", "were", "be", "been", "am", "do",
	"does", "did", "to", "of", "in", "on", "at", "for", "with", "by",
	"from", "and", "or", "but", "if", "it", "its", "this", "that",
	"these", "those", "me", "my", "we", "our", "us", "you", "your", "he",
	"she", "they", "them", "their", "what", "which", "who", "whom", "how",
	"when", "where", "why", "can", "could", "should", "would", "will",
	"shall", "may", "might", "must", "there", "here", "about", "as", "so",
	"not", "no", "have", "has", "had", "please", "any", "some", "into",
	"than", "then", "too", "very", "just", "also", "dont", "im", "ive",
	"hi", "hello", "thanks", "thank",
	// Verbs and fillers of questions ("what do I get", "how long does it
	// take", "I want to know"): present in almost any question, absent from
	// the answers.
	"get", "got", "want", "need", "know", "tell", "use", "happen",
	"happens", "something", "stuff", "thing", "things", "ur", "u",
)

// chineseStopWords are question words, pronouns and politeness: a Han run
// is cut where one occurs and it is dropped, so "退款多久到账" yields 退款 到账
// and not the noise bigrams 款多 久到.
var chineseStopWords = setOf(
	"什么", "怎么", "怎样", "如何", "为什", "请问", "你们", "我们", "他们",
	"你好", "您好", "可以", "一下", "是否", "这个", "那个", "哪个", "谢谢",
	"多久", "多少", "哪里", "哪些", "有没",
	// Colloquial question words and fillers customers type.
	"时候", "啥时", "咋办", "东西", "一般", "知道", "这么", "那么", "一件",
	"一个", "能否", "是不", "可不", "要不",
)

// chineseStopChars are function characters dropped when they end up alone.
var chineseStopChars = setOf(
	"的", "吗", "呢", "是", "了", "吧", "啊", "呀", "哦", "嘛", "我", "你",
	"您", "他", "她", "它", "在", "和", "与", "及", "或", "也", "都", "就",
	"还", "又", "谁", "么", "有",
	// Modal verbs and colloquial question characters ("能退吗", "咋查",
	// "怎么算"): they carry the question's mood, not its topic.
	"能", "会", "要", "该", "用", "啥", "咋", "办", "算", "样", "哪", "几",
	"这", "那", "怎", "找", "把", "给", "没",
)

// particles split a run of Han characters before bigrams are taken, so
// "退货政策是什么" yields 退货 货政 政策 and not the noise bigram 策是.
// Only characters that are almost never part of a content word are here.
var particles = map[rune]bool{
	'的': true, '吗': true, '呢': true, '吧': true, '啊': true, '呀': true,
	'哦': true, '嘛': true, '是': true,
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Terms returns keyword-search tokens of text in order of first appearance,
// without duplicates: lowercased Latin/digit words (stopwords and one-letter
// words dropped, plain plurals folded: "refunds" → "refund"), and for each run
// of Han characters its overlapping bigrams (an isolated character is kept as
// a unigram), without Chinese function words.
func Terms(text string) []string {
	t := tokenizer{seen: make(map[string]bool)}
	for _, r := range text {
		switch {
		case isHan(r):
			t.flushWord()
			if particles[r] {
				t.flushHan()
				continue
			}
			t.han = append(t.han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t.flushHan()
			t.word = append(t.word, unicode.ToLower(r))
		case r == '\'' || r == '’':
			// Joins contractions and strips possessives below.
		default:
			t.flushWord()
			t.flushHan()
		}
	}
	t.flushWord()
	t.flushHan()
	return t.out
}

type tokenizer struct {
	word []rune
	han  []rune
	seen map[string]bool
	out  []string
}

func (t *tokenizer) emit(term string) {
	if term == "" || t.seen[term] {
		return
	}
	t.seen[term] = true
	t.out = append(t.out, term)
}

func (t *tokenizer) flushWord() {
	if len(t.word) == 0 {
		return
	}
	word := t.word
	t.word = t.word[:0]
	// Checked before the word is made a string, so dropped words and
	// repeats cost no allocation.
	if len(word) < 2 && !isDigitRunes(word) || englishStop[string(word)] || t.seen[string(word)] {
		return
	}
	w := string(word)
	if w = foldEnglish(w); englishStop[w] {
		return
	}
	t.emit(w)
}

func (t *tokenizer) flushHan() {
	run := t.han
	t.han = t.han[:0]
	splitHan(run, t.hanSegment)
}

// splitHan cuts a run of Han characters where a Chinese stop word occurs,
// dropping it, and calls fn with each non-empty remaining segment.
func splitHan(run []rune, fn func(seg []rune)) {
	start := 0
	for i := 0; i+1 < len(run); i++ {
		if chineseStopWords[string(run[i:i+2])] {
			if i > start {
				fn(run[start:i])
			}
			start = i + 2
			i++
		}
	}
	if start < len(run) {
		fn(run[start:])
	}
}

// hanSegments calls fn with each Chinese segment of text: its Han runs, cut
// at particles and stop words as Terms cuts them.
func hanSegments(text string, fn func(seg []rune)) {
	var run []rune
	flush := func() {
		splitHan(run, func(seg []rune) { fn(append([]rune(nil), seg...)) })
		run = run[:0]
	}
	for _, r := range text {
		if isHan(r) && !particles[r] {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
}

// hanSegment emits the bigrams of a run of Han characters, or the character
// itself when it stands alone.
func (t *tokenizer) hanSegment(seg []rune) {
	if len(seg) == 1 {
		if s := string(seg); !chineseStopChars[s] {
			t.emit(s)
		}
		return
	}
	for i := 0; i+1 < len(seg); i++ {
		if !t.seen[string(seg[i:i+2])] {
			t.emit(string(seg[i : i+2]))
		}
	}
}

// foldEnglish strips possessive "s" (joined from "'s") and folds plain
// plurals: "refunds" → "refund", "policies" → "policy", "boxes" → "box".
// It is deliberately crude; both documents and queries pass through it.
func foldEnglish(w string) string {
	n := len(w)
	switch {
	case n <= 3 || !strings.HasSuffix(w, "s"):
		return w
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "ches"),
		strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	}
	return w[:n-1]
}

func isDigitRunes(rs []rune) bool {
	for _, r := range rs {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// DetectLang returns "zh" when Han characters make up a meaningful share of
// the text, "en" when it is mostly Latin letters, and "" otherwise (no
// letters, or another script). A Chinese word is one or two characters, so
// the share compares Han characters with Latin words: "zh" when there are at
// least half as many Han characters as Latin words. That keeps "我想买 the
// limited-edition sneaker" Chinese and an English sentence quoting "顺丰"
// English.
func DetectLang(text string) string {
	var han, latinLetters, latinWords, other int
	inWord := false
	for _, r := range text {
		isLatin := unicode.Is(unicode.Latin, r)
		switch {
		case isHan(r):
			han++
		case isLatin:
			latinLetters++
			if !inWord {
				latinWords++
			}
		case unicode.IsLetter(r):
			other++
		}
		inWord = isLatin
	}
	switch {
	case han > 0 && han*2 >= latinWords:
		return "zh"
	case latinLetters > 0 && latinLetters*2 > latinLetters+han+other:
		return "en"
	}
	return ""
}
