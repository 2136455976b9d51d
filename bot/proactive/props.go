package proactive

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/kairoscx/kairos/internal/jsonscan"
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
	i := jsonscan.SkipSpace(b, 0)
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
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, jsonscan.SkipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := str(i)
		if !ok {
			return nil, false
		}
		i = jsonscan.SkipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = jsonscan.SkipSpace(b, i+1)
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
		case c == 't' && jsonscan.Literal(b, i, "true"):
			v, i = true, i+4
		case c == 'f' && jsonscan.Literal(b, i, "false"):
			v, i = false, i+5
		case c == 'n' && jsonscan.Literal(b, i, "null"):
			v, i = nil, i+4
		case c == '-' || c >= '0' && c <= '9':
			j, ok := jsonscan.NumberEnd(b, i)
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
		i = jsonscan.SkipSpace(b, i)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = jsonscan.SkipSpace(b, i+1)
		case '}':
			return m, jsonscan.SkipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// flatString reads a JSON string at b[i] without escapes or control
// characters, in valid UTF-8 (encoding/json would replace invalid bytes):
// its text is b[start:end], and next is the index after it.
func flatString(b []byte, i int) (start, end, next int, ok bool) {
	next, printable, ok := jsonscan.PlainString(b, i)
	if !ok || !printable && !utf8.Valid(b[i+1:next-1]) {
		return 0, 0, 0, false
	}
	return i + 1, next - 1, next, true
}
