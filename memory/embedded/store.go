// Package embedded is Kairos's default store: one bbolt file under the data
// directory, pure Go, with in-memory keyword (BM25) and exact vector indexes
// rebuilt from the file when it opens.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/kairoscx/kairos/memory"
)

// FileName is the name of the database file inside Options.Dir.
const FileName = "kairos.db"

// Options configure Open.
type Options struct {
	// Dir is the data directory; it is created when missing.
	Dir string
	// Dim is the embedding dimension. A store remembers the dimension it was
	// created with and refuses to open with another.
	Dim int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational messages; slog.Default when nil.
	Logger *slog.Logger
}

// Store is the embedded memory.Store.
type Store struct {
	db    *bolt.DB
	dim   int
	now   func() time.Time
	log   *slog.Logger
	idx   *index
	mems  *memIndex
	docMu sync.Mutex // orders document writes with their index updates
	// memMu orders every write that changes memories (adds, supersedes,
	// deletes, merges, erasures) with its memory-index update, so the
	// index applies them in commit order.
	memMu  sync.Mutex
	closed sync.Once
	cerr   error
}

var _ memory.Store = (*Store)(nil)

var (
	bMeta      = []byte("meta")
	bCustomers = []byte("customers")
	bIdent     = []byte("identities")
	bConvs     = []byte("conversations")
	bLatest    = []byte("latest_conversation")
	bMessages  = []byte("messages")
	bClientIDs = []byte("client_ids")
	bReplies   = []byte("replies")
	bDocs      = []byte("documents")
	bChunks    = []byte("chunks")
	// Customer 360 (layout 2). Per-customer buckets are keyed
	// customerID NUL ..., so one cursor walks one customer's records and
	// a merge or an erasure finds everything of a customer by prefix.
	bCustIdent = []byte("customer_identities")    // cus NUL identityKey → nil
	bCustConvs = []byte("customer_conversations") // cus NUL convID → nil
	bEvents    = []byte("events")                 // cus NUL at(8) eventID → eventRec
	bEventIDs  = []byte("event_ids")              // eventID → events key
	bProfiles  = []byte("profiles")               // cus → memory.Profile JSON
	bMemories  = []byte("memories")               // memID → memoryRec
	bCustMems  = []byte("customer_memories")      // cus NUL memID → nil
	bMerges    = []byte("merges")                 // into NUL at(8) from → mergeRec
	bErasure   = []byte("erasure")                // "totals" → memory.Erasure
	allBuckets = [][]byte{bMeta, bCustomers, bIdent, bConvs, bLatest, bMessages, bClientIDs, bReplies, bDocs, bChunks,
		bCustIdent, bCustConvs, bEvents, bEventIDs, bProfiles, bMemories, bCustMems, bMerges, bErasure}
	keyDim    = []byte("dim")
	keyLayout = []byte("layout")
)

// layout is the version of the bucket layout; init upgrades older files.
const layout = "2"

// ErrInUse is returned by Open when another process holds the store file.
var ErrInUse = errors.New("store file in use")

// Open opens (or creates) the store file <Dir>/kairos.db and loads the
// search indexes into memory.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("embedded: open: empty data directory: %w", memory.ErrInvalid)
	}
	if o.Dim <= 0 {
		return nil, fmt.Errorf("embedded: open: embedding dimension %d: %w", o.Dim, memory.ErrInvalid)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: open: %w", err)
	}
	path := filepath.Join(o.Dir, FileName)
	// The timeout turns "another process holds the file" into an error
	// instead of a hang.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded: open %s: the file is in use by another process (a running kairos serve?); stop it, or use the admin API while it runs: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	s := &Store{db: db, dim: o.Dim, now: o.Now, log: o.Logger.With("store", "embedded"), idx: newIndex(o.Dim), mems: newMemIndex()}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.log.Info("store opened", "path", path, "chunks", s.idx.len(), "memories", s.mems.len())
	return s, nil
}

// init creates the buckets, checks the dimension and loads the indexes.
func (s *Store) init(ctx context.Context) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		stored := meta.Get(keyDim)
		if stored == nil {
			return meta.Put(keyDim, []byte(strconv.Itoa(s.dim)))
		}
		dim, err := strconv.Atoi(string(stored))
		if err != nil {
			return fmt.Errorf("stored dimension %q: %w", stored, err)
		}
		if dim != s.dim {
			return fmt.Errorf("store was created with %d-dimensional embeddings, configured %d: re-create or re-ingest: %w", dim, s.dim, memory.ErrInvalid)
		}
		return upgrade(tx)
	})
	if err != nil {
		return fmt.Errorf("embedded: open: %w", err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bChunks).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := decodeChunk(k, v)
			if err != nil {
				return fmt.Errorf("chunk %s: %w", k, err)
			}
			s.idx.add(c)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("embedded: load index: %w", err)
	}
	if err := s.db.View(func(tx *bolt.Tx) error { return s.loadMemories(ctx, tx) }); err != nil {
		return fmt.Errorf("embedded: load memory index: %w", err)
	}
	return nil
}

// upgrade builds the per-customer identity and conversation buckets for a
// file written before layout 2 (a new file passes through with empty
// buckets).
func upgrade(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if string(meta.Get(keyLayout)) == layout {
		return nil
	}
	ci, cc := tx.Bucket(bCustIdent), tx.Bucket(bCustConvs)
	err := tx.Bucket(bIdent).ForEach(func(k, v []byte) error { return ci.Put(custKey(string(v), k), nil) })
	if err != nil {
		return fmt.Errorf("upgrade identities: %w", err)
	}
	err = tx.Bucket(bConvs).ForEach(func(k, v []byte) error {
		var rec convRec
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("conversation %s: %w", k, err)
		}
		return cc.Put(custKey(rec.CustomerID, k), nil)
	})
	if err != nil {
		return fmt.Errorf("upgrade conversations: %w", err)
	}
	return meta.Put(keyLayout, []byte(layout))
}

// Ping reports whether the file is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("embedded: ping: %w", err)
	}
	return nil
}

// Close closes the file; every committed write is already synced. Calling
// it again returns the first result.
func (s *Store) Close() error {
	s.closed.Do(func() {
		s.idx.close()
		s.mems.close()
		if err := s.db.Close(); err != nil {
			s.cerr = fmt.Errorf("embedded: close: %w", err)
		}
	})
	return s.cerr
}

// stamp returns the current time as stored: UTC, microsecond precision
// (the same precision PostgreSQL keeps, so both stores behave alike).
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func put(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// get decodes the record at key into v; ok is false when there is none.
func get(b *bolt.Bucket, key []byte, v any) (ok bool, err error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

var errClosed = errors.New("store closed")
