package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Request limits of POST /api/v1/events.
const (
	MaxBodyBytes = 1 << 20
	MaxEvents    = 1000
	// publishTimeout bounds the wait for the stream to acknowledge a
	// request's events.
	publishTimeout = 10 * time.Second
)

// Per-event statuses.
const (
	StatusAccepted  = "accepted"  // in the stream; it will be stored and applied
	StatusDuplicate = "duplicate" // an event with this id was received before
	StatusInvalid   = "invalid"   // rejected; Error says which field
)

// Result is the outcome for one event of a request.
type Result struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Error  *ResultError `json:"error,omitempty"`
}

// ResultError names the field that made an event invalid.
type ResultError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Response is the body of a well-formed request's answer.
type Response struct {
	Results   []Result `json:"results"`
	Accepted  int      `json:"accepted"`
	Duplicate int      `json:"duplicate"`
	Invalid   int      `json:"invalid"`
}

// Handler serves POST /api/v1/events. Authentication is the caller's
// middleware's job. See docs/events.md for the contract.
func (in *Ingest) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/events", in.serveEvents)
	return mux
}

// pending is a valid event of a request on its way to the stream.
type pending struct {
	i  int // index in the request
	ev Event
}

func (in *Ingest) serveEvents(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send events as application/json", "")
		return
	}
	raws, status, derr := readBatch(w, r)
	if derr != nil {
		writeError(w, status, codeFor(status), derr.Message, derr.Field)
		return
	}
	now := in.now()
	results := make([]Result, len(raws))
	var ok []pending
	for i, raw := range raws {
		ev, err := decodeEvent(raw, fmt.Sprintf("events[%d]", i))
		var de *decodeError
		if errors.As(err, &de) {
			writeError(w, http.StatusBadRequest, "invalid_json", de.Message, de.Field)
			return
		}
		results[i].ID = ev.ID
		if err == nil {
			ev, err = in.normalize(ev, "api", now)
		}
		if err != nil {
			results[i].invalid(err)
			continue
		}
		ok = append(ok, pending{i, ev})
	}
	ok = dropRepeats(ok, results)
	if !in.cfg.SkipStoreCheck {
		ok = in.checkStored(r.Context(), ok, results)
	}
	if err := in.publish(r.Context(), ok, results); err != nil {
		in.logger.ErrorContext(r.Context(), "publish events", "events", len(ok), "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"the event stream did not take the events; send the batch again (ids make it safe)", "")
		return
	}
	resp := Response{Results: results}
	for _, res := range results {
		switch res.Status {
		case StatusAccepted:
			resp.Accepted++
		case StatusDuplicate:
			resp.Duplicate++
		default:
			resp.Invalid++
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// readBatch reads {"events":[...]} and returns the raw events, or the
// status and error to answer with.
func readBatch(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, int, *decodeError) {
	var req struct {
		Events []json.RawMessage `json:"events"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, &decodeError{Message: fmt.Sprintf("request body over %d bytes; send smaller batches", MaxBodyBytes)}
	case err != nil:
		return nil, http.StatusBadRequest, jsonError(err, "")
	case dec.More():
		return nil, http.StatusBadRequest, &decodeError{Message: "malformed JSON: more than one value in the body"}
	case req.Events == nil:
		return nil, http.StatusBadRequest, &decodeError{Field: "events", Message: "is required (an array of events)"}
	case len(req.Events) > MaxEvents:
		return nil, http.StatusRequestEntityTooLarge, &decodeError{Field: "events",
			Message: fmt.Sprintf("%d events, more than %d; send smaller batches", len(req.Events), MaxEvents)}
	}
	return req.Events, 0, nil
}

func codeFor(status int) string {
	if status == http.StatusRequestEntityTooLarge {
		return "too_large"
	}
	return "invalid_json"
}

// normalize fills an event's defaults (source, time) and validates it.
func (in *Ingest) normalize(ev Event, source string, now time.Time) (Event, error) {
	if err := ev.check(); err != nil {
		return ev, err
	}
	ev.V = 1
	if ev.Source == "" {
		ev.Source = source
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	me := ev.memoryEvent("cus_check", now)
	if err := profile.Validate(me, now); err != nil {
		return ev, err
	}
	// What the store checks too: an event it refuses would fail a whole
	// batch there, so none may pass here.
	if err := memory.ValidateEvent(me); err != nil {
		return ev, &profile.FieldError{Field: "event", Message: err.Error()}
	}
	return ev, nil
}

func (r *Result) invalid(err error) {
	r.Status = StatusInvalid
	var fe *profile.FieldError
	if errors.As(err, &fe) {
		r.Error = &ResultError{Field: fe.Field, Message: fe.Message}
		return
	}
	r.Error = &ResultError{Message: err.Error()}
}

// dropRepeats marks the second and later events with the same id in one
// request as duplicates.
func dropRepeats(ps []pending, results []Result) []pending {
	seen := make(map[string]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		if seen[p.ev.ID] {
			results[p.i].Status = StatusDuplicate
			continue
		}
		seen[p.ev.ID] = true
		out = append(out, p)
	}
	return out
}

// publish puts the events on SubjectIn with their ids as message ids,
// asynchronously, and waits for every acknowledgement. An error means some
// may not be in the stream; the client sends the batch again.
func (in *Ingest) publish(ctx context.Context, ps []pending, results []Result) error {
	if len(ps) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, len(ps))
	for k, p := range ps {
		msg := &nats.Msg{Subject: SubjectIn, Data: p.ev.appendJSON(nil), Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, p.ev.ID)
		// Under load the stream acknowledges late; wait for room as long
		// as the request may wait rather than fail it.
		var err error
		if futures[k], err = in.js.PublishMsgAsync(msg, jetstream.WithStallWait(publishTimeout)); err != nil {
			return fmt.Errorf("ingest: publish event %s: %w", p.ev.ID, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	for k, f := range futures {
		select {
		case ack := <-f.Ok():
			results[ps[k].i].Status = StatusAccepted
			if ack.Duplicate {
				results[ps[k].i].Status = StatusDuplicate
			}
		case err := <-f.Err():
			return fmt.Errorf("ingest: publish event %s: %w", ps[k].ev.ID, err)
		case <-ctx.Done():
			return fmt.Errorf("ingest: publish events: %w", ctx.Err())
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	e := map[string]string{"code": code, "message": msg}
	if field != "" {
		e["field"] = field
	}
	writeJSON(w, status, map[string]any{"error": e})
}
