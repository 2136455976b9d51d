package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Event is one event as business systems send it, in a POST
// /api/v1/events batch or as a message on SubjectIn. Exactly one of
// Customer.ID and Customer.Identity addresses the customer.
type Event struct {
	V        int             `json:"v,omitempty"` // 1 on NATS; optional over HTTP
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Customer Customer        `json:"customer"`
	At       time.Time       `json:"at,omitzero"`      // RFC 3339; default: when Kairos received it
	Source   string          `json:"source,omitempty"` // default "api" (HTTP) or "nats"
	Props    json.RawMessage `json:"props,omitempty"`  // a JSON object
}

// Customer addresses an event's customer: by Kairos customer id (merged
// customers resolve to the survivor) or by an identity, which creates the
// customer on first sight.
type Customer struct {
	ID       string    `json:"id,omitempty"`
	Identity *Identity `json:"identity,omitempty"`
}

// Identity is one of memory's identity kinds and a value.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// wireEvent is Event as decoded, with the time kept raw so that a bad time
// is reported on the event ("at") rather than failing the whole body.
type wireEvent struct {
	V        int             `json:"v,omitempty"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Customer *Customer       `json:"customer"`
	At       json.RawMessage `json:"at,omitempty"`
	Source   string          `json:"source,omitempty"`
	Props    json.RawMessage `json:"props,omitempty"`
}

// decodeError is JSON that does not fit the Event shape: broken syntax, an
// unknown field, a wrong JSON type. Field names the offending field.
type decodeError struct {
	Field   string
	Message string
}

func (e *decodeError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data; errors are *decodeError naming the field, under prefix.
func decodeStrict(data []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, prefix)
	}
	if dec.More() {
		return &decodeError{Field: prefix, Message: "trailing data after the JSON value"}
	}
	return nil
}

// jsonError turns an encoding/json error into a decodeError naming the
// field it is about.
func jsonError(err error, prefix string) *decodeError {
	join := func(f string) string {
		switch {
		case prefix == "":
			return f
		case f == "":
			return prefix
		}
		return prefix + "." + f
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &decodeError{Field: join(te.Field), Message: fmt.Sprintf("must be a JSON %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &decodeError{Field: prefix, Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		f = strings.TrimSuffix(f, `"`)
		return &decodeError{Field: join(f), Message: "unknown field"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &decodeError{Field: prefix, Message: "malformed JSON: unexpected end"}
	}
	return &decodeError{Field: prefix, Message: "malformed JSON: " + strings.TrimPrefix(msg, "json: ")}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "struct", "map", "ptr":
		return "object"
	case "slice", "array":
		return "array"
	case "int", "int64", "float64":
		return "number"
	}
	return goKind
}

// decodeEvent parses one event object. A *decodeError means the JSON does
// not have the Event shape; a *profile.FieldError means a value is wrong.
func decodeEvent(data []byte, prefix string) (Event, error) {
	var w wireEvent
	if err := decodeStrict(data, &w, prefix); err != nil {
		return Event{}, err
	}
	e := Event{V: w.V, ID: w.ID, Type: w.Type, Source: w.Source, Props: w.Props}
	if w.Customer != nil {
		e.Customer = *w.Customer
	}
	if len(w.At) > 0 && !bytes.Equal(w.At, []byte("null")) {
		var s string
		if json.Unmarshal(w.At, &s) != nil {
			return e, &profile.FieldError{Field: "at", Message: "must be an RFC 3339 time string"}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return e, &profile.FieldError{Field: "at", Message: fmt.Sprintf("%q is not an RFC 3339 time", s)}
		}
		e.At = t
	}
	return e, nil
}

// check validates what profile.Validate does not: the version, the
// customer address and the source.
func (e Event) check() error {
	if e.V != 0 && e.V != 1 {
		return &profile.FieldError{Field: "v", Message: fmt.Sprintf("unsupported version %d (want 1)", e.V)}
	}
	c := e.Customer
	switch {
	case c.ID == "" && c.Identity == nil:
		return &profile.FieldError{Field: "customer", Message: "needs an id or an identity"}
	case c.ID != "" && c.Identity != nil:
		return &profile.FieldError{Field: "customer", Message: "give an id or an identity, not both"}
	case c.ID != "" && (len(c.ID) > 128 || !printable(c.ID)):
		return &profile.FieldError{Field: "customer.id", Message: "must be 1-128 printable characters"}
	case c.Identity != nil && (c.Identity.Kind == "" || len(c.Identity.Kind) > 64 || !printable(c.Identity.Kind)):
		return &profile.FieldError{Field: "customer.identity.kind", Message: "must be 1-64 printable characters"}
	case c.Identity != nil && (c.Identity.Value == "" || len(c.Identity.Value) > 256 || !printable(c.Identity.Value)):
		return &profile.FieldError{Field: "customer.identity.value", Message: "must be 1-256 printable characters"}
	}
	if len(e.Source) > 64 || !printable(e.Source) {
		return &profile.FieldError{Field: "source", Message: "must be at most 64 printable characters"}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// memoryEvent is e as stored for customerID.
func (e Event) memoryEvent(customerID string, received time.Time) memory.Event {
	return memory.Event{ID: e.ID, CustomerID: customerID, Type: e.Type, Source: e.Source,
		Props: e.Props, At: e.At, ReceivedAt: received}
}

// address is a customer address as a comparable key.
type address struct {
	id    string
	ident memory.Identity
}

func (c Customer) address() address {
	if c.Identity != nil {
		return address{ident: memory.Identity{Kind: c.Identity.Kind, Value: c.Identity.Value}}
	}
	return address{id: c.ID}
}

// channelEvent mirrors channels.Event, the payload the widget's events are
// published with on kairos.events.<channel>.<name>. It is copied rather
// than imported because memory never depends on channels.
type channelEvent struct {
	V          int             `json:"v"`
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	CustomerID string          `json:"customer_id"`
	Channel    string          `json:"channel"`
	Props      json.RawMessage `json:"props,omitempty"`
	At         time.Time       `json:"at"`
}

func (c channelEvent) event() Event {
	return Event{V: c.V, ID: c.ID, Type: c.Name, Customer: Customer{ID: c.CustomerID}, At: c.At,
		Source: c.Channel, Props: c.Props}
}
