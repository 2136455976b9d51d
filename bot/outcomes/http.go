package outcomes

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
)

// Handler serves the outcome figures (admin API; authentication is the
// gateway's /api/v1 bearer key):
//
//	GET /api/v1/outcomes?from=&to=&by=trigger|channel|segment&interval=day|week|month
//	    the Report as JSON (from/to: RFC 3339 or YYYY-MM-DD, to inclusive
//	    for a date; default the last 30 days)
//	GET /api/v1/outcomes/ledger?from=&to=&format=csv|json
//	    the outcome ledger's entries
//
// Bad parameters are 400 {"error": "..."}; a source failing is 502.
type Handler struct {
	sources func() Sources
	now     func() time.Time
	mux     *http.ServeMux
}

// NewHandler returns the outcomes API over the sources sources() gives
// (called per request, so hot-reloaded triggers are seen).
func NewHandler(sources func() Sources) *Handler {
	h := &Handler{sources: sources, now: time.Now, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /api/v1/outcomes", h.report)
	h.mux.HandleFunc("GET /api/v1/outcomes/ledger", h.ledger)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ParamsFromQuery reads from, to, by, interval, k and min_group.
func ParamsFromQuery(q map[string][]string, now time.Time) (Params, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	from, to, err := proactive.ParsePeriod(get("from"), get("to"), now)
	if err != nil {
		return Params{}, errors.Join(err, ErrInvalid)
	}
	p := Params{From: from, To: to, By: get("by"), Interval: get("interval"), Now: now}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"k", &p.K}, {"min_group", &p.MinGroup}} {
		if s := get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 1_000_000 {
				return Params{}, errors.Join(errors.New(f.name+": want a whole number 0..1000000, got "+strconv.Quote(clip(s))), ErrInvalid)
			}
			*f.dst = n
		}
	}
	return p, p.normalize()
}

func (h *Handler) params(w http.ResponseWriter, r *http.Request) (Params, bool) {
	p, err := ParamsFromQuery(r.URL.Query(), h.now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return p, false
	}
	return p, true
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	p, ok := h.params(w, r)
	if !ok {
		return
	}
	rep, err := Compute(r.Context(), h.sources(), p)
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, ErrInvalid) {
			status = http.StatusBadRequest
		}
		slog.Warn("outcomes report", "err", err)
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) ledger(w http.ResponseWriter, r *http.Request) {
	p, ok := h.params(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "json" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "format: want csv or json"})
		return
	}
	entries, _, err := Ledger(r.Context(), h.sources(), p)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="outcome-ledger.csv"`)
		_ = WriteLedgerCSV(w, entries)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": p.From, "to": p.To, "entries": entries})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
