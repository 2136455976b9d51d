package web

import "testing"

func TestSentSet(t *testing.T) {
	s := sentSet{base: 10}
	tests := []struct {
		name    string
		add     int64
		ok      bool
		has     []int64
		hasNone []int64
	}{
		{"at or below the cursor is not recorded", 10, true, nil, []int64{10, 9, 0, -1}},
		{"first after the cursor", 11, true, []int64{11}, []int64{12}},
		{"word boundary", 74, true, []int64{11, 74}, []int64{73, 75}},
		{"far ahead grows the set", 10 + 5000, true, []int64{5010}, []int64{5009, 5011, 1 << 40}},
		{"beyond the limit is refused", 10 + maxTracked + 1, false, nil, []int64{10 + maxTracked + 1}},
		{"last trackable", 10 + maxTracked, true, []int64{10 + maxTracked}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ok := s.add(tc.add); ok != tc.ok {
				t.Fatalf("add(%d) = %v, want %v", tc.add, ok, tc.ok)
			}
			for _, seq := range tc.has {
				if !s.has(seq) {
					t.Errorf("has(%d) = false", seq)
				}
			}
			for _, seq := range tc.hasNone {
				if s.has(seq) {
					t.Errorf("has(%d) = true", seq)
				}
			}
		})
	}
	if len(s.bits) > maxTracked/64 {
		t.Fatalf("%d words for %d seqs", len(s.bits), maxTracked)
	}
	var idle sentSet
	if idle.has(1) || idle.bits != nil {
		t.Fatal("an empty set is not empty")
	}
}
