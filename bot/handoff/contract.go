// Package handoff hands conversations from the bot to human agents over NATS:
// the escalation policy (when), routing (queues by skill, priority, agent
// capacity, SLA timers, transfers), the handoff package an agent sees, and
// the versioned contract agent desks speak (docs/nats.md).
//
// State lives in JetStream (key-value buckets and streams), never in one
// node's memory, so any gateway node can serve any conversation and a
// handoff survives restarts of gateways and consoles.
package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the version of every payload of the contract ("v").
const Version = 1

// Subjects of the contract (docs/nats.md).
const (
	SubjectRequested  = "kairos.handoff.requested"
	SubjectUpdated    = "kairos.handoff.updated"
	SubjectClaim      = "kairos.handoff.claim"
	SubjectList       = "kairos.handoff.list"
	SubjectGet        = "kairos.handoff.get"
	SubjectTranscript = "kairos.handoff.transcript"
	SubjectTransfer   = "kairos.handoff.transfer"
	SubjectPresence   = "kairos.agent.presence"
)

// ConvSubject is the per-conversation subject kind ("customer", "agent",
// "agent.result", "note", "resolved", "typing", "out") of a conversation.
func ConvSubject(conversationID, kind string) string {
	return "kairos.conv." + conversationID + "." + kind
}

// Streams, buckets and the queue group of the contract.
const (
	HandoffStream = "KAIROS_HANDOFF"
	ConvStream    = "KAIROS_CONV"
	StateBucket   = "kairos-handoff"
	AgentBucket   = "kairos-agents"
	// QueueGroup is the NATS queue group gateway nodes serve the
	// request/reply subjects in.
	QueueGroup = "kairos-handoff"
	// GatewayConsumer is the durable consumer through which gateway nodes
	// process agent messages, notes and resolutions.
	GatewayConsumer = "kairos-gateway"
)

// Limits of the contract.
const (
	MaxPayload  = 64 << 10
	MaxText     = 4000 // characters
	maxID       = 128
	maxNotes    = 200
	maxSettled  = 20
	maxListed   = 1000
	maxMessages = 500
)

// Error codes (the "error" field).
const (
	CodeInvalid            = "invalid"
	CodeUnsupportedVersion = "unsupported_version"
	CodeNotFound           = "not_found"
	CodeAlreadyClaimed     = "already_claimed"
	CodeNotWaiting         = "not_waiting"
	CodeNotOwner           = "not_owner"
	CodeAtCapacity         = "at_capacity"
	CodeUnknownQueue       = "unknown_queue"
	CodeInternal           = "internal"
)

// Error is a contract error: a stable code a client branches on and a
// message for people.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "handoff: " + e.Code
	}
	return "handoff: " + e.Code + ": " + e.Msg
}

// Is lets errors.Is match errors by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Sentinels to test with errors.Is.
var (
	ErrInvalid        = &Error{Code: CodeInvalid}
	ErrVersion        = &Error{Code: CodeUnsupportedVersion}
	ErrNotFound       = &Error{Code: CodeNotFound}
	ErrAlreadyClaimed = &Error{Code: CodeAlreadyClaimed}
	ErrNotWaiting     = &Error{Code: CodeNotWaiting}
	ErrNotOwner       = &Error{Code: CodeNotOwner}
	ErrAtCapacity     = &Error{Code: CodeAtCapacity}
	ErrUnknownQueue   = &Error{Code: CodeUnknownQueue}
)

// codeOf is the contract code of err (internal for anything else).
func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Statuses of a handoff.
const (
	StatusWaiting   = "waiting"
	StatusCallback  = "callback"
	StatusClaimed   = "claimed"
	StatusResolved  = "resolved"
	StatusCancelled = "cancelled"
)

// Events a record is published with.
const (
	EventRequested   = "requested"
	EventClaimed     = "claimed"
	EventTransferred = "transferred"
	EventEscalated   = "escalated"
	EventResolved    = "resolved"
	EventCancelled   = "cancelled"
	EventCallback    = "callback"
	EventNote        = "note"
)

// open reports whether a handoff with status s still belongs to humans.
func open(s string) bool {
	return s == StatusWaiting || s == StatusCallback || s == StatusClaimed
}

// claimable reports whether an agent may claim a handoff with status s.
func claimable(s string) bool { return s == StatusWaiting || s == StatusCallback }

// Callback is what an after-hours customer left for a call back.
type Callback struct {
	Details     string    `json:"details"`
	RequestedAt time.Time `json:"requested_at"`
}

