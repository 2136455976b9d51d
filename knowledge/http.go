package knowledge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kairoscx/kairos/memory"
)

// maxBodyBytes is the largest request body the admin API reads (2 MiB).
// With JSON around it, a document's text must therefore be a little under
// MaxTextBytes when sent this way.
const maxBodyBytes = 2 << 20

// documentRequest is the body of POST /api/v1/knowledge/documents.
type documentRequest struct {
	Title  string `json:"title"`
	Text   string `json:"text"`
	Format string `json:"format,omitempty"`
	Lang   string `json:"lang,omitempty"`
	Source string `json:"source,omitempty"`
}

// documentJSON is a document as the admin API shows it.
type documentJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Format    string `json:"format"`
	Lang      string `json:"lang"`
	Source    string `json:"source,omitempty"`
	Chunks    int    `json:"chunks"`
	CreatedAt string `json:"created_at,omitempty"`
}

func toJSON(d memory.Document) documentJSON {
	j := documentJSON{ID: d.ID, Title: d.Title, Format: d.Format, Lang: d.Lang, Source: d.Source, Chunks: d.Chunks}
	if !d.CreatedAt.IsZero() {
		j.CreatedAt = d.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return j
}

// Handler serves the knowledge admin API:
//
//	POST   /api/v1/knowledge/documents       add a document (JSON)
//	GET    /api/v1/knowledge/documents       list documents
//	DELETE /api/v1/knowledge/documents/{id}  delete a document
//
// Errors are JSON: {"error":{"code","message","field"?}}. Authentication is
// the caller's middleware's job.
func (b *Base) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/knowledge/documents", b.handleAdd)
	mux.HandleFunc("GET /api/v1/knowledge/documents", b.handleList)
	mux.HandleFunc("DELETE /api/v1/knowledge/documents/{id}", b.handleDelete)
	return mux
}

func (b *Base) handleAdd(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the document as application/json", "")
		return
	}
	var req documentRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("request body over %d bytes", maxBodyBytes), "")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: "+err.Error(), "")
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: more than one value in the body", "")
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid JSON: trailing data after the document", "")
		return
	}
	if req.Source == "" {
		req.Source = "api"
	}
	doc, err := b.Ingest(r.Context(), Source{Title: req.Title, Text: req.Text, Format: req.Format, Lang: req.Lang, Source: req.Source})
	if err != nil {
		var fe *FieldError
		switch {
		case errors.As(err, &fe):
			writeError(w, http.StatusBadRequest, "invalid", fe.Error(), fe.Field)
		case errors.Is(err, memory.ErrInvalid):
			writeError(w, http.StatusBadRequest, "invalid", err.Error(), "")
		default:
			b.logger.ErrorContext(r.Context(), "add document failed", "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "could not store the document", "")
		}
		return
	}
	writeJSON(w, http.StatusCreated, toJSON(doc))
}

func (b *Base) handleList(w http.ResponseWriter, r *http.Request) {
	docs, err := b.store.Documents(r.Context())
	if err != nil {
		b.logger.ErrorContext(r.Context(), "list documents failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not list documents", "")
		return
	}
	out := make([]documentJSON, 0, len(docs))
	for _, d := range docs {
		out = append(out, toJSON(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}

func (b *Base) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := b.store.DeleteDocument(r.Context(), id)
	switch {
	case err == nil:
		b.logger.InfoContext(r.Context(), "document deleted", "id", id)
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, memory.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no document "+id, "")
	case errors.Is(err, memory.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", err.Error(), "id")
	default:
		b.logger.ErrorContext(r.Context(), "delete document failed", "id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not delete the document", "")
	}
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	e := map[string]string{"code": code, "message": msg}
	if field != "" {
		e["field"] = field
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
