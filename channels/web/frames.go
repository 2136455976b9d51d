package web

import (
	"encoding/json"
	"time"

	"github.com/kairoscx/kairos/channels"
)

// Error codes sent in error frames. The widget localizes by code; the
// message is English for people reading logs and raw frames.
const (
	codeFrameTooLarge  = "frame_too_large"
	codeInvalidJSON    = "invalid_json"
	codeUnknownType    = "unknown_type"
	codeInvalidMessage = "invalid_message"
	codeInvalidEvent   = "invalid_event"
	codeRateLimited    = "rate_limited"
	codeInternal       = "internal"
	codeIdentifyOff    = "identify_disabled"
	codeIdentifyStale  = "identify_stale"
	codeIdentifyBad    = "identify_invalid"
)

// clientFrame is every field any client frame may carry; Type says which
// apply.
type clientFrame struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Text  string          `json:"text"`
	Name  string          `json:"name"`
	Props json.RawMessage `json:"props"`
	Seq   int64           `json:"seq"`
	// message: composition signals the widget reports
	ComposeMS int64 `json:"compose_ms"`
	Deletions int   `json:"deletions"`
	// identify
	UserID string `json:"user_id"`
	TS     int64  `json:"ts"`
	Sig    string `json:"sig"`
}

type helloFrame struct {
	Type           string `json:"type"`
	Visitor        string `json:"visitor"`
	ConversationID string `json:"conversation_id"`
	LastSeq        int64  `json:"last_seq"`
}

type receiptFrame struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Seq       int64  `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

type messageFrame struct {
	Type    string `json:"type"`
	Seq     int64  `json:"seq"`
	Role    string `json:"role"`
	Text    string `json:"text"`
	ReplyTo int64  `json:"reply_to,omitempty"`
	At      string `json:"at"`
}

type deltaFrame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Text string `json:"text"`
}

type typingFrame struct {
	Type string `json:"type"`
	Role string `json:"role"`
}

type identifiedFrame struct {
	Type       string `json:"type"`
	CustomerID string `json:"customer_id"`
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Frames that never change are encoded once.
var pongBytes = []byte(`{"type":"pong"}`)

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the frame structs above are encoded; they always marshal.
		panic(err)
	}
	return b
}

func errorBytes(code, msg string) []byte {
	return encode(errorFrame{Type: "error", Code: code, Message: msg})
}

// outboundFrame turns an outbound message into the frame the client gets,
// and the frame type for metrics. ok is false for kinds the web channel does
// not show.
func outboundFrame(out channels.Outbound, now time.Time) (b []byte, typ string, ok bool) {
	role := out.Role
	if role == "" {
		role = "bot"
	}
	switch out.Kind {
	case channels.OutMessage:
		at := out.At
		if at.IsZero() {
			at = now
		}
		return encode(messageFrame{Type: "message", Seq: out.Seq, Role: role, Text: out.Text,
			ReplyTo: out.ReplyTo, At: at.UTC().Format(time.RFC3339)}), "message", true
	case channels.OutDelta:
		return encode(deltaFrame{Type: "delta", Seq: out.Seq, Text: out.Text}), "delta", true
	case channels.OutTyping:
		return encode(typingFrame{Type: "typing", Role: role}), "typing", true
	}
	return nil, "", false
}
