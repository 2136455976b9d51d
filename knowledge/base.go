package knowledge

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Embedder turns texts into vectors of length Dim (memory/embed provides
// them).
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dim() int
}

// Store is the part of memory.Store the knowledge base uses.
type Store interface {
	AddDocument(ctx context.Context, d memory.Document, chunks []memory.Chunk) (memory.Document, error)
	Documents(ctx context.Context) ([]memory.Document, error)
	DeleteDocument(ctx context.Context, id string) error
	SearchVector(ctx context.Context, v []float32, k int) ([]memory.ChunkHit, error)
	SearchKeyword(ctx context.Context, terms []string, k int) ([]memory.ChunkHit, error)
}

// Base is a knowledge base over a store. It is safe for concurrent use.
type Base struct {
	store  Store
	emb    Embedder
	logger *slog.Logger
	now    func() time.Time
	views  viewCache // what coverage needs of each chunk, by chunk ID
}

// New returns a knowledge base keeping its documents in store and embedding
// them with emb. A nil logger discards logs.
func New(store Store, emb Embedder, logger *slog.Logger) *Base {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Base{store: store, emb: emb, logger: logger.With("component", "knowledge"), now: time.Now}
}

// embedBatch bounds how many chunk texts go to the embedder at once, so a
// large document does not become one giant request.
const embedBatch = 256

// Ingest validates src, cuts it into chunks, computes their terms and
// embeddings, and stores the document. Invalid input is reported as a
// *FieldError wrapping memory.ErrInvalid; nothing is stored then.
func (b *Base) Ingest(ctx context.Context, src Source) (memory.Document, error) {
	src, err := validate(src)
	if err != nil {
		return memory.Document{}, err
	}
	pieces, err := cut(src)
	if err != nil {
		return memory.Document{}, err
	}
	lang := src.Lang
	if lang == "" {
		lang = DetectLang(src.Text)
	}
	doc := memory.Document{
		ID:        memory.NewID("doc_"),
		Title:     src.Title,
		Source:    src.Source,
		Format:    src.Format,
		Lang:      lang,
		CreatedAt: b.now().UTC(),
		Chunks:    len(pieces),
	}
	chunks := make([]memory.Chunk, len(pieces))
	texts := make([]string, len(pieces))
	for i, p := range pieces {
		full := p.Heading + "\n" + p.Text
		chunkLang := lang
		if chunkLang == "" {
			chunkLang = DetectLang(full)
		}
		chunks[i] = memory.Chunk{
			ID:         memory.NewID("chk_"),
			DocumentID: doc.ID,
			Ord:        i,
			Title:      doc.Title,
			Heading:    p.Heading,
			Text:       p.Text,
			Lang:       chunkLang,
			Terms:      Terms(full),
		}
		texts[i] = full
	}
	if err := b.embedChunks(ctx, chunks, texts); err != nil {
		return memory.Document{}, fmt.Errorf("knowledge: ingest %q: %w", doc.Title, err)
	}
	stored, err := b.store.AddDocument(ctx, doc, chunks)
	if err != nil {
		return memory.Document{}, fmt.Errorf("knowledge: ingest %q: %w", doc.Title, err)
	}
	// The sample base's documents are one summary line at start-up, not
	// eighteen.
	level := slog.LevelInfo
	if stored.Source == sampleSource {
		level = slog.LevelDebug
	}
	b.logger.Log(ctx, level, "document ingested", "id", stored.ID, "title", stored.Title,
		"format", stored.Format, "lang", stored.Lang, "chunks", len(chunks))
	return stored, nil
}

// cut turns a validated source into pieces by its format.
func cut(src Source) ([]piece, error) {
	var pieces []piece
	switch src.Format {
	case FormatFAQ:
		rows, err := parseFAQ(src.Text)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			pieces = append(pieces, piece{Heading: r.Question, Text: r.Answer})
		}
	case FormatText:
		pieces = chunkText(src.Text)
	default:
		pieces = chunkMarkdown(src.Text)
	}
	// A piece with no searchable word (a row of symbols, a lone "---")
	// could be neither found nor embedded meaningfully.
	kept := pieces[:0]
	for _, p := range pieces {
		if len(Terms(p.Heading+"\n"+p.Text)) > 0 {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return nil, invalid("text", "no searchable content")
	}
	return kept, nil
}

func (b *Base) embedChunks(ctx context.Context, chunks []memory.Chunk, texts []string) error {
	for start := 0; start < len(texts); start += embedBatch {
		end := min(start+embedBatch, len(texts))
		vecs, err := b.emb.Embed(ctx, texts[start:end])
		if err != nil {
			return fmt.Errorf("embed chunks: %w", err)
		}
		if len(vecs) != end-start {
			return fmt.Errorf("embed chunks: got %d vectors for %d texts", len(vecs), end-start)
		}
		for i, v := range vecs {
			if d := b.emb.Dim(); d > 0 && len(v) != d {
				return fmt.Errorf("embed chunks: vector of length %d, want %d", len(v), d)
			}
			chunks[start+i].Embedding = v
		}
	}
	return nil
}
