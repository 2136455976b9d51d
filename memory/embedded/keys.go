package embedded

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

// custPrefix is the prefix of every per-customer key.
func custPrefix(cus string) []byte { return []byte(cus + "\x00") }

func custKey(cus string, rest []byte) []byte { return append(custPrefix(cus), rest...) }

// timeKey encodes t as 8 bytes that sort like the times: microseconds
// since 1970 with the sign bit flipped, big endian.
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixMicro())^(1<<63))
}

// decodeIdentityKey inverts identityKey.
func decodeIdentityKey(k []byte) (memory.Identity, error) {
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n {
		return memory.Identity{}, fmt.Errorf("identity key %q: bad length", k)
	}
	return memory.Identity{Kind: string(k[w : w+int(n)]), Value: string(k[w+int(n):])}, nil
}

// suffixes returns the keys under prefix with the prefix cut off, copied so
// the caller may write to the bucket while using them.
func suffixes(b *bolt.Bucket, prefix []byte) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, bytes.Clone(k[len(prefix):]))
	}
	return out
}

// deletePrefix removes every key under prefix and counts them.
func deletePrefix(b *bolt.Bucket, prefix []byte) (int, error) {
	keys := suffixes(b, prefix)
	for _, k := range keys {
		if err := b.Delete(append(bytes.Clone(prefix), k...)); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// resolve returns the customer id stands for now: itself, or the survivor
// it was merged into. ErrNotFound when unknown or erased.
func resolve(tx *bolt.Tx, id string) (string, error) {
	rec, err := loadCustomer(tx, id)
	if err != nil {
		return "", err
	}
	if rec.MergedInto == "" {
		return id, nil
	}
	if _, err := loadCustomer(tx, rec.MergedInto); err != nil {
		return "", fmt.Errorf("customer %q merged into %q: %w", id, rec.MergedInto, err)
	}
	return rec.MergedInto, nil
}

func loadCustomer(tx *bolt.Tx, id string) (customerRec, error) {
	var rec customerRec
	ok, err := get(tx.Bucket(bCustomers), []byte(id), &rec)
	if err != nil {
		return rec, fmt.Errorf("customer %q: %w", id, err)
	}
	if !ok || id == "" {
		return rec, fmt.Errorf("customer %q: %w", id, memory.ErrNotFound)
	}
	return rec, nil
}

// attach gives the identity with key ik to customer cus.
func attach(tx *bolt.Tx, cus string, ik []byte) error {
	if err := tx.Bucket(bIdent).Put(ik, []byte(cus)); err != nil {
		return err
	}
	return tx.Bucket(bCustIdent).Put(custKey(cus, ik), nil)
}
