package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

type docRec struct {
	Title     string    `json:"title"`
	Source    string    `json:"source,omitempty"`
	Format    string    `json:"format,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ChunkIDs  []string  `json:"chunk_ids"`
}

func (r docRec) document(id string) memory.Document {
	return memory.Document{ID: id, Title: r.Title, Source: r.Source, Format: r.Format, Lang: r.Lang, CreatedAt: r.CreatedAt, Chunks: len(r.ChunkIDs)}
}

// chunkRec stores the embedding as little-endian float32 bytes: a fraction
// of JSON's size and fast to load at Open.
type chunkRec struct {
	DocumentID string   `json:"document_id"`
	Ord        int      `json:"ord"`
	Title      string   `json:"title"`
	Heading    string   `json:"heading,omitempty"`
	Text       string   `json:"text"`
	Lang       string   `json:"lang,omitempty"`
	Terms      []string `json:"terms"`
	Embedding  []byte   `json:"embedding"`
}

func encodeChunk(c memory.Chunk) ([]byte, error) {
	emb := make([]byte, 0, 4*len(c.Embedding))
	for _, f := range c.Embedding {
		emb = binary.LittleEndian.AppendUint32(emb, math.Float32bits(f))
	}
	return json.Marshal(chunkRec{DocumentID: c.DocumentID, Ord: c.Ord, Title: c.Title, Heading: c.Heading, Text: c.Text, Lang: c.Lang, Terms: c.Terms, Embedding: emb})
}

func decodeChunk(id, data []byte) (memory.Chunk, error) {
	var r chunkRec
	if err := json.Unmarshal(data, &r); err != nil {
		return memory.Chunk{}, err
	}
	if len(r.Embedding)%4 != 0 {
		return memory.Chunk{}, fmt.Errorf("embedding of %d bytes", len(r.Embedding))
	}
	emb := make([]float32, len(r.Embedding)/4)
	for i := range emb {
		emb[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.Embedding[4*i:]))
	}
	return memory.Chunk{ID: string(id), DocumentID: r.DocumentID, Ord: r.Ord, Title: r.Title, Heading: r.Heading, Text: r.Text, Lang: r.Lang, Terms: r.Terms, Embedding: emb}, nil
}

// AddDocument stores d and its chunks in one transaction, then makes the
// chunks searchable.
func (s *Store) AddDocument(ctx context.Context, d memory.Document, chunks []memory.Chunk) (memory.Document, error) {
	d, chunks, err := memory.PrepareDocument(d, chunks, s.dim, s.stamp())
	if err != nil {
		return memory.Document{}, wrap("add document", err)
	}
	s.docMu.Lock()
	defer s.docMu.Unlock()
	err = s.db.Update(func(tx *bolt.Tx) error {
		docs, cb := tx.Bucket(bDocs), tx.Bucket(bChunks)
		if docs.Get([]byte(d.ID)) != nil {
			return fmt.Errorf("document %q exists: %w", d.ID, memory.ErrConflict)
		}
		rec := docRec{Title: d.Title, Source: d.Source, Format: d.Format, Lang: d.Lang, CreatedAt: d.CreatedAt, ChunkIDs: make([]string, len(chunks))}
		for i, c := range chunks {
			if cb.Get([]byte(c.ID)) != nil {
				return fmt.Errorf("chunk %q exists: %w", c.ID, memory.ErrConflict)
			}
			data, err := encodeChunk(c)
			if err != nil {
				return err
			}
			if err := cb.Put([]byte(c.ID), data); err != nil {
				return err
			}
			rec.ChunkIDs[i] = c.ID
		}
		return put(docs, []byte(d.ID), rec)
	})
	if err != nil {
		return memory.Document{}, wrap("add document", err)
	}
	for _, c := range chunks {
		s.idx.add(c)
	}
	return d, nil
}

// Documents lists documents, newest first.
func (s *Store) Documents(ctx context.Context) ([]memory.Document, error) {
	var out []memory.Document
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDocs).ForEach(func(k, v []byte) error {
			var rec docRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("document %s: %w", k, err)
			}
			out = append(out, rec.document(string(k)))
			return nil
		})
	})
	if err != nil {
		return nil, wrap("documents", err)
	}
	slices.SortFunc(out, func(a, b memory.Document) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteDocument removes a document and its chunks from the file and the
// indexes.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	s.docMu.Lock()
	defer s.docMu.Unlock()
	var rec docRec
	err := s.db.Update(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bDocs)
		ok, err := get(docs, []byte(id), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("document %q: %w", id, memory.ErrNotFound)
		}
		cb := tx.Bucket(bChunks)
		for _, c := range rec.ChunkIDs {
			if err := cb.Delete([]byte(c)); err != nil {
				return err
			}
		}
		return docs.Delete([]byte(id))
	})
	if err != nil {
		return wrap("delete document", err)
	}
	for _, c := range rec.ChunkIDs {
		s.idx.remove(c)
	}
	return nil
}

// SearchVector returns the k chunks nearest to v by cosine similarity,
// computed exactly over every chunk.
func (s *Store) SearchVector(ctx context.Context, v []float32, k int) ([]memory.ChunkHit, error) {
	if err := memory.CheckEmbedding(v, s.dim); err != nil {
		return nil, wrap("search vector", err)
	}
	hits, err := s.idx.searchVector(v, k)
	return hits, wrap("search vector", err)
}

// SearchKeyword returns the k chunks best matching any of terms, by BM25.
func (s *Store) SearchKeyword(ctx context.Context, terms []string, k int) ([]memory.ChunkHit, error) {
	hits, err := s.idx.searchKeyword(terms, k)
	return hits, wrap("search keyword", err)
}
