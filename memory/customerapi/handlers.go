package customerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// view is the body of GET /api/v1/customers/{id}.
type view struct {
	Customer customerJSON `json:"customer"`
	// ResolvedFrom is the id asked for when it was merged into Customer.
	ResolvedFrom string         `json:"resolved_from,omitempty"`
	Identities   []identityJSON `json:"identities"`
	Profile      memory.Profile `json:"profile"`
	RecentEvents []eventJSON    `json:"recent_events"` // newest first
	Memories     []memoryJSON   `json:"memories"`      // current ones, newest first
	Merges       []mergeJSON    `json:"merges"`        // oldest first
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	c, ok := h.resolve(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := view{Customer: toCustomer(c)}
	if asked := r.PathValue("id"); asked != c.ID {
		v.ResolvedFrom = asked
	}
	ids, err := h.store.Identities(ctx, c.ID)
	if err != nil {
		h.storeError(w, r, err, "read identities", "no customer "+c.ID)
		return
	}
	v.Identities = toIdentities(ids)
	if v.Profile, err = h.store.Profile(ctx, c.ID); err != nil {
		h.storeError(w, r, err, "read profile", "no customer "+c.ID)
		return
	}
	v.Profile.CustomerID = c.ID
	evs, err := h.store.Events(ctx, c.ID, memory.EventQuery{Limit: RecentEvents, Desc: true})
	if err != nil {
		h.storeError(w, r, err, "read events", "no customer "+c.ID)
		return
	}
	v.RecentEvents = toEvents(evs)
	mems, err := h.store.Memories(ctx, c.ID, false)
	if err != nil {
		h.storeError(w, r, err, "read memories", "no customer "+c.ID)
		return
	}
	v.Memories = toMemories(mems)
	merges, err := h.store.Merges(ctx, c.ID)
	if err != nil {
		h.storeError(w, r, err, "read merges", "no customer "+c.ID)
		return
	}
	v.Merges = toMerges(merges)
	writeJSON(w, http.StatusOK, v)
}

// erase forgets a customer. A merged id erases the customer it was merged
// into: that is the same person.
func (h *Handler) erase(w http.ResponseWriter, r *http.Request) {
	c, ok := h.resolve(w, r)
	if !ok {
		return
	}
	er, err := h.store.DeleteCustomer(r.Context(), c.ID)
	if err != nil {
		h.storeError(w, r, err, "erase customer", "no customer "+c.ID)
		return
	}
	// Only the id and the counts are logged: nothing personal.
	h.logger.InfoContext(r.Context(), "customer erased", "customer", c.ID, "messages", er.Messages,
		"events", er.Events, "memories", er.Memories)
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": c.ID, "erased": toErasure(er)})
}

// linkRequest is the body of POST /api/v1/customers/{id}/identities.
type linkRequest struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Merge allows linking an identity another customer has: that
	// customer is merged into this one.
	Merge bool `json:"merge"`
}

// Identity limits.
const (
	maxKindLen    = 64
	maxValueRunes = 256
)

func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	var req linkRequest
	if !decode(w, r, &req) {
		return
	}
	if field, msg := validIdentity(req.Kind, req.Value); field != "" {
		writeError(w, http.StatusBadRequest, "invalid", msg, field)
		return
	}
	c, ok := h.resolve(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := memory.Identity{Kind: req.Kind, Value: req.Value}
	// The store contract has no lookup that does not create: an identity
	// nobody had gets an empty customer of its own here, merged into c
	// below.
	owner, created, err := h.store.CustomerByIdentity(ctx, id)
	if err != nil {
		h.storeError(w, r, err, "look up the identity", "no customer "+c.ID)
		return
	}
	status, linked, mergedFrom := http.StatusOK, false, ""
	switch {
	case owner.ID == c.ID:
		// Already linked: nothing to do.
	case !created && !req.Merge:
		writeJSON(w, http.StatusConflict, map[string]apiError{"error": {Code: "identity_taken", Field: "value",
			Message: fmt.Sprintf("%s belongs to customer %s; send \"merge\": true to merge that customer into %s", req.Kind, owner.ID, c.ID),
			Owner:   owner.ID}})
		return
	default:
		if !created {
			mergedFrom = owner.ID
		}
		reason := "api link " + req.Kind
		if c, err = h.store.LinkIdentity(ctx, c.ID, id, c.ID, reason); err != nil {
			h.storeError(w, r, err, "link the identity", "no customer "+c.ID)
			return
		}
		status, linked = http.StatusCreated, true
		h.logger.InfoContext(ctx, "identity linked", "customer", c.ID, "kind", req.Kind, "merged_from", mergedFrom)
	}
	ids, err := h.store.Identities(ctx, c.ID)
	if err != nil {
		h.storeError(w, r, err, "read identities", "no customer "+c.ID)
		return
	}
	body := map[string]any{"customer": toCustomer(c), "identities": toIdentities(ids), "linked": linked}
	if mergedFrom != "" {
		body["merged_from"] = mergedFrom
	}
	writeJSON(w, status, body)
}

func validIdentity(kind, value string) (field, msg string) {
	if kind == "" || len(kind) > maxKindLen || kind[0] < 'a' || kind[0] > 'z' {
		return "kind", fmt.Sprintf("kind must be 1 to %d characters of a-z, 0-9 and _, starting with a letter", maxKindLen)
	}
	for i := 0; i < len(kind); i++ {
		if ch := kind[i]; !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return "kind", fmt.Sprintf("kind must be 1 to %d characters of a-z, 0-9 and _, starting with a letter", maxKindLen)
		}
	}
	bad := value == "" || !utf8.ValidString(value) || utf8.RuneCountInString(value) > maxValueRunes ||
		strings.TrimSpace(value) != value
	for _, r := range value {
		if !unicode.IsPrint(r) {
			bad = true
		}
	}
	if bad {
		return "value", fmt.Sprintf("value must be 1 to %d printable characters without surrounding spaces", maxValueRunes)
	}
	return "", ""
}

// forgetMemory erases one of the customer's memories (current or past).
func (h *Handler) forgetMemory(w http.ResponseWriter, r *http.Request) {
	c, ok := h.resolve(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	memID := r.PathValue("memory_id")
	mems, err := h.store.Memories(ctx, c.ID, true)
	if err != nil {
		h.storeError(w, r, err, "read memories", "no customer "+c.ID)
		return
	}
	found := false
	for _, m := range mems {
		if m.ID == memID {
			found = true
			break
		}
	}
	if !found {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("customer %s has no memory %s", c.ID, clip(memID)), "memory_id")
		return
	}
	if err := h.store.DeleteMemory(ctx, memID); err != nil {
		h.storeError(w, r, err, "delete the memory", "no memory "+memID)
		return
	}
	h.logger.InfoContext(ctx, "memory deleted", "customer", c.ID, "memory", memID)
	w.WriteHeader(http.StatusNoContent)
}

// decode reads exactly one JSON object of at most maxBodyBytes into v, with
// no unknown fields, or writes the error and reports false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json", "")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", maxBodyBytes), "")
		case errors.As(err, &typeErr):
			writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: "+err.Error(), typeErr.Field)
		default:
			writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: "+err.Error(), "")
		}
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: trailing data after the object", "")
		return false
	}
	return true
}
