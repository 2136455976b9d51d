package llm

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/prompts"
)

// Guard checks a model's reply before it reaches the customer. It blocks a
// reply that
//   - repeats the distinctive lines of our prompts (the model revealing its
//     instructions), or says it is doing so;
//   - names an e-mail address, phone number, order number or account id that
//     appears nowhere in this customer's context (another customer's data,
//     or an invented identifier);
//   - shows the model following instructions injected by the customer ("I
//     am now DAN", "已进入开发者模式", or taking on the persona the customer's
//     message told it to be).
//
// It is a backstop behind the prompts' data framing, not a replacement: a
// paraphrased leak can pass. A Guard is safe for concurrent use.
type Guard struct {
	fingerprints map[uint64]struct{}
	safe         map[string]string // safe reply by language
}

// Reasons a reply was blocked, the "reason" label of guard_blocks_total.
const (
	BlockSystemPrompt = "system_prompt"
	BlockForeignData  = "foreign_data"
	BlockInjection    = "injection"
)

// Window lengths, in normalised runes (letters, digits and Han characters
// only), of a prompt overlap that counts as a leak. A Chinese window is
// shorter because one character carries about a word: 14 characters is a
// clause, 40 Latin letters about eight words, more than a reply shares with
// a rule by chance ("I don't have that information" is 24).
const (
	hanWindow   = 14
	latinWindow = 40
)

// guardedTemplates are the prompts whose wording must not reach customers.
var guardedTemplates = []string{"system", "answer", "tools", "insight", "extract", "review", "revise"}

// NewGuard fingerprints the instruction lines of the templates in p (the
// operator's overrides included), rendered without data in both languages.
func NewGuard(p *prompts.Set) (*Guard, error) {
	g := &Guard{fingerprints: map[uint64]struct{}{}, safe: map[string]string{}}
	for _, lang := range []string{"zh", "en"} {
		for _, name := range guardedTemplates {
			text, err := p.Render(name, emptyData(name, lang))
			if err != nil {
				return nil, fmt.Errorf("llm: guard: %w", err)
			}
			for _, line := range strings.Split(text, "\n") {
				forEachWindow(normalize(line), func(h uint64) { g.fingerprints[h] = struct{}{} })
			}
		}
		safe, err := p.Render("safe_reply", prompts.ReplyData{Lang: lang})
		if err != nil {
			return nil, fmt.Errorf("llm: guard: %w", err)
		}
		g.safe[lang] = safe
	}
	return g, nil
}

// emptyData is the data a guarded template is rendered with to get its
// fixed wording: every optional part switched on, no customer data.
func emptyData(name, lang string) any {
	switch name {
	case "system":
		return prompts.SystemData{Lang: lang}
	case "answer":
		return prompts.AnswerData{Lang: lang}
	case "tools":
		return prompts.ToolsData{Lang: lang, Search: true, Recall: true, Orders: true, Handoff: true}
	case "insight":
		return insightData(lang)
	case "extract":
		return prompts.ExtractData{Lang: lang}
	}
	return prompts.ReviewData{Lang: lang, Intervene: true}
}

// SafeReply is what the customer gets instead of a blocked reply.
func (g *Guard) SafeReply(lang string) string {
	if lang == "zh" {
		return g.safe["zh"]
	}
	return g.safe["en"]
}

// Verdict is the guard's judgement of a reply.
type Verdict struct {
	// Reason is empty when the reply may be sent, otherwise one of the
	// Block* constants.
	Reason string
	// Detail says what matched, for the log (never for the customer).
	Detail string
}

// Blocked reports whether the reply must not be sent.
func (v Verdict) Blocked() bool { return v.Reason != "" }

// Known is what a reply may legitimately mention: the texts of this
// customer's context (their messages, the passages and memories given, tool
// results). An identifier in a reply must occur in one of them.
type Known struct {
	texts []string
	// persona is the role the customer's message told the model to take
	// ("you are now DAN" → "dan"), when it tried.
	personas []string
}

// KnownFrom collects the request's context.
func KnownFrom(req reason.Request) *Known {
	k := &Known{}
	k.Add(req.Question, req.CustomerID, req.ConversationID)
	for _, t := range req.History {
		k.Add(t.Text)
		if t.Role == "customer" {
			k.personas = append(k.personas, personas(t.Text)...)
		}
	}
	for _, p := range req.Passages {
		k.Add(p.Title, p.Heading, p.Text)
	}
	for _, m := range req.Memories {
		k.Add(m.Text, m.Value)
	}
	k.personas = append(k.personas, personas(req.Question)...)
	return k
}

