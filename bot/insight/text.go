package insight

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what one message costs to read. A message longer than
// maxAnalyzed bytes is read as its first and last halves: the opening says
// what the customer wants, the end how they feel now.
const maxAnalyzed = 4 << 10

// capText returns at most maxAnalyzed bytes of s, cut on rune boundaries,
// and valid UTF-8 (invalid bytes become spaces).
func capText(s string) string {
	if len(s) > maxAnalyzed {
		// Cut first: validating a megabyte to keep four kilobytes is waste.
		half := maxAnalyzed / 2
		head := half
		for head > 0 && !utf8.RuneStart(s[head]) && half-head < utf8.UTFMax {
			head--
		}
		tail := len(s) - half
		for tail < len(s) && !utf8.RuneStart(s[tail]) && tail-(len(s)-half) < utf8.UTFMax {
			tail++
		}
		s = s[:head] + " … " + s[tail:]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	return s
}

// slang rewrites chat spellings to the words the lexicons list, so "咋还木有
// 到" reads as "怎么还没有到". Applied to lower-cased text.
var slang = strings.NewReplacer(
	"咋", "怎么", "还没有", "还没", "还木有", "还没", "肿么", "怎么", "木有", "没有", "神马", "什么", "啥", "什么",
	"酱紫", "这样", "滴", "的", "偶们", "我们", "亲们", "亲", "童鞋", "同学",
	"表酱紫", "不要这样", "造吗", "知道吗", "介个", "这个", "为毛", "为什么", "为啥", "为什么",
	"腫麼", "怎么", "甚麼", "什么", "沒有", "没有", "謝謝", "谢谢", "退貨", "退货", "訂單", "订单",
	"’", "'", "‘", "'", "＇", "'",
	// Zero-width characters hide words from look-ups ("忽\u200b略").
	"\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "",
)

// fold maps full-width ASCII (！？Ａ１) to its half-width form and control
// characters to spaces.
func fold(r rune) rune {
	switch {
	case r >= '！' && r <= '～':
		return r - '！' + '!'
	case r == '\u3000':
		return ' '
	case r == '。':
		return '.'
	case r == '，' || r == '、':
		return ','
	case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError:
		return ' '
	}
	return r
}

// enFix rewrites common English chat spellings and typos to the lexicon's.
var enFix = map[string]string{
	"cant": "can't", "cannot": "can't", "dont": "don't", "didnt": "didn't", "doesnt": "doesn't",
	"isnt": "isn't", "wasnt": "wasn't", "wont": "won't", "havent": "haven't", "hasnt": "hasn't",
	"arent": "aren't", "couldnt": "couldn't", "wouldnt": "wouldn't", "shouldnt": "shouldn't",
	"im": "i'm", "ive": "i've", "whats": "what's", "wheres": "where's", "thats": "that's",
	"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "plse": "please",
	"thx": "thanks", "thanx": "thanks", "thnx": "thanks", "tks": "thanks", "ty": "thanks", "tysm": "thanks",
	"recieve": "receive", "recieved": "received", "reciept": "receipt", "adress": "address",
	"delivary": "delivery", "delievery": "delivery", "deliverd": "delivered", "packge": "package",
	"pakage": "package", "refnd": "refund", "refudn": "refund", "ordr": "order", "oder": "order",
	"shiping": "shipping", "subscribtion": "subscription", "subcription": "subscription",
	"cancell": "cancel", "cancle": "cancel", "cancelation": "cancellation", "excange": "exchange",
	"wat": "what", "wut": "what", "wher": "where", "becuase": "because", "bc": "because", "cuz": "because",
	"acct": "account", "acc": "account", "pw": "password", "pwd": "password", "login": "log in",
	"signin": "sign in", "wifi": "wi-fi", "asap": "asap", "rn": "now", "tmrw": "tomorrow", "tmr": "tomorrow",
	"2day": "today", "2moro": "tomorrow", "hrs": "hours", "mins": "minutes", "wks": "weeks",
}

// token is one English word (or digit run) of a message and where it is.
type token struct {
	word       string
	start, end int // byte offsets in text.norm
}

// text is a message prepared for the lexicons.
type text struct {
	orig string // capped, valid UTF-8, as written (for case)
	norm string // lower-cased, folded, slang rewritten
	toks []token
	// Han is the number of Chinese characters, latin of English letters.
	han, latin int
}

func newText(s string) *text {
	s = capText(s)
	t := &text{orig: s}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(fold(r))
		switch {
		case unicode.Is(unicode.Han, r):
			t.han++
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			t.latin++
		}
		b.WriteRune(r)
	}
	t.norm = slang.Replace(b.String())
	t.tokenize()
	return t
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\''
}

// tokenize splits norm into English words: runs of ASCII letters, digits
// and apostrophes. Chinese is matched as substrings, not tokens.
func (t *text) tokenize() {
	s := t.norm
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		for _, part := range splitDigits(s[i:j]) {
			t.addToken(strings.Trim(part.w, "'"), i+part.at, i+part.at+len(part.w))
		}
		i = j
	}
}

type wordPart struct {
	w  string
	at int
}

