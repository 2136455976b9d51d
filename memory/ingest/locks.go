package ingest

import (
	"hash/fnv"
	"slices"
	"sync"
)

// customerLocks keeps profile rebuilds apart from the batches that apply
// new events to the same customers, across the workers that process
// batches at once.
//
// A batch holds its customers' locks shared from storing its events until
// their profiles are written. Batches share because applying new events
// commutes: each event is applied once (only the store's "created" ones)
// and the store serialises the profile writes themselves. A rebuild (after
// a redelivery, or of a profile from before it kept its exact state) holds
// its customer's lock alone: it reads every stored event of the customer,
// so it must never see events another batch stored but has not applied
// yet (it would count them, and that batch would count them again), and no
// batch may store events for the customer until the rebuilt profile is
// written.
//
// Locks are striped. A batch takes its stripes in stripe order, and a
// rebuild holds one stripe and waits for nothing else meanwhile, so nobody
// can wait on each other in a circle.
type customerLocks struct {
	stripes [4096]sync.RWMutex
}

// share takes the stripes of ids shared and returns the function that
// releases them.
func (l *customerLocks) share(ids []string) (unlock func()) {
	var idx []int
	for _, id := range ids {
		idx = append(idx, l.stripe(id))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].RLock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.stripes[i].RUnlock()
		}
	}
}

// exclusive takes the stripe of one customer alone and returns the
// function that releases it.
func (l *customerLocks) exclusive(id string) (unlock func()) {
	m := &l.stripes[l.stripe(id)]
	m.Lock()
	return m.Unlock
}

func (l *customerLocks) stripe(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(len(l.stripes)))
}
