package stream

import (
	"encoding/json"
	"time"

	"github.com/kairoscx/kairos/internal/jsonscan"
)

// decodeChannelEvent parses a channel event's envelope as json.Unmarshal
// does into ce. Channel events are published by our own channels in one
// plain shape (channels.Event marshalled by encoding/json), so a small
// parser reads that shape without reflection, and hands anything else —
// unknown, repeated or differently cased keys, escapes or non-ASCII in
// strings, numbers other than a plain integer, props that are not an
// object, trailing data — to json.Unmarshal. Both give the same result
// for every input: the fast path accepts only documents it reads exactly
// as the standard decoder would, and the props it slices out (from their
// opening to their matching closing brace, strings and escapes skipped)
// are fully parsed by profile.ValidateProps afterwards, as they are after
// json.Unmarshal. (TestDecodeChannelEventMatchesJSON, FuzzDecodeChannelEvent.)
func decodeChannelEvent(data []byte, ce *channelEvent) error {
	if fastChannelEvent(data, ce) {
		return nil
	}
	*ce = channelEvent{}
	return json.Unmarshal(data, ce)
}

// Fields of channelEvent seen by the fast path (each at most once).
const (
	fieldV = 1 << iota
	fieldID
	fieldName
	fieldCustomer
	fieldChannel
	fieldProps
	fieldAt
)

func fastChannelEvent(data []byte, ce *channelEvent) bool {
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(data, i+1)
	seen := 0
	if i < len(data) && data[i] == '}' {
		return jsonscan.SkipSpace(data, i+1) == len(data)
	}
	for {
		key, j, ok := plainString(data, i)
		if !ok {
			return false
		}
		i = jsonscan.SkipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = jsonscan.SkipSpace(data, i+1)
		var field int
		switch string(key) {
		case "v":
			field = fieldV
			n, j := 0, i
			for j < len(data) && data[j] >= '0' && data[j] <= '9' && j-i < 9 {
				n = n*10 + int(data[j]-'0')
				j++
			}
			// A plain integer: no sign, fraction, exponent or leading zero.
			if j == i || (data[i] == '0' && j-i > 1) || (j < len(data) && (data[j] == '.' || data[j] == 'e' || data[j] == 'E' || data[j] >= '0' && data[j] <= '9')) {
				return false
			}
			ce.V, i = n, j
		case "id", "name", "customer_id", "channel", "at":
			s, j, ok := plainString(data, i)
			if !ok {
				return false
			}
			switch string(key) {
			case "id":
				field, ce.ID = fieldID, string(s)
			case "name":
				field, ce.Name = fieldName, string(s)
			case "customer_id":
				field, ce.CustomerID = fieldCustomer, string(s)
			case "channel":
				field, ce.Channel = fieldChannel, string(s)
			case "at":
				field = fieldAt
				if ce.At.UnmarshalJSON(data[i:j]) != nil {
					return false
				}
			}
			i = j
		case "props":
			field = fieldProps
			j, ok := objectEnd(data, i)
			if !ok {
				return false
			}
			ce.Props, i = json.RawMessage(data[i:j:j]), j
		default:
			return false
		}
		if seen&field != 0 {
			return false
		}
		seen |= field
		i = jsonscan.SkipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = jsonscan.SkipSpace(data, i+1)
		case '}':
			return jsonscan.SkipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// plainString reads a JSON string at b[i] of printable ASCII without
// escapes, returning its contents and the index after it. Only printable
// ASCII: the envelope's strings are IDs, names and times, and anything
// else is left to json.Unmarshal.
func plainString(b []byte, i int) ([]byte, int, bool) {
	j, printable, ok := jsonscan.PlainString(b, i)
	if !ok || !printable {
		return nil, 0, false
	}
	return b[i+1 : j-1], j, true
}

// objectEnd finds the end of the JSON object starting at b[i]: the index
// after the brace that closes it, skipping strings (and their escapes).
// It does not check the object's contents.
func objectEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, b[j] == '}'
			}
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			if j >= len(b) {
				return 0, false
			}
		}
	}
	return 0, false
}

// ackTime reads the time the stream stored a message from its reply
// subject (the ack subject JetStream delivers with), as
// jetstream.Msg.Metadata does, without building the rest of the metadata:
// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<nanos>.<pending>
// or, with a domain and account hash first, 11 tokens or more with the
// time tenth. Anything else is left to Metadata.
func ackTime(reply string) (time.Time, bool) {
	var tok [13]string
	n := 0
	start := 0
	for i := 0; i <= len(reply); i++ {
		if i == len(reply) || reply[i] == '.' {
			if n == len(tok) {
				return time.Time{}, false
			}
			tok[n] = reply[start:i]
			n++
			start = i + 1
		}
	}
	if n < 9 || tok[0] != "$JS" || tok[1] != "ACK" {
		return time.Time{}, false
	}
	var ts string
	switch {
	case n == 9:
		ts = tok[7]
	case n >= 11:
		ts = tok[9]
	default:
		return time.Time{}, false
	}
	var ns int64
	if ts == "" || len(ts) > 19 {
		return time.Time{}, false
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return time.Time{}, false
		}
		ns = ns*10 + int64(ts[i]-'0')
	}
	return time.Unix(0, ns), true
}
