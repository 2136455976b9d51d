package customerapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// The API's JSON shapes. Times are RFC 3339 in UTC; embeddings and search
// terms are internal and never shown.

type customerJSON struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
}

type identityJSON struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type eventJSON struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Source     string          `json:"source,omitempty"`
	Props      json.RawMessage `json:"props,omitempty"`
	At         string          `json:"at"`
	ReceivedAt string          `json:"received_at,omitempty"`
}

type memoryJSON struct {
	ID         string              `json:"id"`
	Kind       string              `json:"kind"`
	Key        string              `json:"key,omitempty"`
	Text       string              `json:"text"`
	Value      string              `json:"value,omitempty"`
	Lang       string              `json:"lang,omitempty"`
	Importance float64             `json:"importance"`
	Sources    []memory.MessageRef `json:"sources,omitempty"`
	CreatedAt  string              `json:"created_at"`
	ValidFrom  string              `json:"valid_from,omitempty"`
}

type mergeJSON struct {
	Into   string `json:"into"`
	From   string `json:"from"`
	Reason string `json:"reason,omitempty"`
	At     string `json:"at"`
}

type erasureJSON struct {
	Customers     int `json:"customers"`
	Identities    int `json:"identities"`
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	Events        int `json:"events"`
	Memories      int `json:"memories"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func toCustomer(c memory.Customer) customerJSON {
	return customerJSON{ID: c.ID, CreatedAt: ts(c.CreatedAt)}
}

func toIdentities(ids []memory.Identity) []identityJSON {
	out := make([]identityJSON, 0, len(ids))
	for _, id := range ids {
		out = append(out, identityJSON{Kind: id.Kind, Value: id.Value})
	}
	return out
}

func toEvents(evs []memory.Event) []eventJSON {
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		j := eventJSON{ID: e.ID, Type: e.Type, Source: e.Source, At: ts(e.At), ReceivedAt: ts(e.ReceivedAt)}
		if len(e.Props) > 0 && json.Valid(e.Props) {
			j.Props = e.Props
		}
		out = append(out, j)
	}
	return out
}

func toMemories(ms []memory.Memory) []memoryJSON {
	out := make([]memoryJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, memoryJSON{ID: m.ID, Kind: m.Kind, Key: m.Key, Text: m.Text, Value: m.Value, Lang: m.Lang,
			Importance: m.Importance, Sources: m.Sources, CreatedAt: ts(m.CreatedAt), ValidFrom: ts(m.ValidFrom)})
	}
	return out
}

func toMerges(ms []memory.Merge) []mergeJSON {
	out := make([]mergeJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, mergeJSON{Into: m.Into, From: m.From, Reason: m.Reason, At: ts(m.At)})
	}
	return out
}

func toErasure(e memory.Erasure) erasureJSON {
	return erasureJSON{Customers: e.Customers, Identities: e.Identities, Conversations: e.Conversations,
		Messages: e.Messages, Events: e.Events, Memories: e.Memories}
}

// apiError is the error object; Owner is set on identity conflicts.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Owner   string `json:"owner,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg, Field: field}})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "allowed: "+allow, "")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // personal data
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
