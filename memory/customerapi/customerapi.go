// Package customerapi is the customer-360 admin API: one customer's view
// (identities, profile, recent events, memories, merges), linking an
// identity from a business system, and forgetting a customer or one memory.
//
// Routes (authentication is the gateway's middleware's job):
//
//	GET    /api/v1/customers/{id}                         the customer's 360 view
//	DELETE /api/v1/customers/{id}                         erase the customer's personal data
//	POST   /api/v1/customers/{id}/identities              link an identity {"kind","value","merge"}
//	DELETE /api/v1/customers/{id}/memories/{memory_id}    erase one memory
//
// An id that was merged into another customer resolves to the survivor.
// Errors are JSON: {"error":{"code","message","field"?}}.
package customerapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kairoscx/kairos/memory"
)

// Store is the part of the store the API needs: memory.Store's
// CustomerByIdentity and most of memory.CustomerStore.
type Store interface {
	CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error)
	Customer(ctx context.Context, id string) (memory.Customer, error)
	Identities(ctx context.Context, customerID string) ([]memory.Identity, error)
	LinkIdentity(ctx context.Context, customerID string, id memory.Identity, survivor string, reason string) (memory.Customer, error)
	Merges(ctx context.Context, customerID string) ([]memory.Merge, error)
	DeleteCustomer(ctx context.Context, id string) (memory.Erasure, error)
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
	Profile(ctx context.Context, customerID string) (memory.Profile, error)
	Memories(ctx context.Context, customerID string, withHistory bool) ([]memory.Memory, error)
	DeleteMemory(ctx context.Context, id string) error
}

// Limits.
const (
	// RecentEvents is how many of the newest events the view shows.
	RecentEvents = 50
	// maxBodyBytes bounds a request body; an identity is a few dozen bytes.
	maxBodyBytes = 16 << 10
	// maxIDLen bounds ids taken from the path.
	maxIDLen = 128
)

// Handler serves the customer API. Create it with New.
type Handler struct {
	store  Store
	logger *slog.Logger
	mux    *http.ServeMux
}

// New returns the API over store; logger may be nil.
func New(store Store, logger *slog.Logger) (*Handler, error) {
	if store == nil {
		return nil, errors.New("customerapi: new: store is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: store, logger: logger.With("component", "customerapi"), mux: http.NewServeMux()}
	h.mux.HandleFunc("/api/v1/customers/{id}", h.customer)
	h.mux.HandleFunc("/api/v1/customers/{id}/identities", h.identities)
	h.mux.HandleFunc("/api/v1/customers/{id}/memories/{memory_id}", h.memory)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+clip(r.URL.Path), "")
	})
	return h, nil
}

// ServeHTTP routes a request under /api/v1/customers/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r)
	case http.MethodDelete:
		h.erase(w, r)
	default:
		methodNotAllowed(w, "GET, DELETE")
	}
}

func (h *Handler) identities(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	h.link(w, r)
}

func (h *Handler) memory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		methodNotAllowed(w, "DELETE")
		return
	}
	h.forgetMemory(w, r)
}

// resolve returns the customer the path's id names (the survivor for a
// merged id), or writes the error and reports false.
func (h *Handler) resolve(w http.ResponseWriter, r *http.Request) (memory.Customer, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxIDLen {
		writeError(w, http.StatusNotFound, "not_found", "no customer "+clip(id), "id")
		return memory.Customer{}, false
	}
	c, err := h.store.Customer(r.Context(), id)
	if err != nil {
		h.storeError(w, r, err, "find customer", "no customer "+id)
		return memory.Customer{}, false
	}
	return c, true
}

// storeError answers a store error by its kind.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, err error, doing, notFound string) {
	switch {
	case errors.Is(err, memory.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", notFound, "")
	case errors.Is(err, memory.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", err.Error(), "")
	case errors.Is(err, memory.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error(), "")
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
	default:
		h.logger.ErrorContext(r.Context(), doing+" failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not "+doing, "")
	}
}
