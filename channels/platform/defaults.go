package platform

// Default sets *p to def when *p is the zero value.
func Default[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Positive sets *p to def when *p is zero or negative.
func Positive[T ~int | ~int64 | ~float64](p *T, def T) {
	if *p <= 0 {
		*p = def
	}
}
