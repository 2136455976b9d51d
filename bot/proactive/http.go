package proactive

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Handler serves the trigger and approval admin API. Authentication is
// the gateway's (the /api/v1 bearer key); Handler trusts its caller.
//
//	GET  /api/v1/triggers                              loaded triggers and the last load error
//	GET  /api/v1/triggers/{id}/report?from=&to=        treatment vs holdout (RFC 3339 or YYYY-MM-DD; default last 30 days)
//	GET  /api/v1/proactive/approvals?status=pending    drafts waiting for a human (status: pending|approved|rejected|failed|all)
//	POST /api/v1/proactive/approvals/{id}/approve      {"by": "agent-7"}
//	POST /api/v1/proactive/approvals/{id}/edit         {"text": "...", "by": "agent-7"}
//	POST /api/v1/proactive/approvals/{id}/reject       {"by": "agent-7", "note": "..."}
//	GET  /api/v1/proactive/customers/{id}              opt-out, consent, preferences, tags, recent contacts
//	PUT  /api/v1/proactive/customers/{id}/opt-out      {"opt_out": true}
//	PUT  /api/v1/proactive/customers/{id}/consent      {"flag": "marketing", "granted": true}
//	PUT  /api/v1/proactive/customers/{id}/preferences  {"tz": "Europe/Paris", "lang": "en"}
type Handler struct {
	e       *Engine
	loadErr func() error
	mux     *http.ServeMux
}

// NewHandler returns the admin API of e. loadErr, when set, reports the
// last trigger-file load error (Watcher.Err).
func NewHandler(e *Engine, loadErr func() error) *Handler {
	h := &Handler{e: e, loadErr: loadErr, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /api/v1/triggers", h.list)
	h.mux.HandleFunc("GET /api/v1/triggers/{id}/report", h.report)
	h.mux.HandleFunc("GET /api/v1/proactive/approvals", h.drafts)
	h.mux.HandleFunc("POST /api/v1/proactive/approvals/{id}/{verb}", h.decide)
	h.mux.HandleFunc("GET /api/v1/proactive/customers/{id}", h.customer)
	h.mux.HandleFunc("PUT /api/v1/proactive/customers/{id}/{what}", h.setCustomer)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type triggerInfo struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	On          []string `json:"on"`
	Priority    int      `json:"priority"`
	Holdout     float64  `json:"holdout"`
	Timed       bool     `json:"timed"`
	Facing      bool     `json:"customer_facing"`
	Approval    bool     `json:"approval"`
	File        string   `json:"file"`
}

func (h *Handler) list(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Triggers  []triggerInfo `json:"triggers"`
		LoadError string        `json:"load_error,omitempty"`
	}{Triggers: []triggerInfo{}}
	for _, t := range h.e.Matrix().Triggers() {
		out.Triggers = append(out.Triggers, triggerInfo{ID: t.ID, Description: strings.TrimSpace(t.Description), On: t.On,
			Priority: t.Priority, Holdout: t.Holdout, Timed: t.Timed(), Facing: t.facing, Approval: t.Guardrails.Approval, File: t.File})
	}
	if h.loadErr != nil {
		if err := h.loadErr(); err != nil {
			out.LoadError = err.Error()
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ParsePeriod reads from/to (RFC 3339 or YYYY-MM-DD; to is exclusive and
// a date means the end of that day). Defaults: the 30 days before now.
func ParsePeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	parse := func(s string, endOfDay bool) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return t, errors.New("want RFC 3339 or YYYY-MM-DD, got " + clipQ(s))
		}
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t1, t0 := now, now.AddDate(0, 0, -30)
	var err error
	if to != "" {
		if t1, err = parse(to, true); err != nil {
			return t0, t1, errors.New("to: " + err.Error())
		}
	}
	if from != "" {
		if t0, err = parse(from, false); err != nil {
			return t0, t1, errors.New("from: " + err.Error())
		}
	} else {
		t0 = t1.AddDate(0, 0, -30)
	}
	if !t0.Before(t1) {
		return t0, t1, errors.New("from must be before to")
	}
	return t0, t1, nil
}

func clipQ(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := h.e.Matrix().Trigger(id); !ok {
		writeErr(w, http.StatusNotFound, "not_found", "no trigger "+clipQ(id)+" is loaded")
		return
	}
	from, to, err := ParsePeriod(r.URL.Query().Get("from"), r.URL.Query().Get("to"), h.e.now())
	if err != nil {
		writeErr(w, http.StatusBadRequest, "invalid_period", err.Error())
		return
	}
	rep, err := h.e.Report(r.Context(), id, from, to)
	if err != nil {
		writeErr(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) drafts(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = DraftPending
	case "all":
		status = ""
	case DraftPending, DraftApproved, DraftRejected, DraftFailed:
	default:
		writeErr(w, http.StatusBadRequest, "invalid_status", "status: want pending, approved, rejected, failed or all")
		return
	}
	ds, err := h.e.Drafts(r.Context(), status)
	if err != nil {
		writeErr(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	if ds == nil {
		ds = []Draft{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": ds})
}

const maxBody = 16 << 10

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeErr(w, http.StatusBadRequest, "invalid_json", err.Error())
		return false
	}
	return true
}

func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By   string `json:"by"`
		Text string `json:"text"`
		Note string `json:"note"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	id, by := r.PathValue("id"), body.By
	if by == "" {
		by = "api"
	}
	var d Draft
	var err error
	switch r.PathValue("verb") {
	case "approve":
		d, err = h.e.ApproveDraft(r.Context(), id, by)
	case "reject":
		d, err = h.e.RejectDraft(r.Context(), id, by, body.Note)
	case "edit":
		d, err = h.e.EditDraft(r.Context(), id, body.Text, by)
	default:
		writeErr(w, http.StatusNotFound, "not_found", "want approve, edit or reject")
		return
	}
	switch {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, "not_found", "no draft "+clipQ(id))
	case errors.Is(err, ErrConflict):
		writeErr(w, http.StatusConflict, "conflict", err.Error())
	case err != nil && d.Status == DraftFailed:
		writeJSON(w, http.StatusBadGateway, map[string]any{"approval": d, "error": map[string]string{"code": "delivery_failed", "message": err.Error()}})
	case err != nil:
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]any{"approval": d})
	}
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) {
	cs, err := h.e.CustomerState(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

func (h *Handler) setCustomer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("what") {
	case "opt-out":
		var b struct {
			OptOut *bool `json:"opt_out"`
		}
		if !decodeBody(w, r, &b) {
			return
		}
		if b.OptOut == nil {
			writeErr(w, http.StatusBadRequest, "invalid", "opt_out (true or false) is required")
			return
		}
		err = h.e.OptOut(r.Context(), id, *b.OptOut)
	case "consent":
		var b struct {
			Flag    string `json:"flag"`
			Granted bool   `json:"granted"`
		}
		if !decodeBody(w, r, &b) {
			return
		}
		err = h.e.SetConsent(r.Context(), id, b.Flag, b.Granted)
	case "preferences":
		var b struct {
			TZ   string `json:"tz"`
			Lang string `json:"lang"`
		}
		if !decodeBody(w, r, &b) {
			return
		}
		err = h.e.SetPreferences(r.Context(), id, b.TZ, b.Lang)
	default:
		writeErr(w, http.StatusNotFound, "not_found", "want opt-out, consent or preferences")
		return
	}
	if err != nil {
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	h.customer(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
