package knowledge

import (
	"strings"
	"unicode/utf8"
)

// minTailRunes is the shortest piece worth being a chunk of its own. A
// shorter remnant ("During sales, delivery may take 1–2 days longer.") says
// little without the passage it qualifies; searched alone it can outrank the
// passage and be quoted as the whole answer, so it joins its neighbour.
const minTailRunes = 120

// unit is a stretch of a section that packing never splits: a paragraph, a
// list with the sentence that leads into it, or one sentence. sep is what
// goes before it when it shares a chunk with the unit before.
type unit struct {
	text string
	sep  string
}

// packParagraphs cuts a section's paragraphs into chunk texts of at most
// MaxChunkRunes. A section that fits stays whole; a longer one is cut between
// paragraphs (or, inside an over-long paragraph, between lists and
// sentences) into pieces of about equal size, and a short last piece joins
// the one before it.
func packParagraphs(paras []string) []string {
	whole := strings.Join(paras, "\n\n")
	if whole == "" {
		return nil
	}
	if utf8.RuneCountInString(whole) <= MaxChunkRunes {
		return []string{whole}
	}
	var units []unit
	for _, p := range paras {
		units = append(units, paragraphUnits(p)...)
	}
	return mergeShort(packUnits(units))
}

// packUnits fills pieces up to about total/⌈total/MaxChunkRunes⌉ runes, so a
// section of 700 runes becomes two of ~350 rather than 600 and 100.
func packUnits(units []unit) []string {
	total := 0
	for _, u := range units {
		total += utf8.RuneCountInString(u.sep) + utf8.RuneCountInString(u.text)
	}
	n := (total + MaxChunkRunes - 1) / MaxChunkRunes
	target := total / max(n, 1)
	var out []string
	var cur strings.Builder
	curRunes := 0
	emit := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
		curRunes = 0
	}
	for _, u := range units {
		n := utf8.RuneCountInString(u.text)
		sep := utf8.RuneCountInString(u.sep)
		if curRunes > 0 && (curRunes+sep+n > MaxChunkRunes || curRunes >= target) {
			emit()
		}
		if curRunes > 0 {
			cur.WriteString(u.sep)
			curRunes += sep
		}
		cur.WriteString(u.text)
		curRunes += n
	}
	emit()
	return out
}

// mergeShort joins a piece shorter than minTailRunes to its neighbour (the
// one before, else the one after) when the two fit in one chunk.
func mergeShort(pieces []string) []string {
	for i := 0; i < len(pieces) && len(pieces) > 1; {
		if utf8.RuneCountInString(pieces[i]) >= minTailRunes {
			i++
			continue
		}
		j := i - 1 // merge pieces[j] and pieces[j+1]
		if i == 0 || !fits(pieces[i-1], pieces[i]) {
			j = i
		}
		if j+1 >= len(pieces) || !fits(pieces[j], pieces[j+1]) {
			i++
			continue
		}
		pieces[j] = pieces[j] + "\n\n" + pieces[j+1]
		pieces = append(pieces[:j+1], pieces[j+2:]...)
		i = max(j, 0)
	}
	return pieces
}

func fits(a, b string) bool {
	return utf8.RuneCountInString(a)+2+utf8.RuneCountInString(b) <= MaxChunkRunes
}

// paragraphUnits returns p as one unit, or, when p alone is too long, as a
// unit per list (with its lead line) and per sentence of the prose between.
func paragraphUnits(p string) []unit {
	if utf8.RuneCountInString(p) <= MaxChunkRunes {
		return []unit{{text: p, sep: "\n\n"}}
	}
	var out []unit
	sep := "\n\n"
	for _, g := range lineGroups(strings.Split(p, "\n")) {
		text := strings.Join(g.lines, "\n")
		switch {
		case utf8.RuneCountInString(text) <= MaxChunkRunes:
			out = append(out, unit{text: text, sep: sep})
		case g.list:
			// A list too long for one chunk is cut between items, never
			// inside one.
			for i, l := range g.lines {
				s := "\n"
				if i == 0 {
					s = sep
				}
				out = append(out, sentenceUnits(l, s)...)
			}
		default:
			out = append(out, sentenceUnits(text, sep)...)
		}
		sep = "\n"
	}
	return out
}

// sentenceUnits cuts text at sentence ends, and a sentence longer than a
// chunk at a space or comma.
func sentenceUnits(text, sep string) []unit {
	var out []unit
	for _, s := range splitSentences(text) {
		parts := []string{s}
		if utf8.RuneCountInString(s) > MaxChunkRunes {
			parts = hardCut(s)
		}
		for _, part := range parts {
			if strings.TrimSpace(part) == "" {
				continue
			}
			out = append(out, unit{text: part, sep: sep})
			sep = ""
		}
	}
	return out
}

// lineGroup is a run of lines kept in one chunk when it fits: a list or
// table with the line that introduces it, or prose.
type lineGroup struct {
	lines []string
	list  bool
}

func lineGroups(lines []string) []lineGroup {
	var out []lineGroup
	for _, l := range lines {
		item := isListItem(l)
		last := len(out) - 1
		switch {
		case last >= 0 && out[last].list == item:
			out[last].lines = append(out[last].lines, l)
		case item && last >= 0:
			// The prose line just before a list leads into it ("Orders of
			// ¥600 or more can be paid in instalments:"), so it moves over.
			lead := out[last].lines[len(out[last].lines)-1]
			out[last].lines = out[last].lines[:len(out[last].lines)-1]
			if len(out[last].lines) == 0 {
				out = out[:last]
			}
			out = append(out, lineGroup{lines: []string{lead, l}, list: true})
		default:
			out = append(out, lineGroup{lines: []string{l}, list: item})
		}
	}
	return out
}

// isListItem recognises Markdown list items ("- ", "* ", "+ ", "1. ",
// "1) ") and table rows ("| a | b |").
func isListItem(line string) bool {
	s := strings.TrimLeft(line, " \t")
	switch {
	case strings.HasPrefix(s, "- "), strings.HasPrefix(s, "* "), strings.HasPrefix(s, "+ "),
		strings.HasPrefix(s, "• "), strings.HasPrefix(s, "|"):
		return true
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	rest := s[i:]
	return strings.HasPrefix(rest, "、") || strings.HasPrefix(rest, ". ") || strings.HasPrefix(rest, ") ") ||
		strings.HasPrefix(rest, ".\t")
}
