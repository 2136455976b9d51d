package ingest

import (
	"hash/fnv"
	"slices"
	"sync"
)

// customerLocks serialises profile work per customer across the workers
// that process batches at once. A batch holds the locks of its customers
// from storing its events until their profiles are written, so a rebuild
// after a redelivery (which reads every stored event of a customer) never
// sees events another batch stored but has not applied yet, and applies
// nothing twice. Locks are striped, and taken in stripe order so two
// batches can never wait on each other.
type customerLocks struct {
	stripes [4096]sync.Mutex
}

// lock takes the stripes of ids and returns the function that releases them.
func (l *customerLocks) lock(ids []string) (unlock func()) {
	var idx []int
	for _, id := range ids {
		h := fnv.New32a()
		h.Write([]byte(id))
		idx = append(idx, int(h.Sum32()%uint32(len(l.stripes))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.stripes[i].Unlock()
		}
	}
}