// splitDigits splits a word where digits meet letters ("170lbs" → "170",
// "lbs"; "save20" → "save", "20"), so sizes and codes read as words.
func splitDigits(w string) []wordPart {
	var parts []wordPart
	start := 0
	for k := 1; k < len(w); k++ {
		d0, d1 := w[k-1] >= '0' && w[k-1] <= '9', w[k] >= '0' && w[k] <= '9'
		if d0 != d1 && w[k-1] != '\'' && w[k] != '\'' {
			parts = append(parts, wordPart{w[start:k], start})
			start = k
		}
	}
	return append(parts, wordPart{w[start:], start})
}

func (t *text) addToken(w string, i, j int) {
	{
		if w != "" {
			// A possessive is its noun: "refund's been processing".
			if base, ok := strings.CutSuffix(w, "'s"); ok && base != "" && !pronounS[base] {
				w = base
			}
			w = squeeze(w)
			if fix, ok := enFix[w]; ok {
				w = fix
			}
			if strings.Contains(w, " ") {
				// "login" becomes two words, both at the original place.
				for _, p := range strings.Fields(w) {
					t.toks = append(t.toks, token{word: p, start: i, end: j})
				}
			} else {
				t.toks = append(t.toks, token{word: w, start: i, end: j})
			}
		}
	}
}

// shouting counts all-caps English words of three letters or more that are
// not common acronyms ("WHERE IS MY ORDER" shouts, "VIP" and "DHL" do not).
func shouting(orig string) int {
	n := 0
	for _, w := range strings.FieldsFunc(orig, func(r rune) bool {
		return r >= utf8.RuneSelf || !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(w) < 3 || acronyms[w] || (len(w) == 3 && !shouted[w]) || strings.ContainsAny(w, "0123456789") {
			continue // "VAT", "API": most three-letter capitals are names; "SAVE20" is a code
		}
		upper := true
		for i := 0; i < len(w); i++ {
			if w[i] < 'A' || w[i] > 'Z' {
				upper = false
				break
			}
		}
		if upper {
			n++
		}
	}
	return n
}

// shouted are three-letter words that, in capitals, shout.
var shouted = map[string]bool{
	"NOW": true, "WHY": true, "WTF": true, "YOU": true, "THE": true, "NOT": true, "ANY": true, "HOW": true,
	"GET": true, "AND": true, "FIX": true, "ARE": true, "WAS": true, "HAS": true, "DID": true, "YET": true,
}

var acronyms = map[string]bool{
	"VIP": true, "DHL": true, "UPS": true, "SKU": true, "USB": true, "APP": true, "FAQ": true, "PDF": true,
	"USA": true, "CEO": true, "SMS": true, "GPS": true, "LED": true, "TV": true, "EMS": true, "SF": true,
	"JD": true, "FedEx": true, "USPS": true, "ETA": true, "API": true, "URL": true, "CNY": true, "USD": true,
	"RMB": true, "EUR": true, "GBP": true, "NFC": true, "HDMI": true, "WIFI": true, "OTP": true, "PIN": true,
	"ASAP": true, "IOS": true, "MAC": true, "XXL": true, "XL": true, "XXXL": true, "OK": true, "OMG": true, "LOL": true,
}

// elongated reports a letter or Chinese character repeated four times or
// more ("sooooo", "啊啊啊啊"), which reads as strong feeling.
func elongated(norm string) bool {
	var prev rune
	n := 0
	for _, r := range norm {
		if r == prev && (unicode.IsLetter(r)) {
			n++
			if n >= 4 {
				return true
			}
		} else {
			prev, n = r, 1
		}
	}
	return false
}

// pronounS are words whose "'s" is "is" or "has", not a possessive.
var pronounS = map[string]bool{
	"it": true, "that": true, "what": true, "where": true, "who": true, "he": true, "she": true, "there": true,
	"here": true, "let": true, "how": true, "when": true, "why": true, "this": true, "everything": true,
	"nothing": true, "something": true, "everyone": true, "nobody": true, "someone": true, "one": true,
}

// squeeze undoes chat elongation: a letter written three times or more
// ("sooo", "pleeease", "thaaanks") is one letter, or two where the word has
// two ("goood" is "good", "yesss" is "yess").
func squeeze(w string) string {
	run := false
	for i := 2; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] == w[i-2] && w[i] >= 'a' && w[i] <= 'z' {
			run = true
			break
		}
	}
	if !run {
		return w
	}
	one := make([]byte, 0, len(w))
	two := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if i > 0 && c == w[i-1] && c >= 'a' && c <= 'z' {
			if i > 1 && c == w[i-2] {
				continue // a third letter or more
			}
			two = append(two, c)
			// A doubled letter inside a run is the run's, not the word's.
			if i+1 < len(w) && w[i+1] == c {
				continue
			}
			one = append(one, c)
			continue
		}
		one = append(one, c)
		two = append(two, c)
	}
	if doubled[string(two)] {
		return string(two)
	}
	return string(one)
}

// doubled are words whose double letter an elongation may stretch.
var doubled = map[string]bool{
	"good": true, "cool": true, "too": true, "soon": true, "feel": true, "free": true, "need": true, "see": true,
	"all": true, "will": true, "well": true, "still": true, "off": true, "sorry": true, "happy": true, "yess": true,
	"boo": true, "looking": true, "hello": true, "really": true,
	"sweet": true, "keep": true, "three": true, "week": true, "weeks": true, "agree": true, "wee": true,
}
