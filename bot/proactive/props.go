package proactive

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeProps decodes an event's props, a JSON object, as json.Unmarshal
// into a map[string]any does. Most props are flat — strings without
// escapes, numbers, booleans, null — and those are read by a small scanner
// that does not go through reflection; anything else (nested values,
// escapes, invalid UTF-8, anything malformed) is left to json.Unmarshal,
// so the results and the errors are its own. TestDecodePropsMatchesJSON
// and FuzzDecodeProps compare the two.
func decodeProps(b []byte) (map[string]any, error) {
	if m, ok := decodeFlat(b); ok {
		return m, nil
	}
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}

// decodeFlat reads a flat JSON object; ok is false when b is anything
// else.
func decodeFlat(b []byte) (map[string]any, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	m := make(map[string]any, 4)
	// Keys and string values are cut from one copy of the object (they
	// have no escapes, so their bytes are their text): one allocation
	// instead of one per string.
	all := string(b)
	str := func(i int) (string, int, bool) {
		start, end, next, ok := flatString(b, i)
		return all[start:end], next, ok
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := str(i)
		if !ok {
			return nil, false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return nil, false
		}
		var v any
		switch c := b[i]; {
		case c == '"':
			s, j, ok := str(i)
			if !ok {
				return nil, false
			}
			v, i = s, j
		case c == 't' && hasWord(b, i, "true"):
			v, i = true, i+4
		case c == 'f' && hasWord(b, i, "false"):
			v, i = false, i+5
		case c == 'n' && hasWord(b, i, "null"):
			v, i = nil, i+4
		case c == '-' || c >= '0' && c <= '9':
			j, ok := numberEnd(b, i)
			if !ok {
				return nil, false
			}
			f, err := strconv.ParseFloat(string(b[i:j]), 64)
			if err != nil {
				return nil, false
			}
			v, i = f, j
		default:
			return nil, false // nested, or malformed
		}
		m[key] = v
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return m, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}

// flatString reads a JSON string at b[i] without escapes or control
// characters, in valid UTF-8: its text is b[start:end], and next is the
// index after it.
func flatString(b []byte, i int) (start, end, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, 0, false
	}
	ascii := true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[i+1:j]) {
				return 0, 0, 0, false
			}
			return i + 1, j, j + 1, true
		case c == '\\' || c < 0x20:
			return 0, 0, 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return 0, 0, 0, false
}

// numberEnd returns the end of the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
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
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
