package ingest

import "testing"

// Batches share their customers' locks; a rebuild excludes every batch of
// its customer, and only of its customer.
func TestCustomerLocks(t *testing.T) {
	var l customerLocks
	free := func(id string) (shareable, exclusive bool) {
		m := &l.stripes[l.stripe(id)]
		if exclusive = m.TryLock(); exclusive {
			m.Unlock()
		}
		if shareable = m.TryRLock(); shareable {
			m.RUnlock()
		}
		return shareable, exclusive
	}
	a, b := "cus_a", "cus_b"
	if l.stripe(a) == l.stripe(b) {
		t.Fatal("test ids share a stripe; pick others")
	}
	unlock1 := l.share([]string{a, b, a})
	unlock2 := l.share([]string{a})
	if s, x := free(a); !s || x {
		t.Fatalf("during two batches: shareable %v exclusive %v, want true false", s, x)
	}
	unlock1()
	if s, x := free(a); !s || x {
		t.Fatalf("during one batch: shareable %v exclusive %v, want true false", s, x)
	}
	if s, x := free(b); !s || !x {
		t.Fatalf("b after its batch: shareable %v exclusive %v, want free", s, x)
	}
	unlock2()
	unlock := l.exclusive(a)
	if s, x := free(a); s || x {
		t.Fatalf("during a rebuild: shareable %v exclusive %v, want neither", s, x)
	}
	if s, x := free(b); !s || !x {
		t.Fatalf("another customer during a rebuild: shareable %v exclusive %v, want free", s, x)
	}
	unlock()
	if s, x := free(a); !s || !x {
		t.Fatalf("after: shareable %v exclusive %v, want free", s, x)
	}
}
