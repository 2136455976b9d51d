package insight

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// The trained layer: two multinomial logistic regressions, one for the
// intent and one for the mood, over the features the rules compute
// (features.go). They rerank the rules' decision; the rules still decide
// where a requirement holds regardless of wording (an injection is
// `other`, text without letters keeps the rules' reading). The weights are
// fitted by Train (train.go) on the development sets and committed as
// model.bin, written by `kairos model train insight`.

//go:embed model.bin
var modelBin []byte

// ModelFile is the name of the committed weights in this package's
// directory.
const ModelFile = "model.bin"

// defaultModel is the committed model; nil (the rules alone) when the file
// is empty or was written for another feature layout.
var defaultModel = sync.OnceValue(func() *Model {
	m, err := DecodeModel(modelBin)
	if err != nil {
		return nil
	}
	return m
})

// DefaultModel returns the committed model, or nil when there is none for
// this feature layout.
func DefaultModel() *Model { return defaultModel() }

// Model is the trained layer's weights.
type Model struct {
	// HashBits is the size (1<<HashBits buckets) of the hashed text
	// features; 0 means none.
	HashBits int
	Intent   Layer
	Mood     Layer
}

// Layer is one multinomial logistic regression: a weight row per class
// over the dense features, then the hashed buckets.
type Layer struct {
	Classes []string
	W       [][]float64
	// Margin is how much more probable than the rules' label another
	// class must be to replace it.
	Margin float64
	// byBucket holds W's hashed-bucket weights bucket-major (a bucket's
	// class weights side by side), built by index: a message's ~40
	// buckets then read ~80 cache lines instead of one per bucket and
	// class (~900), which was most of the layer's time per turn. Nil
	// (a Layer built by hand) scores from W.
	byBucket []float64
}

// index builds byBucket from W for a table of buckets hashed buckets.
func (l *Layer) index(buckets int) {
	l.byBucket = nil
	if buckets == 0 || len(l.W) == 0 {
		return
	}
	nc := len(l.W)
	t := make([]float64, buckets*nc)
	for c, w := range l.W {
		for b := range buckets {
			t[b*nc+c] = w[numDense+b]
		}
	}
	l.byBucket = t
}

// index builds both layers' bucket-major tables.
func (m *Model) index() {
	b := 0
	if m.HashBits > 0 {
		b = 1 << m.HashBits
	}
	m.Intent.index(b)
	m.Mood.index(b)
}

func (m *Model) width() int {
	w := numDense
	if m.HashBits > 0 {
		w += 1 << m.HashBits
	}
	return w
}

// probs returns the class probabilities for x (softmax of the scores).
func (l *Layer) probs(x *features, p []float64) []float64 {
	p = p[:0]
	// The dense features are mostly zero: gather the others once.
	var idx [numDense]uint8
	n := 0
	for j, v := range x.dense {
		if v != 0 {
			idx[n] = uint8(j)
			n++
		}
	}
	// h[c] sums class c's weights of the text's buckets, in the order of
	// x.hashed whichever table they come from, so both give equal sums.
	nc := len(l.W)
	var hbuf [16]float64
	h := hbuf[:0]
	if nc > len(hbuf) {
		h = make([]float64, 0, nc)
	}
	h = h[:nc]
	if l.byBucket != nil {
		for _, b := range x.hashed {
			row := l.byBucket[int(b)*nc : int(b)*nc+nc]
			for c, v := range row {
				h[c] += v
			}
		}
	} else {
		for c, w := range l.W {
			for _, b := range x.hashed {
				h[c] += w[numDense+int(b)]
			}
		}
	}
	top := math.Inf(-1)
	for c, w := range l.W {
		s := 0.0
		for _, j := range idx[:n] {
			s += w[j] * x.dense[j]
		}
		s += h[c] * x.hashValue
		p = append(p, s)
		top = max(top, s)
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - top)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	return p
}