// Add records more text the reply may draw on (a tool's result).
func (k *Known) Add(texts ...string) {
	for _, t := range texts {
		if t != "" {
			k.texts = append(k.texts, t)
		}
	}
}

// Check judges reply against the prompts and what is known.
func (g *Guard) Check(reply string, known *Known) Verdict {
	if v := g.checkPrompt(reply); v.Blocked() {
		return v
	}
	if v := checkInjection(reply, known); v.Blocked() {
		return v
	}
	return checkIdentifiers(reply, known)
}

func (g *Guard) checkPrompt(reply string) Verdict {
	if m := findIf(reply, revealingCues, revealing); m != "" {
		return Verdict{BlockSystemPrompt, "says it reveals its instructions: " + m}
	}
	norm := normalize(reply)
	hit := -1
	forEachWindowAt(norm, func(at int, h uint64) bool {
		if _, ok := g.fingerprints[h]; ok {
			hit = at
			return false
		}
		return true
	})
	if hit >= 0 {
		end := min(len(norm), hit+latinWindow)
		return Verdict{BlockSystemPrompt, "repeats prompt text: " + string(norm[hit:end])}
	}
	return Verdict{}
}

// revealing matches a reply announcing its own instructions.
var revealing = regexp.MustCompile(`(?i)\b(?:my|the) (?:system prompt|system message|hidden instructions|initial instructions|original instructions)\b|` +
	`(?:我的|以下是|下面是|这是)(?:系统)?(?:提示词|系统指令|系统提示|内部指令|全部指令)|系统提示词`)

// complying matches a reply that took on an injected role or mode.
var complying = regexp.MustCompile(`(?i)\bI(?:'m| am) (?:now )?(?:DAN|an? (?:unrestricted|unfiltered|jailbroken)\b)|` +
	`\bDAN mode\b|\bjailbr(?:eak|oken)\b|\bdeveloper mode (?:enabled|activated|on)\b|` +
	`\bI (?:have|am under) no (?:restrictions|rules|limits|filters)\b|` +
	`\b(?:ignoring|I(?:'ll| will) ignore|I have ignored) (?:all )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|rules)\b|` +
	`我(?:现在)?(?:是|就是)\s*DAN|(?:已经?|现在)?(?:进入|开启|切换到?)了?(?:开发者|越狱|DAN)模式|` +
	`(?:已经?|我会|我将)?(?:忽略|无视)了?(?:之前|以上|上面|前面|先前)的?(?:所有)?(?:指令|规则|设定|说明)|` +
	`我(?:现在)?(?:没有|不受)任何(?:限制|约束|规则)`)

// Cheap cues: a regexp runs only when the lower-cased reply contains one of
// its cues, which keeps the guard's cost on an ordinary reply to a few
// substring searches.
var (
	revealingCues = []string{"system", "instructions", "提示", "指令"}
	complyingCues = []string{"dan", "jailbr", "developer mode", "no restrictions", "no rules", "no limits", "no filters",
		"ignor", "unrestricted", "unfiltered", "模式", "忽略", "无视", "限制", "约束"}
)

// findIf returns re's first match in s when s contains one of cues.
func findIf(s string, cues []string, re *regexp.Regexp) string {
	lower := strings.ToLower(s)
	for _, c := range cues {
		if strings.Contains(lower, c) {
			return re.FindString(s)
		}
	}
	return ""
}

// personaRe finds the role a message tells the assistant to take.
var personaRe = regexp.MustCompile(`(?i)\byou are now (?:a |an |the )?([\p{L}\p{N} _-]{2,30})|(?:你现在是|你从现在起是|现在你是|你扮演)\s*([\p{L}\p{N}_-]{2,12})`)

