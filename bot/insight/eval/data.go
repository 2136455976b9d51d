package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kairoscx/kairos/bot/insight"
)

// MaxLine is the longest line Read accepts, in bytes.
const MaxLine = 1 << 20

// ErrInvalid marks data that cannot be evaluated: malformed lines, unknown
// labels, an empty set. The message names the line.
var ErrInvalid = errors.New("invalid evaluation data")

// Utterance is one labelled customer message. Empty labels were not given.
type Utterance struct {
	Line   int // 1-based line in the file
	Text   string
	Intent string
	Mood   string
	Need   string
	Lang   string
}

// Dialogue is one labelled conversation: the customer's turns with the
// signals the channel reported, one gold mood per turn (or none) and whether
// a supervisor would have intervened (nil when not labelled).
type Dialogue struct {
	Line     int
	Turns    []insight.Turn
	Moods    []string
	Escalate *bool
}

// Set is the examples of one file, in file order within each kind.
type Set struct {
	Utterances []Utterance
	Dialogues  []Dialogue
}

// Len is the number of examples.
func (s Set) Len() int { return len(s.Utterances) + len(s.Dialogues) }

// line is one JSONL line; pointers tell a missing field from an empty one.
type line struct {
	Text     *string         `json:"text"`
	Intent   *string         `json:"intent"`
	Mood     json.RawMessage `json:"mood"` // a label for utterances, a list for dialogues
	Need     *string         `json:"need"`
	Lang     *string         `json:"lang"`
	Turns    []turnLine      `json:"turns"`
	Escalate *bool           `json:"escalate"`
}

type turnLine struct {
	Text      *string `json:"text"`
	GapMS     int64   `json:"gap_ms"`
	ComposeMS int64   `json:"compose_ms"`
	Deletions int     `json:"deletions"`
	Bot       string  `json:"bot"`
	Resolved  bool    `json:"resolved"`
}

// Read reads one JSON object a line (blank lines are skipped):
//
//	{"text": "...", "intent": "...", "mood": "...", "lang": "zh", "need": "..."}
//	{"turns": [{"text": "...", "gap_ms": 1200, "compose_ms": 8000, "deletions": 3,
//	            "bot": "...", "resolved": false}, ...],
//	 "mood": ["calm", ...], "escalate": true}
//
// Labels must belong to the documented sets (insight.Intents, insight.Moods,
// insight.Needs); every example needs at least one label. Unknown fields are
// errors, so a misspelt label key is not silently unscored. Every error
// wraps ErrInvalid and names the line.
func Read(r io.Reader) (Set, error) {
	var set Set
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		raw := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
		}
		if len(raw) == 0 {
			continue
		}
		if err := set.add(n, raw); err != nil {
			return Set{}, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Set{}, fmt.Errorf("%w: line %d: longer than %d bytes", ErrInvalid, n+1, MaxLine)
		}
		return Set{}, err
	}
	if set.Len() == 0 {
		return Set{}, fmt.Errorf("%w: no examples (the file is empty)", ErrInvalid)
	}
	return set, nil
}

func (s *Set) add(n int, raw []byte) error {
	var l line
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: more than one value on the line")
	}
	switch {
	case l.Text != nil && l.Turns != nil:
		return errors.New(`has both "text" and "turns"`)
	case l.Text != nil:
		u, err := utterance(l)
		if err != nil {
			return err
		}
		u.Line = n
		s.Utterances = append(s.Utterances, u)
	case l.Turns != nil:
		d, err := dialogue(l)
		if err != nil {
			return err
		}
		d.Line = n
		s.Dialogues = append(s.Dialogues, d)
	default:
		return errors.New(`needs "text" (an utterance) or "turns" (a dialogue)`)
	}
	return nil
}

func utterance(l line) (Utterance, error) {
	if l.Escalate != nil {
		return Utterance{}, errors.New(`"escalate" labels dialogues, not utterances`)
	}
	u := Utterance{Text: *l.Text, Intent: deref(l.Intent), Need: deref(l.Need), Lang: deref(l.Lang)}
	if len(l.Mood) > 0 && string(l.Mood) != "null" {
		if err := json.Unmarshal(l.Mood, &u.Mood); err != nil {
			return u, errors.New(`"mood" of an utterance must be one label`)
		}
	}
	if err := check("intent", u.Intent, insight.Intents); err != nil {
		return u, err
	}
	if err := check("mood", u.Mood, insight.Moods); err != nil {
		return u, err
	}
	if err := check("need", u.Need, insight.Needs); err != nil {
		return u, err
	}
	if u.Intent == "" && u.Mood == "" {
		return u, errors.New(`no label: give "intent" or "mood"`)
	}
	return u, nil
}

func dialogue(l line) (Dialogue, error) {
	if l.Intent != nil || l.Need != nil {
		return Dialogue{}, errors.New(`"intent" and "need" label utterances; a dialogue has "mood" per turn and "escalate"`)
	}
	if len(l.Turns) == 0 {
		return Dialogue{}, errors.New(`"turns" is empty`)
	}
	d := Dialogue{Escalate: l.Escalate}
	if len(l.Mood) > 0 && string(l.Mood) != "null" {
		if err := json.Unmarshal(l.Mood, &d.Moods); err != nil {
			return d, errors.New(`"mood" of a dialogue must be a list with one label per turn`)
		}
		if len(d.Moods) != len(l.Turns) {
			return d, fmt.Errorf(`"mood" has %d labels for %d turns`, len(d.Moods), len(l.Turns))
		}
		for i, m := range d.Moods {
			if m == "" {
				return d, fmt.Errorf("turn %d: empty mood label", i+1)
			}
			if err := check("mood", m, insight.Moods); err != nil {
				return d, fmt.Errorf("turn %d: %v", i+1, err)
			}
		}
	}
	if d.Moods == nil && d.Escalate == nil {
		return d, errors.New(`no label: give "mood" (one per turn) or "escalate"`)
	}
	for i, t := range l.Turns {
		if t.Text == nil {
			return d, fmt.Errorf(`turn %d: no "text"`, i+1)
		}
		if t.GapMS < 0 || t.ComposeMS < 0 || t.Deletions < 0 {
			return d, fmt.Errorf("turn %d: gap_ms, compose_ms and deletions cannot be negative", i+1)
		}
		d.Turns = append(d.Turns, insight.Turn{
			Text: *t.Text, GapMS: t.GapMS, ComposeMS: t.ComposeMS, Deletions: t.Deletions,
			BotReply: t.Bot, Resolved: t.Resolved,
		})
	}
	return d, nil
}

// check reports a label outside its documented set; empty means not given.
func check(field, label string, set []string) error {
	if label == "" || slices.Contains(set, label) {
		return nil
	}
	return fmt.Errorf("unknown %s label %q (want one of %s)", field, label, strings.Join(set, ", "))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
