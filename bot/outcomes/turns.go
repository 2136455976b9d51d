package outcomes

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Turn is what the figures read of a conversation.turn event
// (bot/proactivehooks.go writes them).
type Turn struct {
	ID, Customer, Conversation string
	At                         time.Time
	Channel, Intent, Mood      string
	Valence                    float64
	// Repeats > 0: the customer asked this before.
	Repeats    float64
	Intervened bool
	// ResponseMS, Tokens and Cost are NaN when the turn did not record
	// them (a value, not a pointer: reports hold hundreds of thousands of
	// turns).
	ResponseMS, Tokens, Cost float64
}

// TurnScanner is what an EventScanner offers when it can read turns
// without their JSON (pgscan: the fields are extracted when the event is
// stored). fn gets every turn with From ≤ At < To, in any order, as
// ParseTurn would read it; turns ParseTurn rejects are left out.
type TurnScanner interface {
	ScanTurns(ctx context.Context, from, to time.Time, fn func(Turn) error) error
}

// ParseTurn reads a conversation.turn event. A field of the wrong JSON
// type counts as absent (a malformed field spoils only itself), and so
// does a number other than 0 outside ±1e-300..1e300; a turn without a
// non-empty string conversation_id belongs to no conversation: ok is
// false. memory/postgres's migration 0008 extracts the fields by the same
// rules when it stores the event.
func ParseTurn(ev memory.Event) (t Turn, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(ev.Props, &m) != nil {
		return Turn{}, false
	}
	conv := jsonString(m["conversation_id"])
	if conv == "" {
		return Turn{}, false
	}
	t = Turn{ID: ev.ID, Customer: ev.CustomerID, Conversation: conv, At: ev.At,
		Channel: jsonString(m["channel"]), Intent: jsonString(m["intent"]), Mood: jsonString(m["mood"]),
		Valence: orZero(jsonNumber(m["valence"])), Repeats: orZero(jsonNumber(m["repeats"])),
		Intervened: string(m["intervened"]) == "true",
		ResponseMS: jsonNumber(m["response_ms"]), Tokens: jsonNumber(m["tokens"]), Cost: jsonNumber(m["cost"])}
	return t, true
}

func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonNumber is a JSON number's value, or NaN.
func jsonNumber(raw json.RawMessage) float64 {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if a := math.Abs(f); err != nil || (f != 0 && (a < 1e-300 || a > 1e300)) {
		return math.NaN()
	}
	if f == 0 { // 0, -0, or an underflow that ParseFloat rounds to 0
		mantissa, _, _ := strings.Cut(strings.ToLower(string(raw)), "e")
		if strings.ContainsAny(mantissa, "123456789") {
			return math.NaN()
		}
		f = 0
	}
	return f
}

func orZero(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}

