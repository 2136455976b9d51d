package web

// maxTracked is how many seqs past its cursor one connection records as
// sent (16 KiB of bits); a conversation longer than that on one connection
// is asked to reconnect.
const maxTracked = 1 << 17

// sentSet records which message seqs after base a connection has written,
// one bit per seq, so a message that is both replayed and relayed live (or
// replayed again after the relay fell behind) is written once. It starts
// empty: an idle connection that was sent nothing holds no bits.
type sentSet struct {
	base int64 // the client's cursor when it connected
	bits []uint64
}

// has reports whether seq was recorded. Seqs at or below base never are:
// a live message the client claims to have is passed on.
func (s *sentSet) has(seq int64) bool {
	i := seq - s.base - 1
	if seq <= s.base || i >= int64(len(s.bits))*64 {
		return false
	}
	return s.bits[i/64]&(1<<(i%64)) != 0
}

// add records seq; it reports false when seq is too far past base to
// record.
func (s *sentSet) add(seq int64) bool {
	if seq <= s.base {
		return true
	}
	i := seq - s.base - 1
	if i >= maxTracked {
		return false
	}
	if w := int(i/64) + 1; w > len(s.bits) {
		s.bits = append(s.bits, make([]uint64, w-len(s.bits))...)
	}
	s.bits[i/64] |= 1 << (i % 64)
	return true
}
