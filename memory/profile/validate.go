package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// Limits on an event's envelope.
const (
	// MaxIDBytes bounds an event id (the stores' limit).
	MaxIDBytes = memory.MaxEventIDLen
	// MaxPropsBytes bounds an event's props (the stores' limit): room for
	// an order of a couple of hundred items.
	MaxPropsBytes = memory.MaxEventProps
	// MaxSkew is how far in the future an event's time may lie, to allow
	// for clocks a little ahead of ours.
	MaxSkew = 5 * time.Minute
	// MaxAge is how old an event may be. Older events are almost always a
	// unit mistake (seconds sent as milliseconds, a zero date) and would
	// distort lifetime figures.
	MaxAge = 2 * 365 * 24 * time.Hour
)

// FieldError says which field of an event is wrong and why. It wraps
// memory.ErrInvalid.
type FieldError struct {
	Field   string // "type", "at", "props.items[2].qty", ...
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap makes errors.Is(err, memory.ErrInvalid) true.
func (e *FieldError) Unwrap() error { return memory.ErrInvalid }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Validate checks an event as ingestion receives it: its id, type, time
// (against now, see MaxSkew and MaxAge) and props (see Types). The
// customer is the caller's to resolve. The error is a *FieldError.
func Validate(ev memory.Event, now time.Time) error {
	if err := ValidateID(ev.ID); err != nil {
		return err
	}
	if err := ValidateType(ev.Type); err != nil {
		return err
	}
	if err := ValidateTime(ev.At, now); err != nil {
		return err
	}
	return ValidateProps(ev.Type, ev.Props)
}

// ValidateID checks an event id: 1 to MaxIDBytes bytes of printable UTF-8
// (it is sent as a NATS header and stored as is).
func ValidateID(id string) error {
	if id == "" {
		return fieldErr("id", "is required")
	}
	if len(id) > MaxIDBytes {
		return fieldErr("id", "is %d bytes, more than %d", len(id), MaxIDBytes)
	}
	if !utf8.ValidString(id) {
		return fieldErr("id", "is not UTF-8")
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return fieldErr("id", "contains a character that is not printable")
		}
	}
	return nil
}

// ValidateType checks an event type: a standard type, or a custom one of
// 1 to 64 characters matching [a-z][a-z0-9_.]*.
func ValidateType(typ string) error {
	if typ == "" {
		return fieldErr("type", "is required")
	}
	if len(typ) > 64 {
		return fieldErr("type", "is %d characters, more than 64", len(typ))
	}
	if typ[0] < 'a' || typ[0] > 'z' {
		return fieldErr("type", "%q must start with a letter a-z", typ)
	}
	for i := 1; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return fieldErr("type", "%q: only a-z, 0-9, _ and . are allowed", typ)
		}
	}
	return nil
}

// ValidateTime checks when an event happened against now.
func ValidateTime(at, now time.Time) error {
	switch {
	case at.IsZero():
		return fieldErr("at", "is required")
	case at.After(now.Add(MaxSkew)):
		return fieldErr("at", "%s is in the future (more than %s ahead of %s)",
			at.UTC().Format(time.RFC3339), MaxSkew, now.UTC().Format(time.RFC3339))
	case at.Before(now.Add(-MaxAge)):
		return fieldErr("at", "%s is more than two years old", at.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateProps checks an event's props: a JSON object (absent or null
// counts as empty) of at most MaxPropsBytes; for a standard type, its
// documented props with their types and ranges. Props beyond the
// documented ones are allowed and kept.
func ValidateProps(typ string, props json.RawMessage) error {
	if len(props) > MaxPropsBytes {
		return fieldErr("props", "is %d bytes, more than %d", len(props), MaxPropsBytes)
	}
	obj, err := decodeObject(props)
	if err != nil {
		return err
	}
	spec, ok := types[typ]
	if !ok {
		return nil
	}
	return spec.check(obj)
}

// decodeObject parses props as a JSON object; absent and null are empty.
func decodeObject(props json.RawMessage) (map[string]json.RawMessage, error) {
	p := bytes.TrimSpace(props)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return map[string]json.RawMessage{}, nil
	}
	if p[0] != '{' {
		return nil, fieldErr("props", "must be a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(p, &obj); err != nil {
		return nil, fieldErr("props", "is not valid JSON: %v", err)
	}
	if bytes.Contains(p, []byte(`\u0000`)) {
		return nil, fieldErr("props", "must not contain NUL characters")
	}
	return obj, nil
}