// Record is a handoff's state: the value of key h.<handoff_id> in the state
// bucket and the payload of kairos.handoff.requested/updated.
type Record struct {
	V               int        `json:"v"`
	HandoffID       string     `json:"handoff_id"`
	ConversationID  string     `json:"conversation_id"`
	CustomerID      string     `json:"customer_id"`
	Queue           string     `json:"queue"`
	Priority        int        `json:"priority"`
	Reason          string     `json:"reason"`
	Reasons         []string   `json:"reasons,omitempty"`
	Summary         string     `json:"summary"`
	CreatedAt       time.Time  `json:"created_at"`
	Status          string     `json:"status"`
	Event           string     `json:"event"`
	AgentID         string     `json:"agent_id,omitempty"`
	ClaimedAt       *time.Time `json:"claimed_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	SLADueAt        *time.Time `json:"sla_due_at"`
	Escalations     int        `json:"escalations"`
	WaitEstimateS   int        `json:"wait_estimate_s"`
	Position        int        `json:"position,omitempty"`
	Channel         string     `json:"channel,omitempty"`
	Lang            string     `json:"lang,omitempty"`
	CustomerName    string     `json:"customer_name,omitempty"`
	Tier            string     `json:"tier,omitempty"`
	VIP             bool       `json:"vip"`
	Intent          string     `json:"intent,omitempty"`
	Need            string     `json:"need,omitempty"`
	Mood            string     `json:"mood,omitempty"`
	EscalationRisk  float64    `json:"escalation_risk"`
	Trigger         string     `json:"trigger,omitempty"`
	Callback        *Callback  `json:"callback"`
	TransferredFrom string     `json:"transferred_from,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Revision        uint64     `json:"revision"`
}

// Note is an internal note on a handoff; customers never see it.
type Note struct {
	AgentID string    `json:"agent_id"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	ID      string    `json:"client_id,omitempty"`
}

// Message is one transcript message as desks see it.
type Message struct {
	Seq      int64     `json:"seq"`
	Role     string    `json:"role"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	ClientID string    `json:"client_id,omitempty"`
}

// Requests and replies of the request/reply subjects.
type (
	// ClaimRequest is the payload of kairos.handoff.claim.
	ClaimRequest struct {
		V         int    `json:"v"`
		HandoffID string `json:"handoff_id"`
		AgentID   string `json:"agent_id"`
	}
	// Reply is every reply's envelope; the other fields are filled by
	// the subject that answers.
	Reply struct {
		V        int            `json:"v"`
		OK       bool           `json:"ok"`
		Error    string         `json:"error,omitempty"`
		Message  string         `json:"message,omitempty"`
		AgentID  string         `json:"agent_id,omitempty"` // already_claimed: the winner
		Handoff  *Record        `json:"handoff,omitempty"`
		Package  *Package       `json:"package,omitempty"`
		Handoffs []Record       `json:"handoffs,omitempty"`
		Queues   []QueueStats   `json:"queues,omitempty"`
		Agents   []AgentSummary `json:"agents,omitempty"`
		Messages []Message      `json:"messages,omitempty"`
		LastSeq  int64          `json:"last_seq,omitempty"`
	}
	// ListRequest is the payload of kairos.handoff.list.
	ListRequest struct {
		V       int      `json:"v"`
		AgentID string   `json:"agent_id,omitempty"`
		Mine    bool     `json:"mine,omitempty"`
		Queues  []string `json:"queues,omitempty"`
		Status  []string `json:"status,omitempty"`
		Limit   int      `json:"limit,omitempty"`
	}
	// GetRequest is the payload of kairos.handoff.get.
	GetRequest struct {
		V         int    `json:"v"`
		HandoffID string `json:"handoff_id"`
	}
	// TranscriptRequest is the payload of kairos.handoff.transcript.
	TranscriptRequest struct {
		V              int    `json:"v"`
		ConversationID string `json:"conversation_id"`
		AfterSeq       int64  `json:"after_seq"`
		Limit          int    `json:"limit,omitempty"`
	}
	// TransferRequest is the payload of kairos.handoff.transfer.
	TransferRequest struct {
		V         int    `json:"v"`
		HandoffID string `json:"handoff_id"`
		AgentID   string `json:"agent_id"`
		ToQueue   string `json:"to_queue,omitempty"`
		ToAgent   string `json:"to_agent,omitempty"`
		Note      string `json:"note,omitempty"`
	}
	// Presence is the payload of kairos.agent.presence and the value of
	// a.<agent_id> in the agent bucket.
	Presence struct {
		V        int       `json:"v"`
		AgentID  string    `json:"agent_id"`
		Name     string    `json:"name,omitempty"`
		Status   string    `json:"status"`
		Queues   []string  `json:"queues,omitempty"`
		MaxChats int       `json:"max_chats,omitempty"`
		Lang     []string  `json:"lang,omitempty"`
		At       time.Time `json:"at"`
	}
	// QueueStats is one queue in a list reply.
	QueueStats struct {
		Name          string `json:"name"`
		Waiting       int    `json:"waiting"`
		OldestWaitS   int    `json:"oldest_wait_s"`
		AgentsOnline  int    `json:"agents_online"`
		FreeCapacity  int    `json:"free_capacity"`
		WaitEstimateS int    `json:"wait_estimate_s"`
	}
	// AgentSummary is one agent in a list reply.
	AgentSummary struct {
		AgentID  string   `json:"agent_id"`
		Name     string   `json:"name,omitempty"`
		Status   string   `json:"status"`
		Queues   []string `json:"queues,omitempty"`
		MaxChats int      `json:"max_chats"`
		Active   int      `json:"active"`
	}
)

