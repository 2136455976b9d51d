package embed

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// DefaultDim is the vector length NewOffline uses when given a dim <= 0.
const DefaultDim = 256

// Feature weights. Whole words and CJK bigrams carry most of the meaning;
// Latin trigrams make inflections and typos still overlap; CJK unigrams let a
// single shared character count a little.
const (
	weightWord    = 1.0
	weightTrigram = 0.4
	weightBigram  = 1.0
	weightUnigram = 0.3
	weightConcept = 1.2
)

// Feature kinds, mixed into each hash so that, say, the word "abc" and the
// trigram "abc" land in unrelated buckets.
const (
	kindWord byte = iota + 1
	kindTrigram
	kindUnigram
	kindBigram
	kindConcept
)

// Offline embeds texts by feature hashing: lowercased words, Latin character
// trigrams, CJK unigrams and bigrams, and a small bilingual table of
// customer-service concepts are hashed (FNV-1a) into Dim signed buckets with
// sublinear term-frequency weights. It is deterministic, needs no network and
// is safe for concurrent use. Similar wording gives similar vectors; it knows
// no meaning beyond the concept table.
type Offline struct {
	dim int
}

// NewOffline returns an offline embedder producing vectors of length dim
// (DefaultDim when dim <= 0).
func NewOffline(dim int) *Offline {
	if dim <= 0 {
		dim = DefaultDim
	}
	return &Offline{dim: dim}
}

// Dim returns the vector length.
func (o *Offline) Dim() int { return o.dim }

// Embed returns one unit vector per text. An empty text (or one with no
// letters, digits or CJK characters) gives the zero vector.
func (o *Offline) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	f := &featurizer{}
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embed: offline: %w", err)
			}
		}
		out[i] = o.embedOne(f, t)
	}
	return out, nil
}

type feature struct {
	hash   uint64
	weight float32
}

func (o *Offline) embedOne(f *featurizer, text string) []float32 {
	f.reset()
	f.scan(text)
	v := make([]float32, o.dim)
	feats := f.feats
	slices.SortFunc(feats, func(a, b feature) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	for i := 0; i < len(feats); {
		j := i + 1
		for j < len(feats) && feats[j].hash == feats[i].hash {
			j++
		}
		// Sublinear frequency: a word said five times is not five times
		// as important.
		w := feats[i].weight * float32(1+math.Log(float64(j-i)))
		h := mix(feats[i].hash)
		idx := int((h >> 1) % uint64(o.dim))
		if h&1 == 1 {
			w = -w
		}
		v[idx] += w
		i = j
	}
	normalize(v)
	return v
}

// featurizer collects the hashed features of one text. It is reused across
// texts of one Embed call to save allocations.
type featurizer struct {
	feats []feature
	word  []rune
	cjk   []rune
}

func (f *featurizer) reset() {
	f.feats = f.feats[:0]
	f.word = f.word[:0]
	f.cjk = f.cjk[:0]
}

func (f *featurizer) add(h uint64, w float32) {
	f.feats = append(f.feats, feature{hash: h, weight: w})
}

func (f *featurizer) scan(text string) {
	for _, r := range text {
		switch {
		case isCJK(r):
			f.flushWord()
			f.cjk = append(f.cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			f.flushCJK()
			f.word = append(f.word, unicode.ToLower(r))
		case r == '\'' || r == '’':
			// Apostrophes join ("don't" → "dont") rather than split.
		default:
			f.flushWord()
			f.flushCJK()
		}
	}
	f.flushWord()
	f.flushCJK()
}

func (f *featurizer) flushWord() {
	w := f.word
	f.word = f.word[:0]
	if len(w) == 0 {
		return
	}
	w = foldPlural(w)
	hw := hashRunes(kindWord, w)
	if _, stop := stopWords[hw]; stop {
		return
	}
	f.add(hw, weightWord)
	f.addConcepts(hw)
	// Trigrams over the word padded with boundary marks, so prefixes and
	// suffixes count too.
	if len(w) < 3 {
		return
	}
	var pad [3]rune
	for i := -1; i+2 <= len(w); i++ {
		for j := 0; j < 3; j++ {
			k := i + j
			switch {
			case k < 0 || k >= len(w):
				pad[j] = '#'
			default:
				pad[j] = w[k]
			}
		}
		f.add(hashRunes(kindTrigram, pad[:]), weightTrigram)
	}
}

// addConcepts adds the concept features of the form hashed to h, if it is
// one.
func (f *featurizer) addConcepts(h uint64) {
	for _, c := range concepts[h] {
		f.add(hashConcept(c), weightConcept)
	}
}

func (f *featurizer) flushCJK() {
	run := f.cjk
	f.cjk = f.cjk[:0]
	for i, r := range run {
		if _, stop := stopChars[r]; !stop {
			f.add(hashRunes(kindUnigram, run[i:i+1]), weightUnigram)
		}
		if i+1 < len(run) {
			f.add(hashRunes(kindBigram, run[i:i+2]), weightBigram)
		}
		// Look concept forms up by the same hash the table was built
		// with.
		for n := 1; n <= maxFormRunes && i+n <= len(run); n++ {
			f.addConcepts(hashRunes(kindWord, run[i:i+n]))
		}
	}
}

// foldPlural strips a plain English plural "s" so "refunds" and "refund"
// share a feature. Words ending in "ss", "us" or "is" are left alone.
func foldPlural(w []rune) []rune {
	n := len(w)
	if n <= 3 || w[n-1] != 's' {
		return w
	}
	switch w[n-2] {
	case 's', 'u', 'i':
		return w
	}
	return w[:n-1]
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashRunes is FNV-1a over the kind byte and the UTF-8 bytes of rs.
func hashRunes(kind byte, rs []rune) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(kind)
	h *= fnvPrime
	var buf [utf8.UTFMax]byte
	for _, r := range rs {
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h ^= uint64(b)
			h *= fnvPrime
		}
	}
	return h
}

func hashConcept(c uint32) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(kindConcept)
	h *= fnvPrime
	for i := 0; i < 4; i++ {
		h ^= uint64(byte(c >> (8 * i)))
		h *= fnvPrime
	}
	return h
}

// mix spreads FNV's weak low bits over the whole word (the splitmix64
// finalizer) before the hash picks a bucket and a sign.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