// scanTurns reads the turns of [from, to) grouped per customer, in (At,
// ID) order: from the scanner's TurnScanner, or by parsing the turn
// events among evs (which the caller read with the records).
func scanTurns(ctx context.Context, s EventScanner, from, to time.Time, evs map[string][]memory.Event) (map[string][]Turn, error) {
	out := map[string][]Turn{}
	if ts, ok := s.(TurnScanner); ok {
		err := ts.ScanTurns(ctx, from, to, func(t Turn) error {
			out[t.Customer] = append(out[t.Customer], t)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, ts := range out {
			slices.SortFunc(ts, func(a, b Turn) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
		}
		return out, nil
	}
	for customer, es := range evs {
		for _, ev := range es {
			if ev.Type != EventTurn {
				continue
			}
			if t, ok := ParseTurn(ev); ok {
				out[customer] = append(out[customer], t)
			}
		}
	}
	return out, nil
}

// Record is what the figures read of a survey, nba_offered or nba_feedback
// event.
type Record struct {
	ID, Customer, Type string
	At                 time.Time
	Channel            string
	// DecisionID and Action (offers) or Outcome (feedback).
	DecisionID, Action, Outcome string
	// CSAT and CES are a survey's answers; NaN when absent.
	CSAT, CES float64
}

// RecordScanner is what an EventScanner offers when it can read surveys,
// offers and feedback without their JSON. fn gets every such record with
// From ≤ At < To, in any order, as ParseRecord would read it.
type RecordScanner interface {
	ScanRecords(ctx context.Context, from, to time.Time, fn func(Record) error) error
}

// recordFieldTypes are the event types a Record is read from.
var recordFieldTypes = []string{EventSurvey, EventOffered, EventFeedback}

// ParseRecord reads a survey, nba_offered or nba_feedback event by
// ParseTurn's rules: a field of the wrong JSON type counts as absent.
// ok is false when props is not a JSON object.
func ParseRecord(ev memory.Event) (r Record, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(ev.Props, &m) != nil || m == nil {
		return Record{}, false
	}
	return Record{ID: ev.ID, Customer: ev.CustomerID, Type: ev.Type, At: ev.At, Channel: jsonString(m["channel"]),
		DecisionID: jsonString(m["decision_id"]), Action: jsonString(m["action"]), Outcome: jsonString(m["outcome"]),
		CSAT: jsonNumber(m["csat"]), CES: jsonNumber(m["ces"])}, true
}

// scanRecords reads the surveys, offers and feedback of [from, to), in
// no particular order: from the scanner's RecordScanner, or by parsing
// them among evs.
func scanRecords(ctx context.Context, s EventScanner, from, to time.Time, evs map[string][]memory.Event) ([]Record, error) {
	var out []Record
	if rs, ok := s.(RecordScanner); ok {
		err := rs.ScanRecords(ctx, from, to, func(r Record) error {
			out = append(out, r)
			return nil
		})
		return out, err
	}
	for _, es := range evs {
		for _, ev := range es {
			if !slices.Contains(recordFieldTypes, ev.Type) {
				continue
			}
			if r, ok := ParseRecord(ev); ok {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Conversation is a conversation's turns summed up in turn order (At, then
// ID): what the figures read of a conversation besides its handoff.
// SummarizeTurns folds turns into it; a ConversationScanner keeps it.
type Conversation struct {
	ID, Customer string
	// Start and End are the first and last turn's times.
	Start, End     time.Time
	Turns, Repeats int // Repeats: turns with Repeats > 0
	// Channel is the first non-empty channel of a turn.
	Channel string
	// ResponseMS is the first turn's, NaN when it recorded none.
	ResponseMS float64
	// Tokens and Cost are the sums, in turn order, of the values ≥ 0 the
	// turns recorded; NaN when none did.
	Tokens, Cost float64
	// Negative: a turn was negative (isNegative); NegativeAt is the first.
	Negative   bool
	NegativeAt time.Time
	// IntervenedAt is the first turn marked intervened from the first
	// negative turn on (zero: none); RecoveredAt the last turn that
	// isRecovered (zero: none).
	IntervenedAt, RecoveredAt time.Time
}

// ConversationScanner is what an EventScanner offers when it keeps
// conversations summed up (pgscan: memory/postgres's conversation_rollups,
// maintained as turns are stored, moved and erased).
type ConversationScanner interface {
	// ScanConversations gives every conversation with a turn in [from,
	// to), summed up over its turns in [from, to) only, exactly as
	// SummarizeTurns sums up what TurnScanner or ParseTurn reads; in any
	// order.
	ScanConversations(ctx context.Context, from, to time.Time, fn func(Conversation) error) error
	// IssueContacts answers each probe: did the customer have a turn
	// (with a conversation) strictly between From and To whose intent is
	// one of Intents.
	IssueContacts(ctx context.Context, probes []IssueProbe) ([]bool, error)
}

// IssueProbe asks whether Customer raised one of Intents after an
// exposure: a turn with From < At < To.
type IssueProbe struct {
	Customer string
	From, To time.Time
	Intents  []string
}

// SummarizeTurns folds one customer's turns, in (At, ID) order, into its
// conversations, in the order of their first turns. memory/postgres's
// migration 0009 sums up conversation_rollups by the same rules.
func SummarizeTurns(turns []Turn) []Conversation {
	var out []Conversation
	at := map[string]int{}
	for _, t := range turns {
		i, ok := at[t.Conversation]
		if !ok {
			i = len(out)
			at[t.Conversation] = i
			out = append(out, Conversation{ID: t.Conversation, Customer: t.Customer, Start: t.At,
				ResponseMS: t.ResponseMS, Tokens: math.NaN(), Cost: math.NaN()})
		}
		c := &out[i]
		c.Channel = cmp.Or(c.Channel, t.Channel)
		c.End = t.At
		c.Turns++
		if t.Repeats > 0 {
			c.Repeats++
		}
		if t.Tokens >= 0 { // NaN (not recorded) is not >= 0
			if math.IsNaN(c.Tokens) {
				c.Tokens = t.Tokens
			} else {
				c.Tokens += t.Tokens
			}
		}
		if t.Cost >= 0 {
			if math.IsNaN(c.Cost) {
				c.Cost = t.Cost
			} else {
				c.Cost += t.Cost
			}
		}
		if !c.Negative && isNegative(t.Mood, t.Valence) {
			c.Negative, c.NegativeAt = true, t.At
		}
		if c.Negative && c.IntervenedAt.IsZero() && t.Intervened {
			c.IntervenedAt = t.At
		}
		if isRecovered(t.Mood, t.Valence) {
			c.RecoveredAt = t.At
		}
	}
	return out
}

// summarize reads each customer's conversations from turns (grouped per
// customer, in (At, ID) order).
func summarize(turns map[string][]Turn) []Conversation {
	var out []Conversation
	for customer, ts := range turns {
		for _, c := range SummarizeTurns(ts) {
			c.Customer = customer
			out = append(out, c)
		}
	}
	return byCustomer(out)
}

// scanConversations reads the conversations with a turn in [from, to)
// from a ConversationScanner, grouped per customer (byCustomer).
func scanConversations(ctx context.Context, cs ConversationScanner, from, to time.Time) ([]Conversation, error) {
	var out []Conversation
	err := cs.ScanConversations(ctx, from, to, func(c Conversation) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return byCustomer(out), nil
}

// byCustomer puts each customer's conversations next to each other,
// customers in the order they first appear, each one's in their order in
// cs: a counting sort over one map of customers, instead of a slice per
// customer in a map (or a sort comparing ids).
func byCustomer(cs []Conversation) []Conversation {
	group := make(map[string]int32, len(cs))
	of := make([]int32, len(cs))
	var next []int32 // per group: its size, then where its next goes
	for i := range cs {
		g, ok := group[cs[i].Customer]
		if !ok {
			g = int32(len(next))
			group[cs[i].Customer] = g
			next = append(next, 0)
		}
		of[i] = g
		next[g]++
	}
	at := int32(0)
	for g, n := range next {
		next[g], at = at, at+n
	}
	out := make([]Conversation, len(cs))
	for i := range cs {
		out[next[of[i]]] = cs[i]
		next[of[i]]++
	}
	return out
}
