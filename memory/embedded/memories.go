package embedded

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

// memoryRec is a memory as stored; the embedding is little-endian float32
// bytes, as for chunks.
type memoryRec struct {
	CustomerID   string              `json:"customer_id"`
	Kind         string              `json:"kind"`
	Key          string              `json:"key,omitempty"`
	Text         string              `json:"text"`
	Value        string              `json:"value,omitempty"`
	Lang         string              `json:"lang,omitempty"`
	Importance   float64             `json:"importance"`
	Sources      []memory.MessageRef `json:"sources,omitempty"`
	CreatedAt    time.Time           `json:"created_at"`
	ValidFrom    time.Time           `json:"valid_from"`
	ValidTo      time.Time           `json:"valid_to,omitzero"`
	SupersededBy string              `json:"superseded_by,omitempty"`
	Terms        []string            `json:"terms,omitempty"`
	Embedding    []byte              `json:"embedding"`
}

func encodeMemory(m memory.Memory) memoryRec {
	emb := make([]byte, 0, 4*len(m.Embedding))
	for _, f := range m.Embedding {
		emb = binary.LittleEndian.AppendUint32(emb, math.Float32bits(f))
	}
	return memoryRec{CustomerID: m.CustomerID, Kind: m.Kind, Key: m.Key, Text: m.Text, Value: m.Value, Lang: m.Lang,
		Importance: m.Importance, Sources: m.Sources, CreatedAt: m.CreatedAt, ValidFrom: m.ValidFrom, ValidTo: m.ValidTo,
		SupersededBy: m.SupersededBy, Terms: m.Terms, Embedding: emb}
}

func (r memoryRec) memory(id string) memory.Memory {
	emb := make([]float32, len(r.Embedding)/4)
	for i := range emb {
		emb[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.Embedding[4*i:]))
	}
	return memory.Memory{ID: id, CustomerID: r.CustomerID, Kind: r.Kind, Key: r.Key, Text: r.Text, Value: r.Value, Lang: r.Lang,
		Importance: r.Importance, Sources: r.Sources, CreatedAt: r.CreatedAt, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo,
		SupersededBy: r.SupersededBy, Terms: r.Terms, Embedding: emb}
}

func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// prepareMemory validates m and fills in its id and times.
func (s *Store) prepareMemory(m memory.Memory) (memory.Memory, error) {
	if m.ID == "" {
		m.ID = memory.NewID("mem_")
	}
	if err := memory.ValidateMemory(m); err != nil {
		return m, err
	}
	if err := memory.CheckEmbedding(m.Embedding, s.dim); err != nil {
		return m, err
	}
	now := s.stamp()
	m.CreatedAt = now
	if m.ValidFrom.IsZero() {
		m.ValidFrom = now
	}
	m.ValidFrom, m.ValidTo = utcMicro(m.ValidFrom), utcMicro(m.ValidTo)
	if m.ValidTo.Equal(utcMicro(time.Time{})) {
		m.ValidTo = time.Time{}
	}
	m.Terms, m.Embedding, m.Sources = slices.Clone(m.Terms), slices.Clone(m.Embedding), slices.Clone(m.Sources)
	return m, nil
}

// storeMemory writes a new memory for its (resolved) customer.
func storeMemory(tx *bolt.Tx, m *memory.Memory) error {
	cus, err := resolve(tx, m.CustomerID)
	if err != nil {
		return err
	}
	m.CustomerID = cus
	mb := tx.Bucket(bMemories)
	if mb.Get([]byte(m.ID)) != nil {
		return fmt.Errorf("memory %q exists: %w", m.ID, memory.ErrConflict)
	}
	if err := put(mb, []byte(m.ID), encodeMemory(*m)); err != nil {
		return err
	}
	return tx.Bucket(bCustMems).Put(custKey(cus, []byte(m.ID)), nil)
}

func loadMemory(tx *bolt.Tx, id string) (memory.Memory, error) {
	var rec memoryRec
	ok, err := get(tx.Bucket(bMemories), []byte(id), &rec)
	if err != nil {
		return memory.Memory{}, fmt.Errorf("memory %q: %w", id, err)
	}
	if !ok || id == "" {
		return memory.Memory{}, fmt.Errorf("memory %q: %w", id, memory.ErrNotFound)
	}
	return rec.memory(id), nil
}

// AddMemory stores m and makes it searchable.
func (s *Store) AddMemory(ctx context.Context, m memory.Memory) (memory.Memory, error) {
	m, err := s.prepareMemory(m)
	if err != nil {
		return memory.Memory{}, wrap("add memory", err)
	}
	s.memMu.Lock()
	defer s.memMu.Unlock()
	if err := s.db.Update(func(tx *bolt.Tx) error { return storeMemory(tx, &m) }); err != nil {
		return memory.Memory{}, wrap("add memory", err)
	}
	s.mems.add(m)
	return m, nil
}