func personas(text string) []string {
	var out []string
	for _, m := range personaRe.FindAllStringSubmatch(text, 4) {
		p := strings.TrimSpace(m[1] + m[2])
		// Keep the role's first words: "DAN, an AI without rules" → "DAN".
		if f := strings.FieldsFunc(p, func(r rune) bool { return r == ',' || r == '，' }); len(f) > 0 {
			p = strings.TrimSpace(f[0])
		}
		if utf8.RuneCountInString(p) >= 2 {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

func checkInjection(reply string, known *Known) Verdict {
	if m := findIf(reply, complyingCues, complying); m != "" {
		return Verdict{BlockInjection, "follows injected instructions: " + m}
	}
	if len(known.personas) == 0 {
		return Verdict{}
	}
	lower := strings.ToLower(reply)
	for _, p := range known.personas {
		for _, claim := range []string{"i am " + p, "i'm " + p, "我是" + p, "我现在是" + p, "作为" + p} {
			if strings.Contains(lower, claim) {
				return Verdict{BlockInjection, "took the role the customer's message set: " + claim}
			}
		}
	}
	return Verdict{}
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	dateRe  = regexp.MustCompile(`^\d{4}[-/]\d{1,2}[-/]\d{1,2}$`)
)

// checkIdentifiers blocks e-mail addresses, phone numbers and ids that this
// customer's context does not contain.
func checkIdentifiers(reply string, known *Known) Verdict {
	at := strings.Contains(reply, "@")
	if !at && digits(reply) < 6 {
		return Verdict{}
	}
	var haveLower, haveKey string
	ensure := func() {
		if haveKey == "" {
			joined := strings.Join(known.texts, "\n")
			haveLower, haveKey = strings.ToLower(joined), idKey(joined)
		}
	}
	if at {
		for _, e := range emailRe.FindAllString(reply, -1) {
			ensure()
			if !strings.Contains(haveLower, strings.ToLower(e)) {
				return Verdict{BlockForeignData, "unknown e-mail address " + e}
			}
		}
	}
	// Phone numbers: digits with spaces, dashes and brackets between them.
	for _, p := range spans(reply, func(r rune) bool { return r >= '0' && r <= '9' || strings.ContainsRune("+-() ", r) }) {
		p = strings.Trim(p, " -()")
		if digits(p) < 8 || dateRe.MatchString(p) {
			continue
		}
		ensure()
		if !strings.Contains(haveKey, idKey(p)) {
			return Verdict{BlockForeignData, "unknown phone number " + p}
		}
	}
	// Order numbers and ids: letters, digits and separators with at least
	// six digits.
	for _, id := range spans(reply, func(r rune) bool { return r < utf8.RuneSelf && (isAlnum(r) || strings.ContainsRune("_-#/", r)) }) {
		id = strings.Trim(id, "_-#/")
		if digits(id) < 6 || dateRe.MatchString(id) {
			continue
		}
		ensure()
		if !strings.Contains(haveKey, idKey(id)) {
			return Verdict{BlockForeignData, "unknown identifier " + id}
		}
	}
	return Verdict{}
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// spans returns the maximal runs of s whose runes satisfy in and that hold
// a digit.
func spans(s string, in func(rune) bool) []string {
	var out []string
	start, hasDigit := -1, false
	for i, r := range s {
		if in(r) {
			if start < 0 {
				start, hasDigit = i, false
			}
			hasDigit = hasDigit || r >= '0' && r <= '9'
			continue
		}
		if start >= 0 && hasDigit {
			out = append(out, s[start:i])
		}
		start = -1
	}
	if start >= 0 && hasDigit {
		out = append(out, s[start:])
	}
	return out
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// idKey is s upper-cased without separators, so "138-0013-8000" and
// "13800138000" compare equal.
func idKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == '-' || r == '_' || r == '#' || r == '/' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalize keeps letters, digits and Han characters, lower-cased.
func normalize(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToLower(r))
		}
	}
	return out
}

// windowLen is the length of the window starting with r.
func windowLen(r rune) int {
	if unicode.Is(unicode.Han, r) {
		return hanWindow
	}
	return latinWindow
}

func forEachWindow(norm []rune, f func(uint64)) {
	forEachWindowAt(norm, func(_ int, h uint64) bool { f(h); return true })
}

// forEachWindowAt hashes each window of norm until f returns false.
func forEachWindowAt(norm []rune, f func(at int, h uint64) bool) {
	h := fnv.New64a()
	var buf [4]byte
	for i, r := range norm {
		n := windowLen(r)
		if i+n > len(norm) {
			continue
		}
		h.Reset()
		for _, x := range norm[i : i+n] {
			k := utf8.EncodeRune(buf[:], x)
			h.Write(buf[:k])
		}
		if !f(i, h.Sum64()) {
			return
		}
	}
}