// predict returns the most probable class and its probability; the
// rules' label rule stands unless another class beats it by more than
// the layer's Margin.
func (l *Layer) predict(x *features, rule string) (string, float64) {
	var buf [16]float64
	p := l.probs(x, buf[:0])
	best, kept := 0, -1
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
		if l.Classes[c] == rule {
			kept = c
		}
	}
	if kept >= 0 && p[best]-p[kept] <= l.Margin {
		best = kept
	}
	return l.Classes[best], p[best]
}

// The binary form: magic, feature layout, hash bits, then each layer's
// margin, classes and weights as little-endian float32 (Train rounds
// them so).
const modelMagic = "KAIROS-INSIGHT-MODEL\x01"

// ErrModelLayout means the weights were trained for another feature
// layout or are damaged: retrain them.
var ErrModelLayout = errors.New("insight: model does not fit this feature layout")

// MarshalBinary encodes the model.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	writeString(&b, featureVersion)
	binary.Write(&b, binary.LittleEndian, uint32(numDense))
	binary.Write(&b, binary.LittleEndian, uint32(m.HashBits))
	for _, l := range []*Layer{&m.Intent, &m.Mood} {
		binary.Write(&b, binary.LittleEndian, l.Margin)
		binary.Write(&b, binary.LittleEndian, uint32(len(l.Classes)))
		for c, name := range l.Classes {
			writeString(&b, name)
			if len(l.W[c]) != m.width() {
				return nil, fmt.Errorf("insight: encode model: class %s has %d weights, want %d", name, len(l.W[c]), m.width())
			}
			w32 := make([]float32, len(l.W[c]))
			for j, v := range l.W[c] {
				w32[j] = float32(v)
			}
			binary.Write(&b, binary.LittleEndian, w32)
		}
	}
	return b.Bytes(), nil
}

func writeString(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint16(len(s)))
	b.WriteString(s)
}

// DecodeModel decodes weights written by MarshalBinary. It fails with
// ErrModelLayout when they belong to another feature layout.
func DecodeModel(data []byte) (*Model, error) {
	r := bytes.NewReader(data)
	magic := make([]byte, len(modelMagic))
	if _, err := r.Read(magic); err != nil || string(magic) != modelMagic {
		return nil, fmt.Errorf("%w: not a model file", ErrModelLayout)
	}
	version, err := readString(r)
	if err != nil || version != featureVersion {
		return nil, fmt.Errorf("%w: layout %q, want %q", ErrModelLayout, version, featureVersion)
	}
	var dense, bits uint32
	if binary.Read(r, binary.LittleEndian, &dense) != nil || binary.Read(r, binary.LittleEndian, &bits) != nil ||
		dense != numDense || bits > 20 {
		return nil, fmt.Errorf("%w: %d dense features and %d hash bits", ErrModelLayout, dense, bits)
	}
	m := &Model{HashBits: int(bits)}
	for i, l := range []*Layer{&m.Intent, &m.Mood} {
		want := Intents
		if i == 1 {
			want = Moods
		}
		if err := binary.Read(r, binary.LittleEndian, &l.Margin); err != nil || !(l.Margin >= 0 && l.Margin < 1) {
			return nil, fmt.Errorf("%w: margin", ErrModelLayout)
		}
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil || int(n) != len(want) {
			return nil, fmt.Errorf("%w: %d classes", ErrModelLayout, n)
		}
		for range n {
			name, err := readString(r)
			if err != nil || !slices.Contains(want, name) {
				return nil, fmt.Errorf("%w: class %q", ErrModelLayout, name)
			}
			w32 := make([]float32, m.width())
			if err := binary.Read(r, binary.LittleEndian, w32); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrModelLayout, err)
			}
			w := make([]float64, len(w32))
			for j, v := range w32 {
				w[j] = float64(v)
			}
			l.Classes = append(l.Classes, name)
			l.W = append(l.W, w)
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes left over", ErrModelLayout, r.Len())
	}
	m.index()
	return m, nil
}

func readString(r *bytes.Reader) (string, error) {
	var n uint16
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := r.Read(b); err != nil && n > 0 {
		return "", err
	}
	return string(b), nil
}