// SupersedeMemory ends old and stores next in one transaction.
func (s *Store) SupersedeMemory(ctx context.Context, oldID string, next memory.Memory) (memory.Memory, error) {
	next, err := s.prepareMemory(next)
	if err != nil {
		return memory.Memory{}, wrap("supersede memory", err)
	}
	s.memMu.Lock()
	defer s.memMu.Unlock()
	err = s.db.Update(func(tx *bolt.Tx) error {
		old, err := loadMemory(tx, oldID)
		if err != nil {
			return err
		}
		if !old.Current() {
			return fmt.Errorf("memory %q ended at %s: %w", oldID, old.ValidTo, memory.ErrConflict)
		}
		if next.CustomerID != "" && next.CustomerID != old.CustomerID {
			if cus, err := resolve(tx, next.CustomerID); err != nil || cus != old.CustomerID {
				return fmt.Errorf("next memory is for customer %q, old for %q: %w", next.CustomerID, old.CustomerID, memory.ErrInvalid)
			}
		}
		next.CustomerID = old.CustomerID
		old.ValidTo, old.SupersededBy = next.ValidFrom, next.ID
		if err := put(tx.Bucket(bMemories), []byte(oldID), encodeMemory(old)); err != nil {
			return err
		}
		return storeMemory(tx, &next)
	})
	if err != nil {
		return memory.Memory{}, wrap("supersede memory", err)
	}
	s.mems.remove(oldID)
	s.mems.add(next)
	return next, nil
}

// InvalidateMemory ends a memory at at.
func (s *Store) InvalidateMemory(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = s.stamp()
	}
	s.memMu.Lock()
	defer s.memMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		m, err := loadMemory(tx, id)
		if err != nil {
			return err
		}
		if !m.Current() {
			return fmt.Errorf("memory %q ended at %s: %w", id, m.ValidTo, memory.ErrConflict)
		}
		m.ValidTo = utcMicro(at)
		if m.ValidTo.Before(m.ValidFrom) {
			m.ValidTo = m.ValidFrom
		}
		return put(tx.Bucket(bMemories), []byte(id), encodeMemory(m))
	})
	if err != nil {
		return wrap("invalidate memory", err)
	}
	s.mems.remove(id)
	return nil
}

// DeleteMemory erases one memory from the file and the index.
func (s *Store) DeleteMemory(ctx context.Context, id string) error {
	s.memMu.Lock()
	defer s.memMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		m, err := loadMemory(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bCustMems).Delete(custKey(m.CustomerID, []byte(id))); err != nil {
			return err
		}
		return tx.Bucket(bMemories).Delete([]byte(id))
	})
	if err != nil {
		return wrap("delete memory", err)
	}
	s.mems.remove(id)
	return nil
}

// Memories lists a customer's memories, newest first.
func (s *Store) Memories(ctx context.Context, customerID string, withHistory bool) ([]memory.Memory, error) {
	var out []memory.Memory
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		for _, id := range suffixes(tx.Bucket(bCustMems), custPrefix(cus)) {
			m, err := loadMemory(tx, string(id))
			if err != nil {
				return err
			}
			if withHistory || m.Current() {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("memories", err)
	}
	slices.SortFunc(out, func(a, b memory.Memory) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// SearchMemories scans the customer's current memories exactly.
func (s *Store) SearchMemories(ctx context.Context, customerID string, v []float32, k int) ([]memory.MemoryHit, error) {
	if err := memory.CheckEmbedding(v, s.dim); err != nil {
		return nil, wrap("search memories", err)
	}
	cus, err := s.resolveView(customerID)
	if err != nil {
		return nil, wrap("search memories", err)
	}
	hits, err := s.mems.searchVector(cus, v, k)
	return hits, wrap("search memories", err)
}

// SearchMemoriesKeyword ranks the customer's current memories by BM25.
func (s *Store) SearchMemoriesKeyword(ctx context.Context, customerID string, terms []string, k int) ([]memory.MemoryHit, error) {
	cus, err := s.resolveView(customerID)
	if err != nil {
		return nil, wrap("search memories keyword", err)
	}
	hits, err := s.mems.searchKeyword(cus, terms, k)
	return hits, wrap("search memories keyword", err)
}

func (s *Store) resolveView(id string) (string, error) {
	var cus string
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		cus, err = resolve(tx, id)
		return err
	})
	return cus, err
}

// loadMemories fills the memory index from the file at Open.
func (s *Store) loadMemories(ctx context.Context, tx *bolt.Tx) error {
	return tx.Bucket(bMemories).ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var rec memoryRec
		if err := jsonUnmarshal(v, &rec); err != nil || len(rec.Embedding)%4 != 0 {
			return fmt.Errorf("memory %s: corrupt (%v)", k, err)
		}
		if m := rec.memory(string(bytes.Clone(k))); m.Current() {
			s.mems.add(m)
		}
		return nil
	})
}
