// Package channels is the message model every channel adapter speaks: what a
// customer sends in (Inbound, Event), what Kairos sends out (Outbound), and
// who the customer is on that channel (Identity).
//
// Adapters live in sub-packages (web, later wechat, wecom, douyin). They
// translate a platform's protocol to and from this model and know nothing of
// storage or language models; a dependency test keeps it that way.
package channels

import (
	"encoding/json"
	"errors"
	"time"
)

// ErrInvalid marks an error caused by what the customer or platform sent
// (empty or overlong text, a malformed event), as opposed to a failure of
// Kairos. Channels tell the sender about the former and hide the latter.
var ErrInvalid = errors.New("invalid input")

// Version is the version of the JSON payloads Kairos publishes on NATS. Every
// payload carries it as "v".
const Version = 1

// Identity is how a channel knows a customer: a kind ("web_visitor",
// "wechat_openid", ...) and the value on that channel.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Session is what the engine tells a channel about a customer who connected.
type Session struct {
	CustomerID     string `json:"customer_id"`
	ConversationID string `json:"conversation_id"`
	// LastSeq and AckedSeq are the conversation's highest sequence number
	// and the highest one any client acknowledged.
	LastSeq  int64 `json:"last_seq"`
	AckedSeq int64 `json:"acked_seq"`
}

// Inbound is a customer's message.
type Inbound struct {
	ConversationID string `json:"conversation_id"`
	CustomerID     string `json:"customer_id"`
	Channel        string `json:"channel"`
	// ClientID is the sender's own id for the message; a resend with the
	// same id is recognised and not answered twice.
	ClientID string `json:"client_id,omitempty"`
	Text     string `json:"text"`
	// Lang is the customer's language as the channel knows it ("zh", "en"),
	// or empty.
	Lang string    `json:"lang,omitempty"`
	At   time.Time `json:"at"`
	// ComposeMS and Deletions are how long the customer took to write the
	// message and how many characters they deleted on the way, when the
	// channel can tell (the web widget); zero otherwise.
	ComposeMS int64 `json:"compose_ms,omitempty"`
	Deletions int   `json:"deletions,omitempty"`
}

// Receipt confirms an Inbound was recorded.
type Receipt struct {
	ClientID string `json:"client_id,omitempty"`
	Seq      int64  `json:"seq"`
	// Duplicate is true when the message had been recorded before (a resend).
	Duplicate bool `json:"duplicate,omitempty"`
}

// Kinds of Outbound.
const (
	OutMessage = "message" // a complete message, stored under Seq
	OutDelta   = "delta"   // a streamed piece of the message that will carry Seq
	OutTyping  = "typing"  // someone is composing a reply
)

// Outbound is what Kairos sends to a conversation: a message, a streamed
// piece of one, or a typing indicator. It is published on NATS
// (kairos.conv.<conversation_id>.out) and delivered by whichever node holds
// the customer's connection.
type Outbound struct {
	V              int    `json:"v"`
	Kind           string `json:"kind"`
	ConversationID string `json:"conversation_id"`
	// Seq is the message's sequence number (for OutDelta: the sequence
	// number the final message will carry).
	Seq  int64  `json:"seq,omitempty"`
	Role string `json:"role,omitempty"` // "bot", "agent", "system"
	Text string `json:"text,omitempty"`
	// ReplyTo is the Seq of the customer message this answers, or 0.
	ReplyTo int64     `json:"reply_to,omitempty"`
	At      time.Time `json:"at"`
}

// Event is a behaviour signal a channel observed, such as a page view in the
// website widget.
type Event struct {
	V          int             `json:"v"`
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	CustomerID string          `json:"customer_id"`
	Channel    string          `json:"channel"`
	Props      json.RawMessage `json:"props,omitempty"`
	At         time.Time       `json:"at"`
}
