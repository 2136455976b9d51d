package memory

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxMessageText bounds one message's text, in bytes.
const MaxMessageText = 1 << 20

// CheckText refuses text no store can keep as text (invalid UTF-8, NUL), so
// every store rejects the same input with ErrInvalid.
func CheckText(s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("text is not valid UTF-8 or holds NUL: %w", ErrInvalid)
	}
	return nil
}

// CheckEmbedding accepts a finite, non-zero vector of dimension dim;
// anything else would poison cosine similarity.
func CheckEmbedding(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("embedding has %d dimensions, store has %d: %w", len(v), dim, ErrInvalid)
	}
	var norm float64
	for _, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("embedding holds %v: %w", f, ErrInvalid)
		}
		norm += float64(f) * float64(f)
	}
	if norm == 0 {
		return fmt.Errorf("zero embedding: %w", ErrInvalid)
	}
	return nil
}

// ValidateMessage checks a message before a store appends it.
func ValidateMessage(m Message) error {
	switch {
	case m.ConversationID == "":
		return fmt.Errorf("empty conversation id: %w", ErrInvalid)
	case !m.Role.Valid():
		return fmt.Errorf("unknown role %q: %w", m.Role, ErrInvalid)
	case m.Text == "":
		return fmt.Errorf("empty text: %w", ErrInvalid)
	case len(m.Text) > MaxMessageText:
		return fmt.Errorf("text of %d bytes exceeds %d: %w", len(m.Text), MaxMessageText, ErrInvalid)
	case m.Seq < 0 || m.ReplyTo < 0:
		return fmt.Errorf("negative seq %d or reply_to %d: %w", m.Seq, m.ReplyTo, ErrInvalid)
	}
	return CheckText(m.ConversationID + m.Text + m.ClientID)
}

// PrepareDocument validates a document and its chunks for a store of
// embedding dimension dim and fills in what the store owes them: ids, the
// creation time (now, to the microsecond, UTC), the chunk count, and each
// chunk's document id and title. Chunks are copied, so the caller's slices
// are never shared with the store.
func PrepareDocument(d Document, chunks []Chunk, dim int, now time.Time) (Document, []Chunk, error) {
	if d.ID == "" {
		d.ID = NewID("doc_")
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	d.CreatedAt = d.CreatedAt.UTC().Truncate(time.Microsecond)
	d.Chunks = len(chunks)
	if err := CheckText(d.ID + d.Title + d.Source + d.Format + d.Lang); err != nil {
		return d, nil, err
	}
	out := make([]Chunk, len(chunks))
	seen := make(map[string]bool, len(chunks))
	for i, c := range chunks {
		if err := CheckEmbedding(c.Embedding, dim); err != nil {
			return d, nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		if c.ID == "" {
			c.ID = NewID("chk_")
		}
		if seen[c.ID] {
			return d, nil, fmt.Errorf("chunk id %q repeated: %w", c.ID, ErrConflict)
		}
		seen[c.ID] = true
		if err := CheckText(c.ID + c.Heading + c.Text + c.Lang); err != nil {
			return d, nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		for _, t := range c.Terms {
			if err := CheckText(t); err != nil {
				return d, nil, fmt.Errorf("chunk %d term: %w", i, err)
			}
		}
		c.DocumentID, c.Title = d.ID, d.Title
		c.Terms = slices.Clone(c.Terms)
		c.Embedding = slices.Clone(c.Embedding)
		out[i] = c
	}
	return d, out, nil
}
