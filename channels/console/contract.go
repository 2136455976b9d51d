package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The handoff contract of docs/nats.md, as the console uses it. The types
// are the console's own copy (channels never import bot/); unknown fields
// are ignored, as the contract allows.
const (
	Version = 1

	SubjectRequested  = "kairos.handoff.requested"
	SubjectUpdated    = "kairos.handoff.updated"
	SubjectClaim      = "kairos.handoff.claim"
	SubjectList       = "kairos.handoff.list"
	SubjectGet        = "kairos.handoff.get"
	SubjectTranscript = "kairos.handoff.transcript"
	SubjectTransfer   = "kairos.handoff.transfer"
	SubjectPresence   = "kairos.agent.presence"

	// MaxText is the longest agent or note text, in characters.
	MaxText = 4000
	// maxPayload is the contract's payload limit.
	maxPayload = 64 << 10
)

// ConvSubject is a per-conversation subject: kind is customer, agent,
// agent.result, note, resolved or typing.
func ConvSubject(conversationID, kind string) string {
	return "kairos.conv." + conversationID + "." + kind
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// validID reports whether s may be used inside a subject.
func validID(s string) bool { return idRE.MatchString(s) }

// Handoff is the handoff record published on kairos.handoff.requested and
// kairos.handoff.updated and returned by list, get and claim.
type Handoff struct {
	V               int             `json:"v"`
	HandoffID       string          `json:"handoff_id"`
	ConversationID  string          `json:"conversation_id"`
	CustomerID      string          `json:"customer_id"`
	Queue           string          `json:"queue"`
	Priority        int             `json:"priority"`
	Reason          string          `json:"reason"`
	Reasons         []string        `json:"reasons,omitempty"`
	Summary         string          `json:"summary"`
	CreatedAt       time.Time       `json:"created_at"`
	Status          string          `json:"status"`
	Event           string          `json:"event,omitempty"`
	AgentID         string          `json:"agent_id,omitempty"`
	ClaimedAt       *time.Time      `json:"claimed_at,omitempty"`
	ResolvedAt      *time.Time      `json:"resolved_at,omitempty"`
	SLADueAt        *time.Time      `json:"sla_due_at,omitempty"`
	Escalations     int             `json:"escalations"`
	WaitEstimateS   int             `json:"wait_estimate_s"`
	Position        int             `json:"position,omitempty"`
	Channel         string          `json:"channel,omitempty"`
	Lang            string          `json:"lang,omitempty"`
	CustomerName    string          `json:"customer_name,omitempty"`
	Tier            string          `json:"tier,omitempty"`
	VIP             bool            `json:"vip,omitempty"`
	Intent          string          `json:"intent,omitempty"`
	Need            string          `json:"need,omitempty"`
	Mood            string          `json:"mood,omitempty"`
	EscalationRisk  float64         `json:"escalation_risk,omitempty"`
	Trigger         string          `json:"trigger,omitempty"`
	Callback        json.RawMessage `json:"callback,omitempty"`
	TransferredFrom string          `json:"transferred_from,omitempty"`
	UpdatedAt       *time.Time      `json:"updated_at,omitempty"`
	Revision        uint64          `json:"revision"`
}

// Handoff statuses.
const (
	StatusWaiting   = "waiting"
	StatusCallback  = "callback"
	StatusClaimed   = "claimed"
	StatusResolved  = "resolved"
	StatusCancelled = "cancelled"
)

// open reports whether the handoff still needs or has a human.
func (h Handoff) open() bool {
	return h.Status == StatusWaiting || h.Status == StatusCallback || h.Status == StatusClaimed
}

// waiting reports whether the handoff can be claimed.
func (h Handoff) waiting() bool { return h.Status == StatusWaiting || h.Status == StatusCallback }

var errVersion = errors.New("unsupported_version")

func checkVersion(v int) error {
	if v != Version {
		return fmt.Errorf("%w: v=%d", errVersion, v)
	}
	return nil
}

// decodeHandoff parses and checks a handoff record.
func decodeHandoff(data []byte) (Handoff, error) {
	var h Handoff
	if len(data) > maxPayload {
		return h, fmt.Errorf("%w: payload of %d bytes", ErrInvalid, len(data))
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := checkVersion(h.V); err != nil {
		return h, err
	}
	if !validID(h.HandoffID) || !validID(h.ConversationID) {
		return h, fmt.Errorf("%w: bad handoff or conversation id", ErrInvalid)
	}
	return h, nil
}

// CustomerMessage is published on kairos.conv.<id>.customer.
type CustomerMessage struct {
	V              int       `json:"v"`
	ConversationID string    `json:"conversation_id"`
	HandoffID      string    `json:"handoff_id"`
	Seq            int64     `json:"seq"`
	Text           string    `json:"text"`
	Channel        string    `json:"channel,omitempty"`
	Lang           string    `json:"lang,omitempty"`
	At             time.Time `json:"at"`
}

// AgentMessage is what a desk publishes on kairos.conv.<id>.agent.
type AgentMessage struct {
	V        int    `json:"v"`
	AgentID  string `json:"agent_id"`
	Text     string `json:"text"`
	ClientID string `json:"client_id,omitempty"`
}

// AgentResult is published on kairos.conv.<id>.agent.result for every
// agent message and resolution.
type AgentResult struct {
	V         int    `json:"v"`
	ClientID  string `json:"client_id"`
	OK        bool   `json:"ok"`
	Seq       int64  `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Note is an internal note on kairos.conv.<id>.note.
type Note struct {
	V        int    `json:"v"`
	AgentID  string `json:"agent_id"`
	Text     string `json:"text"`
	ClientID string `json:"client_id,omitempty"`
}

// Resolution hands a conversation back to the bot
// (kairos.conv.<id>.resolved).
type Resolution struct {
	V         int      `json:"v"`
	AgentID   string   `json:"agent_id"`
	HandoffID string   `json:"handoff_id,omitempty"`
	Summary   string   `json:"summary"`
	Settled   []string `json:"settled,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
}

// Typing is kairos.conv.<id>.typing.
type Typing struct {
	V       int    `json:"v"`
	Who     string `json:"who"`
	AgentID string `json:"agent_id,omitempty"`
	State   string `json:"state"`
}

// Presence is kairos.agent.presence.
type Presence struct {
	V        int      `json:"v"`
	AgentID  string   `json:"agent_id"`
	Name     string   `json:"name,omitempty"`
	Status   string   `json:"status"`
	Queues   []string `json:"queues"`
	MaxChats int      `json:"max_chats"`
}

// TranscriptMessage is one message of a kairos.handoff.transcript reply.
type TranscriptMessage struct {
	Seq      int64     `json:"seq"`
	Role     string    `json:"role"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	ClientID string    `json:"client_id,omitempty"`
}

// reply is the common shape of every request/reply answer.
type reply struct {
	V        int                 `json:"v"`
	OK       bool                `json:"ok"`
	Error    string              `json:"error,omitempty"`
	Message  string              `json:"message,omitempty"`
	AgentID  string              `json:"agent_id,omitempty"`
	Handoff  *Handoff            `json:"handoff,omitempty"`
	Handoffs []Handoff           `json:"handoffs,omitempty"`
	Package  json.RawMessage     `json:"package,omitempty"`
	Messages []TranscriptMessage `json:"messages,omitempty"`
	LastSeq  int64               `json:"last_seq,omitempty"`
	Queues   json.RawMessage     `json:"queues,omitempty"`
}

// cleanText trims text and checks the contract's length limit.
func cleanText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: empty text", ErrInvalid)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: text is not UTF-8", ErrInvalid)
	}
	if utf8.RuneCountInString(s) > MaxText {
		return "", fmt.Errorf("%w: text longer than %d characters", ErrInvalid, MaxText)
	}
	return s, nil
}
