package postgres

import (
	"sync"

	"github.com/kairoscx/kairos/memory"
)

// DefaultProfileCache is how many decoded profiles a store keeps when
// Options.ProfileCache is zero: a few KB each, some tens of MB in all.
const DefaultProfileCache = 10_000

// profileCache keeps the decoded profiles this store wrote or read ahead
// last (CustomersAhead), by survivor id, with the version of the row they
// came from; a customer read as having no profile row is kept at version
// absent. UpdateProfiles sends the versions it holds, and a row still at
// that version comes back without its document, the kept copy standing
// in; UpdateKeptProfiles writes a profile computed from its kept copy only
// while the row is still at that version (or, for absent, still missing).
// Any other write, from this node or another, changes the version, so a
// stale copy is never used. Versions only grow, so a copy is never
// replaced by an older one. Entries leave in arbitrary order when the
// cache is full, and at once when their customer is erased or merged away.
type profileCache struct {
	mu  sync.Mutex
	max int // ≤ 0: off
	m   map[string]cachedProfile
}

type cachedProfile struct {
	version int64
	p       memory.Profile
}

func newProfileCache(max int) *profileCache {
	return &profileCache{max: max, m: make(map[string]cachedProfile)}
}

// get returns a copy of the kept profile of cus and its version.
func (c *profileCache) get(cus string) (memory.Profile, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[cus]
	if !ok {
		return memory.Profile{}, 0, false
	}
	return e.p.Clone(), e.version, true
}

// version returns the version of cus's kept profile.
func (c *profileCache) version(cus string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[cus]
	return e.version, ok
}

// put keeps a copy of p as cus's profile at version, unless a newer
// version is kept already.
func (c *profileCache) put(cus string, version int64, p memory.Profile) {
	if c.max <= 0 {
		return
	}
	c.putOwned(cus, version, p.Clone())
}

// putOwned is put for a p that no one else holds: kept as it is.
func (c *profileCache) putOwned(cus string, version int64, p memory.Profile) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[cus]; ok && e.version >= version {
		return
	}
	if _, ok := c.m[cus]; !ok && len(c.m) >= c.max {
		n := max(1, c.max/8)
		for k := range c.m {
			delete(c.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.m[cus] = cachedProfile{version: version, p: p}
}

// drop forgets the profiles of ids.
func (c *profileCache) drop(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.m, id)
	}
}
