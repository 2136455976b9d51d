package knowledge

import (
	"strings"
)

// MaxChunkRunes is the longest chunk cut from a document. A section of a
// help page (a heading and its few paragraphs) usually fits and then stays
// whole, so a chunk says everything its heading promises; small enough that a
// passage is still about one thing.
const MaxChunkRunes = 600

// piece is a chunk before it gets an id, terms and an embedding.
type piece struct {
	Heading string
	Text    string
}

// section is the text under one heading path.
type section struct {
	heading string
	body    []string // lines
}

// chunkMarkdown cuts Markdown by headings (the heading path becomes the
// chunk's Heading), then by paragraphs, then by sentences.
func chunkMarkdown(text string) []piece {
	var (
		out   []piece
		path  []string // heading text per level, index 0 = level 1
		cur   section
		fence string
	)
	flush := func() {
		for _, t := range packParagraphs(paragraphs(cur.body)) {
			out = append(out, piece{Heading: cur.heading, Text: t})
		}
		cur.body = cur.body[:0]
	}
	for _, line := range strings.Split(normalizeNewlines(text), "\n") {
		trimmed := strings.TrimSpace(line)
		if f := fenceMarker(trimmed); f != "" && (fence == "" || strings.HasPrefix(trimmed, fence)) {
			if fence == "" {
				fence = f
			} else {
				fence = ""
			}
			cur.body = append(cur.body, line)
			continue
		}
		if fence == "" {
			if level, title, ok := atxHeading(line); ok {
				flush()
				// A level-3 heading drops any deeper levels and keeps
				// levels 1–2 (left empty when the document skipped them).
				path = path[:min(level-1, len(path))]
				for len(path) < level-1 {
					path = append(path, "")
				}
				path = append(path, title)
				cur.heading = joinPath(path)
				continue
			}
			if isThematicBreak(trimmed) {
				cur.body = append(cur.body, "")
				continue
			}
		}
		cur.body = append(cur.body, line)
	}
	flush()
	return out
}

// chunkText cuts plain text by paragraphs, then by sentences.
func chunkText(text string) []piece {
	var out []piece
	lines := strings.Split(normalizeNewlines(text), "\n")
	for _, t := range packParagraphs(paragraphs(lines)) {
		out = append(out, piece{Text: t})
	}
	return out
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// joinPath joins the non-empty heading levels ("Returns > Refund timing").
func joinPath(path []string) string {
	var parts []string
	for _, p := range path {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " > ")
}

// atxHeading recognises "# Title" to "###### Title" (up to three leading
// spaces, optional closing hashes).
func atxHeading(line string) (level int, title string, ok bool) {
	s := line
	for i := 0; i < 3 && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 6 {
		return 0, "", false
	}
	rest := s[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false
	}
	rest = strings.TrimSpace(rest)
	if t := strings.TrimRight(rest, "#"); t != rest && (t == "" || strings.HasSuffix(t, " ")) {
		rest = strings.TrimSpace(t)
	}
	if rest == "" {
		return 0, "", false
	}
	return level, rest, true
}

func fenceMarker(trimmed string) string {
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(trimmed, f) {
			return f
		}
	}
	return ""
}

func isThematicBreak(trimmed string) bool {
	if len(trimmed) < 3 {
		return false
	}
	c := trimmed[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(trimmed); i++ {
		switch trimmed[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// firstHeading returns the text of the first ATX heading outside code
// fences, or "".
func firstHeading(text string) string {
	fence := ""
	for _, line := range strings.Split(normalizeNewlines(text), "\n") {
		trimmed := strings.TrimSpace(line)
		if f := fenceMarker(trimmed); f != "" {
			if fence == "" {
				fence = f
			} else if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		if _, title, ok := atxHeading(line); ok {
			return title
		}
	}
	return ""
}

// paragraphs groups lines into blank-line separated paragraphs.
func paragraphs(lines []string) []string {
	var out []string
	var cur []string
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				out = append(out, strings.TrimSpace(strings.Join(cur, "\n")))
				cur = cur[:0]
			}
			continue
		}
		cur = append(cur, strings.TrimRight(l, " \t"))
	}
	if len(cur) > 0 {
		out = append(out, strings.TrimSpace(strings.Join(cur, "\n")))
	}
	return out
}

// splitSentences cuts text after Chinese sentence ends (。！？；), after
// English ones (. ! ? followed by a space) and at line breaks. The pieces
// concatenate back to text.
func splitSentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs); i++ {
		end := -1
		switch rs[i] {
		case '。', '！', '？', '；', '\n':
			end = i + 1
		case '.', '!', '?':
			if i+1 < len(rs) && (rs[i+1] == ' ' || rs[i+1] == '\t') {
				end = i + 2
			}
		}
		if end < 0 {
			continue
		}
		// Closing quotes and brackets belong to the sentence they end.
		for end < len(rs) && strings.ContainsRune("”’\"')）」』", rs[end]) {
			end++
		}
		out = append(out, string(rs[start:end]))
		start = end
		i = end - 1
	}
	if start < len(rs) {
		out = append(out, string(rs[start:]))
	}
	return out
}

// hardCut splits one over-long sentence into pieces of at most
// MaxChunkRunes, preferring to cut after a space or comma in the second half
// of each window.
func hardCut(s string) []string {
	var out []string
	rs := []rune(strings.TrimSpace(s))
	for len(rs) > MaxChunkRunes {
		cut := MaxChunkRunes
		for i := MaxChunkRunes - 1; i > MaxChunkRunes/2; i-- {
			if strings.ContainsRune(" ，,、", rs[i]) {
				cut = i + 1
				break
			}
		}
		if p := strings.TrimSpace(string(rs[:cut])); p != "" {
			out = append(out, p)
		}
		rs = rs[cut:]
	}
	if p := strings.TrimSpace(string(rs)); p != "" {
		out = append(out, p)
	}
	return out
}
