// Package embed turns texts into fixed-length, L2-normalized vectors for
// knowledge search: an offline embedder built on hashed words and character
// n-grams (works for Chinese, needs no network) and an OpenAI-compatible
// embeddings client.
package embed

import "math"

// normalize scales v to unit length in place. A zero vector is left as is,
// so an empty text embeds to all zeros rather than NaNs.
func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}