// Per-conversation payloads.
type (
	// CustomerMessage is the payload of kairos.conv.<id>.customer.
	CustomerMessage struct {
		V              int       `json:"v"`
		ConversationID string    `json:"conversation_id"`
		HandoffID      string    `json:"handoff_id"`
		Seq            int64     `json:"seq"`
		Text           string    `json:"text"`
		Channel        string    `json:"channel,omitempty"`
		Lang           string    `json:"lang,omitempty"`
		At             time.Time `json:"at"`
	}
	// AgentMessage is the payload of kairos.conv.<id>.agent and .note.
	AgentMessage struct {
		V        int    `json:"v"`
		AgentID  string `json:"agent_id"`
		Text     string `json:"text"`
		ClientID string `json:"client_id,omitempty"`
	}
	// Resolution is the payload of kairos.conv.<id>.resolved.
	Resolution struct {
		V         int      `json:"v"`
		AgentID   string   `json:"agent_id"`
		HandoffID string   `json:"handoff_id,omitempty"`
		Summary   string   `json:"summary"`
		Settled   []string `json:"settled,omitempty"`
		ClientID  string   `json:"client_id,omitempty"`
	}
	// Result is the payload of kairos.conv.<id>.agent.result.
	Result struct {
		V         int    `json:"v"`
		ClientID  string `json:"client_id,omitempty"`
		OK        bool   `json:"ok"`
		Seq       int64  `json:"seq,omitempty"`
		Duplicate bool   `json:"duplicate,omitempty"`
		Error     string `json:"error,omitempty"`
	}
	// Typing is the payload of kairos.conv.<id>.typing.
	Typing struct {
		V       int    `json:"v"`
		Who     string `json:"who"`
		AgentID string `json:"agent_id,omitempty"`
		State   string `json:"state"`
	}
)

// decode parses a payload strictly enough for the contract: it must be a
// JSON object of at most MaxPayload bytes carrying "v": 1. Unknown fields
// are allowed (later minor additions).
func decode(data []byte, v any) error {
	if len(data) > MaxPayload {
		return errf(CodeInvalid, "payload of %d bytes exceeds %d", len(data), MaxPayload)
	}
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return errf(CodeInvalid, "not a JSON object: %v", err)
	}
	if probe.V == nil || *probe.V != Version {
		got := "missing"
		if probe.V != nil {
			got = fmt.Sprint(*probe.V)
		}
		return errf(CodeUnsupportedVersion, "version %s, want %d", got, Version)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errf(CodeInvalid, "%v", err)
	}
	return nil
}

// ValidID reports whether s can be an id inside a subject: 1–128 bytes of
// A-Z a-z 0-9 _ -.
func ValidID(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// validText trims s and checks it is 1–MaxText characters of valid UTF-8.
func validText(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errf(CodeInvalid, "empty text")
	case !utf8.ValidString(s):
		return "", errf(CodeInvalid, "text is not valid UTF-8")
	case utf8.RuneCountInString(s) > MaxText:
		return "", errf(CodeInvalid, "text longer than %d characters", MaxText)
	}
	return s, nil
}

// validClientID checks an optional idempotency key.
func validClientID(s string) error {
	if len(s) > maxID || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return errf(CodeInvalid, "client_id must be at most %d bytes of text", maxID)
	}
	return nil
}
