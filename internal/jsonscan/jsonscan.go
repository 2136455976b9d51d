// Package jsonscan provides the scanning steps shared by Kairos's
// hand-written fast paths for flat JSON objects.
//
// Each step reads one token of a JSON document at an index and says where
// it ends, or declines. The fast paths built on it (bot/outcomes,
// bot/proactive, bot/proactive/stream) hand whatever they decline to
// encoding/json, so a step may decline valid JSON but must never accept
// what encoding/json would read differently.
package jsonscan

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace (space, tab, newline, carriage return), or len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// Literal reports whether b holds lit (true, false or null) at i. It does
// not look at the byte after it: the caller's next step rejects "truex".
func Literal(b []byte, i int, lit string) bool {
	return i >= 0 && len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// NumberEnd returns the index after the JSON number at b[i], read as
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and false when b[i]
// does not start one. It stops at the first byte the grammar cannot take,
// so "01" ends after "0" and "1x" after "1": the caller decides whether
// what follows may follow a number.
func NumberEnd(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// PlainString reads the JSON string at b[i] if it has no escapes and no
// control characters, so that its bytes are its text: b[i+1 : end-1],
// with end the index after the closing quote. It declines anything else
// (no string at i, a backslash, a byte below 0x20, no closing quote).
//
// It does not check UTF-8. printable reports whether every byte of the
// text is printable ASCII (0x20-0x7e); when it is false the text holds
// DEL or bytes of 0x80 and above, and a caller that keeps the text must
// check it is valid UTF-8 (encoding/json replaces invalid bytes) or
// decline it.
func PlainString(b []byte, i int) (end int, printable, ok bool) {
	if i < 0 || i >= len(b) || b[i] != '"' {
		return 0, false, false
	}
	printable = true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, printable, true
		case c == '\\' || c < 0x20:
			return 0, false, false
		case c >= 0x7f:
			printable = false
		}
	}
	return 0, false, false
}
