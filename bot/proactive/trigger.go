package proactive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Action types.
const (
	ActOpenConversation = "open_conversation"
	ActSendMessage      = "send_message"
	ActHandoff          = "handoff"
	ActWebhook          = "webhook"
	ActTag              = "tag"
	ActSchedule         = "schedule"
)

// Spec is a trigger as written in its YAML file, before compilation.
type Spec struct {
	ID          string   `yaml:"id"`
	Description string   `yaml:"description"`
	On          []string `yaml:"on"`
	// Condition is an expression (expr-lang) that must be true for the
	// trigger to fire. For a time trigger it is evaluated when the timer
	// is due, with event = the event that armed it.
	Condition string `yaml:"condition"`
	// At, when set, makes this a time trigger: evaluated on an `on` event,
	// it yields the time (or nil: do not arm) at which Condition is
	// checked.
	At string `yaml:"at"`
	// Every, with At, re-arms the check every period while the customer
	// keeps sending `on` events within ActiveFor.
	Every     Duration `yaml:"every"`
	ActiveFor Duration `yaml:"active_for"`
	Actions   []Action `yaml:"actions"`
	// Guardrails are this trigger's limits, on top of the engine's global
	// ones.
	Guardrails Guardrails `yaml:"guardrails"`
	// Holdout is the share of customers (0..0.5) who are never contacted by
	// this trigger, so that its uplift can be measured.
	Holdout float64 `yaml:"holdout"`
	// Priority orders simultaneous firings: only the highest acts.
	Priority int `yaml:"priority"`
	// Outcome is what counts as a conversion for the report.
	Outcome Outcome `yaml:"outcome"`
	// Lang is the language used when the customer's is unknown.
	Lang     string `yaml:"lang"`
	Disabled bool   `yaml:"disabled"`
}

// Outcome is what the report counts as a conversion after a firing.
type Outcome struct {
	Events []string `yaml:"events"` // event types; empty: any event
	Within Duration `yaml:"within"` // attribution window (default 7d)
}

// Guardrails are per-trigger limits. Zero values mean "no limit" except
// QuietHours, which is honoured unless set to false.
type Guardrails struct {
	Cooldown   Duration `yaml:"cooldown"`
	PerDay     int      `yaml:"per_day"`
	PerWeek    int      `yaml:"per_week"`
	QuietHours *bool    `yaml:"quiet_hours"`
	Consent    []string `yaml:"consent"`
	Approval   bool     `yaml:"approval"`
	// Silent triggers (a webhook only, a tag) are not counted against the
	// customer's global caps and ignore quiet hours.
	Silent bool `yaml:"silent"`
}

// Action is one thing a firing does. Type selects which fields apply.
type Action struct {
	Type string `yaml:"type"`
	// open_conversation, send_message: the text per language (a Go
	// text/template over .event, .profile, .customer), an optional LLM
	// brief, and whether to offer a human.
	Text        map[string]string `yaml:"text"`
	Brief       string            `yaml:"brief"`
	HumanOption bool              `yaml:"human_option"`
	// handoff
	Queue  string `yaml:"queue"`
	Reason string `yaml:"reason"`
	// webhook
	URL       string            `yaml:"url"`
	SecretEnv string            `yaml:"secret_env"`
	Timeout   Duration          `yaml:"timeout"`
	Retries   int               `yaml:"retries"`
	Data      map[string]string `yaml:"data"` // name → expression
	// tag
	Tag string `yaml:"tag"`
	// schedule: arm another trigger's check after a delay
	Trigger string   `yaml:"trigger"`
	After   Duration `yaml:"after"`
}

var actionFields = map[string][]string{
	ActOpenConversation: {"text", "brief", "human_option"},
	ActSendMessage:      {"text", "brief", "human_option"},
	ActHandoff:          {"queue", "reason"},
	ActWebhook:          {"url", "secret_env", "timeout", "retries", "data"},
	ActTag:              {"tag"},
	ActSchedule:         {"trigger", "after"},
}

// Duration is a time.Duration written as "30m", "36h", "3d" or "2w".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ParseDuration reads Go durations plus days ("3d") and weeks ("2w").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if n := len(s); s[n-1] == 'd' || s[n-1] == 'w' {
		f, err := strconv.ParseFloat(s[:n-1], 64)
		if err != nil || f < 0 || f > 3650*7 {
			return 0, fmt.Errorf("duration %q: want e.g. 30m, 36h, 3d, 2w", s)
		}
		unit := 24 * time.Hour
		if s[n-1] == 'w' {
			unit *= 7
		}
		return time.Duration(f * float64(unit)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: want e.g. 30m, 36h, 3d, 2w", s)
	}
	return d, nil
}

