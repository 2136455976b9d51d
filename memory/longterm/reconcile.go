package longterm

import (
	"strings"

	"github.com/kairoscx/kairos/memory"
)

// Op is what reconciliation decided for a candidate.
type Op string

// The operations Reconcile produces.
const (
	OpAdd        Op = "add"        // store as a new memory
	OpSkip       Op = "skip"       // a duplicate, or a retraction of nothing
	OpSupersede  Op = "supersede"  // replaces Old, which keeps its history
	OpInvalidate Op = "invalidate" // ends Old without a successor
)

// Action is one reconciliation decision.
type Action struct {
	Op        Op
	Candidate Candidate
	// Old is the stored memory the action is about (the duplicate for
	// OpSkip, the replaced or ended memory otherwise); zero for OpAdd.
	Old    memory.Memory
	Reason string
}

// Reconcile decides, for each candidate, what happens to the customer's
// memories. Only current memories in existing are considered. The rules:
//
//  1. Candidates are deduplicated first: of several with one key the last
//     (the latest statement) is kept; of several free-form ones with the
//     same text, the first.
//  2. A retraction (Candidate.Retract) invalidates the current memory of its
//     key. When the slot's value identifies what is retracted (a city, a
//     size) and differs from the stored one ("not in Beijing" while we
//     know Shanghai), nothing happens. Retracting an unknown slot is skipped.
//  3. A keyed candidate whose key has a current memory with the same value
//     (compared without case, spaces or punctuation) is a duplicate: skipped.
//     With a different value it supersedes the newest current memory of
//     the key (store.SupersedeMemory keeps the old one with its validity
//     interval); any further current memory of that key is invalidated.
//  4. A free-form candidate (no key) whose text matches a current memory's
//     text the same way is a duplicate: skipped. Otherwise it is added.
//  5. Everything else is added.
func Reconcile(cands []Candidate, existing []memory.Memory) []Action {
	current := map[string][]memory.Memory{} // key → current memories, newest first
	texts := map[string]memory.Memory{}
	for _, m := range existing {
		if !m.Current() {
			continue
		}
		if m.Key != "" {
			current[m.Key] = append(current[m.Key], m)
		}
		texts[normText(m.Text)] = m
	}
	for _, ms := range current {
		sortNewestFirst(ms)
	}
	var out []Action
	for _, c := range dedupe(cands) {
		if c.Key == "" {
			if old, ok := texts[normText(c.Text)]; ok {
				out = append(out, Action{Op: OpSkip, Candidate: c, Old: old, Reason: "same text"})
				continue
			}
			out = append(out, Action{Op: OpAdd, Candidate: c})
			continue
		}
		ms := current[c.Key]
		switch {
		case c.Retract && len(ms) == 0:
			out = append(out, Action{Op: OpSkip, Candidate: c, Reason: "retracts nothing stored"})
		case c.Retract && valueIdentifies(c.Key) && c.Value != "" && normText(ms[0].Value) != normText(c.Value):
			out = append(out, Action{Op: OpSkip, Candidate: c, Old: ms[0], Reason: "retracts another value"})
		case c.Retract:
			for _, m := range ms {
				out = append(out, Action{Op: OpInvalidate, Candidate: c, Old: m, Reason: "contradicted"})
			}
		case len(ms) == 0:
			out = append(out, Action{Op: OpAdd, Candidate: c})
		case normText(ms[0].Value) == normText(c.Value):
			out = append(out, Action{Op: OpSkip, Candidate: c, Old: ms[0], Reason: "same value"})
		default:
			out = append(out, Action{Op: OpSupersede, Candidate: c, Old: ms[0], Reason: "new value"})
			for _, m := range ms[1:] {
				out = append(out, Action{Op: OpInvalidate, Candidate: c, Old: m, Reason: "duplicate current memory of the key"})
			}
		}
	}
	return out
}

// valueIdentifies reports whether a slot's value says which thing is meant,
// so retracting another value retracts nothing. A pet's value is a count:
// "no dog anymore" retracts whatever count we had.
func valueIdentifies(key string) bool {
	return !strings.HasPrefix(key, "pet.") && !strings.HasPrefix(key, "diet.") && key != "contact.no_call"
}

// dedupe keeps the last candidate per key and the first per free text.
func dedupe(cs []Candidate) []Candidate {
	lastKey := map[string]int{}
	for i, c := range cs {
		if c.Key != "" {
			lastKey[c.Key] = i
		}
	}
	seenText := map[string]bool{}
	var out []Candidate
	for i, c := range cs {
		if c.Key != "" {
			if lastKey[c.Key] == i {
				out = append(out, c)
			}
			continue
		}
		t := normText(c.Text)
		if t == "" || seenText[t] {
			continue
		}
		seenText[t] = true
		out = append(out, c)
	}
	return out
}

func sortNewestFirst(ms []memory.Memory) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].ValidFrom.After(ms[j-1].ValidFrom); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}
