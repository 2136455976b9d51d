package ingest

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSON appends e as JSON, as json.Marshal writes it (same fields,
// same omissions) but without reflection: the API encodes every event it
// accepts for the stream. Props is appended as it is; it is valid JSON,
// as decoded.
func (e *Event) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if e.V != 0 {
		b = append(b, `"v":`...)
		b = strconv.AppendInt(b, int64(e.V), 10)
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"customer":{`...)
	c := e.Customer
	if c.ID != "" {
		b = append(b, `"id":`...)
		b = appendString(b, c.ID)
	}
	if c.Identity != nil {
		if c.ID != "" {
			b = append(b, ',')
		}
		b = append(b, `"identity":{"kind":`...)
		b = appendString(b, c.Identity.Kind)
		b = append(b, `,"value":`...)
		b = appendString(b, c.Identity.Value)
		b = append(b, '}')
	}
	b = append(b, '}')
	if !e.At.IsZero() {
		b = append(b, `,"at":"`...)
		b = e.At.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if e.Source != "" {
		b = append(b, `,"source":`...)
		b = appendString(b, e.Source)
	}
	if len(e.Props) > 0 {
		b = append(b, `,"props":`...)
		b = append(b, e.Props...)
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD (as
// encoding/json does; it leaves HTML characters alone here, which JSON
// does not need escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