// FileError is a trigger file refused at load: where, and why.
type FileError struct {
	File   string
	Line   int
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return e.File + ": " + e.Reason
}

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	typePattern = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)
	tagPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:-]{0,63}$`)
)

// maxFile bounds a trigger file.
const maxFile = 256 << 10

// parseSpec decodes one trigger file strictly (unknown keys are errors)
// and checks everything but the expressions. lines maps field paths
// ("condition", "actions[1].data.sku") to their line in the file.
func parseSpec(name string, data []byte) (Spec, map[string]int, error) {
	var s Spec
	if len(data) > maxFile {
		return s, nil, &FileError{File: name, Reason: fmt.Sprintf("file is %d bytes, more than %d", len(data), maxFile)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return s, nil, yamlErr(name, err)
	}
	if len(root.Content) == 0 {
		return s, nil, &FileError{File: name, Reason: "empty file"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return s, nil, &FileError{File: name, Line: doc.Line, Reason: "a trigger file is one YAML mapping"}
	}
	lines := map[string]int{}
	collectLines(doc, "", lines)
	// Actions are checked key by key: each type allows only its fields.
	for key, n := range mapping(doc) {
		if key != "actions" {
			continue
		}
		if n.Kind != yaml.SequenceNode {
			return s, nil, &FileError{File: name, Line: n.Line, Reason: "actions must be a list"}
		}
		for i, a := range n.Content {
			if err := checkActionKeys(name, i, a); err != nil {
				return s, nil, err
			}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, nil, yamlErr(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return s, nil, &FileError{File: name, Reason: "one trigger per file (found a second YAML document)"}
	}
	return s, lines, checkSpec(name, s, lines)
}

func mapping(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

func collectLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			v := n.Content[i+1]
			line := v.Line
			if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				line++ // a block scalar's text starts on the next line
			}
			lines[p] = line
			collectLines(v, p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			collectLines(c, p, lines)
		}
	}
}

func checkActionKeys(file string, i int, a *yaml.Node) error {
	if a.Kind != yaml.MappingNode {
		return &FileError{File: file, Line: a.Line, Reason: fmt.Sprintf("actions[%d] must be a mapping with a type", i)}
	}
	m := mapping(a)
	t, ok := m["type"]
	if !ok {
		return &FileError{File: file, Line: a.Line, Reason: fmt.Sprintf("actions[%d] has no type", i)}
	}
	allowed, ok := actionFields[t.Value]
	if !ok {
		return &FileError{File: file, Line: t.Line, Reason: fmt.Sprintf("actions[%d]: unknown type %q (want one of %s)", i, t.Value, strings.Join(sortedKeys(actionFields), ", "))}
	}
	for j := 0; j+1 < len(a.Content); j += 2 {
		k := a.Content[j]
		if k.Value != "type" && !slices.Contains(allowed, k.Value) {
			return &FileError{File: file, Line: k.Line, Reason: fmt.Sprintf("actions[%d]: %s takes no %q (it takes %s)", i, t.Value, k.Value, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

func yamlErr(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FileError{File: file, Line: line, Reason: m[2]}
	}
	return &FileError{File: file, Reason: msg}
}

func checkSpec(file string, s Spec, lines map[string]int) error {
	bad := func(field, format string, args ...any) error {
		return &FileError{File: file, Line: lines[field], Reason: field + ": " + fmt.Sprintf(format, args...)}
	}
	switch {
	case !idPattern.MatchString(s.ID):
		return bad("id", "%q: want [a-z][a-z0-9_]{0,63}", s.ID)
	case len(s.On) == 0:
		return bad("on", "name at least one event type that wakes the trigger")
	case strings.TrimSpace(s.Condition) == "" && s.At == "":
		return bad("condition", "a condition is required (write `true` to fire on every event)")
	case len(s.Actions) == 0:
		return bad("actions", "at least one action is required")
	case s.Holdout < 0 || s.Holdout > 0.5:
		return bad("holdout", "%v: want a share within 0..0.5", s.Holdout)
	case s.Every != 0 && s.At == "":
		return bad("every", "needs `at` (when the first check runs)")
	case s.Every != 0 && s.Every.D() < time.Hour:
		return bad("every", "at least 1h")
	case s.Lang != "" && s.Lang != "zh" && s.Lang != "en":
		return bad("lang", "%q: want zh or en", s.Lang)
	case s.Guardrails.PerDay < 0 || s.Guardrails.PerWeek < 0:
		return bad("guardrails", "caps must not be negative")
	}
	for i, t := range s.On {
		if t != "*" && !typePattern.MatchString(t) {
			return bad(fmt.Sprintf("on[%d]", i), "%q is not an event type", t)
		}
	}
	for i, t := range s.Outcome.Events {
		if !typePattern.MatchString(t) {
			return bad(fmt.Sprintf("outcome.events[%d]", i), "%q is not an event type", t)
		}
	}
	for i, a := range s.Actions {
		f := fmt.Sprintf("actions[%d]", i)
		switch a.Type {
		case ActOpenConversation, ActSendMessage:
			if len(a.Text) == 0 {
				return bad(f, "%s needs text (zh and/or en)", a.Type)
			}
			for lang, txt := range a.Text {
				if lang != "zh" && lang != "en" {
					return bad(f+".text", "language %q: want zh or en", lang)
				}
				if strings.TrimSpace(txt) == "" {
					return bad(f+".text."+lang, "empty text")
				}
			}
		case ActWebhook:
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return bad(f+".url", "%q: want an http(s) URL", a.URL)
			}
			if a.Retries < 0 || a.Retries > 10 {
				return bad(f+".retries", "want 0..10")
			}
			if a.Timeout.D() > time.Minute {
				return bad(f+".timeout", "at most 1m")
			}
		case ActTag:
			if !tagPattern.MatchString(a.Tag) {
				return bad(f+".tag", "%q: want [a-z0-9][a-z0-9_.:-]{0,63}", a.Tag)
			}
		case ActSchedule:
			if !idPattern.MatchString(a.Trigger) {
				return bad(f+".trigger", "%q is not a trigger id", a.Trigger)
			}
			if a.After <= 0 {
				return bad(f+".after", "a positive delay is required")
			}
		}
	}
	return nil
}
