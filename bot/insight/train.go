package insight

import (
	"errors"
	"fmt"
	"math"
)

// Example is labelled text to train the trained layer on: a conversation's
// customer turns, oldest first, with a gold label per turn ("" when not
// labelled). An utterance is a conversation of one turn.
type Example struct {
	Turns   []Turn
	Intents []string
	Moods   []string
}

// TrainOptions are the trained layer's hyperparameters.
type TrainOptions struct {
	// HashBits sizes the hashed text features (1<<HashBits buckets); 0
	// leaves them out.
	HashBits int
	// Lambda is the L2 penalty on the weights (not the bias), per example.
	Lambda float64
	// Iters is the number of full-batch optimiser steps, Rate their size.
	Iters int
	Rate  float64
	// Balanced weighs each class by the inverse of its frequency, as
	// macro-F1 does.
	Balanced bool
	// TurnWeight weighs the mood rows of conversation turns against
	// utterances' (0 counts as 1).
	TurnWeight float64
	// DropRules adds, with this weight, a copy of every intent row
	// without the lexicons' scores and decisions, DropRulesMood of every
	// mood row: on text from a new annotator the lexicons miss words, and
	// the copies teach the model to read the text and surface features
	// then. 0 adds none.
	DropRules, DropRulesMood float64
	// Margin, MoodMargin: how much more probable than the rules' intent
	// (mood) the model's must be to replace it (Layer.Margin).
	Margin, MoodMargin float64
}

// DefaultTrainOptions are the hyperparameters chosen by leave-one-
// annotator-set-out cross-validation (docs/insight.md, "Trained layer").
var DefaultTrainOptions = TrainOptions{HashBits: 12, Lambda: 1e-3, Iters: 300, Rate: 0.05, Balanced: true, DropRules: 2}

// ErrNoExamples means there was nothing labelled to train on.
var ErrNoExamples = errors.New("insight: no labelled examples")

// row is one training example: features and a class index.
type row struct {
	idx []int32 // nonzero dense slots, then hashed buckets offset by numDense
	val []float64
	y   int
	w   float64 // the row's weight before class balancing
}

func sparse(x *features, y int, w float64) row {
	r := row{y: y, w: w}
	for j, v := range x.dense {
		if v != 0 {
			r.idx = append(r.idx, int32(j))
			r.val = append(r.val, v)
		}
	}
	for _, h := range x.hashed {
		r.idx = append(r.idx, int32(numDense+int(h)))
		r.val = append(r.val, x.hashValue)
	}
	return r
}

// Rows reads the examples the way kairos eval does (a conversation turn
// by turn, the current turn not yet answered, earlier insights passed in)
// with the rules alone, and returns the intent and mood training rows.
func rows(ex []Example, bits int, turnWeight float64) (intents, moods []row, err error) {
	if turnWeight == 0 {
		turnWeight = 1
	}
	for n, e := range ex {
		if len(e.Intents) != len(e.Turns) && e.Intents != nil || len(e.Moods) != len(e.Turns) && e.Moods != nil {
			return nil, nil, fmt.Errorf("insight: train: example %d: %d turns, %d intents, %d moods", n, len(e.Turns), len(e.Intents), len(e.Moods))
		}
		turns := make([]Turn, 0, len(e.Turns))
		earlier := make([]Insight, 0, len(e.Turns))
		for i, t := range e.Turns {
			cur := t
			cur.BotReply, cur.Resolved = "", false
			turns = append(turns, cur)
			in := analyze(turns, earlier, nil, func(ix, mx *features, r *reading) {
				if e.Intents != nil && e.Intents[i] != "" {
					x := *ix
					x.fillHashed(r.t, bits)
					intents = append(intents, sparse(&x, intentIndex(e.Intents[i]), 1))
				}
				if e.Moods != nil && e.Moods[i] != "" {
					x := *mx
					x.fillHashed(r.t, bits)
					w := 1.0
					if len(e.Turns) > 1 {
						w = turnWeight
					}
					if k := moodIndex(e.Moods[i]); k >= 0 {
						moods = append(moods, sparse(&x, k, w))
					}
				}
			})
			turns[i] = t
			earlier = append(earlier, in)
		}
	}
	if len(intents) == 0 || len(moods) == 0 {
		return nil, nil, ErrNoExamples
	}
	return intents, moods, nil
}

// lexiconSlots are the dense slots the lexicons decide: intent and mood
// scores, the rules' labels and the cues (features.go's order), and the
// rules' mood after the conversation's rules.
func lexiconSlot(j int32) bool {
	return j >= 1 && j < 1+16*3+1+numMoods+6+numCues || j >= readingDense && j < readingDense+6
}

// withoutRules appends to rows a copy of each without its lexicon slots,
// weighted w.
func withoutRules(rs []row, w float64) []row {
	n := len(rs)
	for i := range n {
		r := rs[i]
		c := row{y: r.y, w: r.w * w}
		for k, j := range r.idx {
			if !lexiconSlot(j) {
				c.idx = append(c.idx, j)
				c.val = append(c.val, r.val[k])
			}
		}
		rs = append(rs, c)
	}
	return rs
}

// Train fits the trained layer on the examples. The same examples and
// options give the same weights: the optimiser is full-batch, single-
// threaded and sums in a fixed order.
func Train(ex []Example, o TrainOptions) (*Model, error) {
	if o.HashBits < 0 || o.HashBits > 20 || o.Iters < 1 || o.Rate <= 0 || o.Lambda < 0 || o.TurnWeight < 0 ||
		!(o.Margin >= 0 && o.Margin < 1) || !(o.MoodMargin >= 0 && o.MoodMargin < 1) {
		return nil, fmt.Errorf("insight: train: options out of range: %+v", o)
	}
	ir, mr, err := rows(ex, o.HashBits, o.TurnWeight)
	if err != nil {
		return nil, err
	}
	if o.DropRules > 0 {
		ir = withoutRules(ir, o.DropRules)
	}
	if o.DropRulesMood > 0 {
		mr = withoutRules(mr, o.DropRulesMood)
	}
	m := &Model{HashBits: o.HashBits}
	m.Intent = Layer{Classes: Intents, W: fit(ir, len(Intents), m.width(), o), Margin: o.Margin}
	m.Mood = Layer{Classes: Moods, W: fit(mr, len(Moods), m.width(), o), Margin: o.MoodMargin}
	m.index()
	return m, nil
}

// fit minimises the class-weighted mean cross-entropy plus Lambda/2 times
// the squared weights (bias excluded) with full-batch Adam. Weights are
// kept feature-major (a feature's class weights side by side) while
// fitting, and rounded to float32 at the end: the model file stores
// float32, so the weights trained and the weights used are the same.
func fit(data []row, classes, width int, o TrainOptions) [][]float64 {
	w := make([]float64, width*classes)
	g := make([]float64, width*classes)
	m1 := make([]float64, width*classes)
	m2 := make([]float64, width*classes)
	count := make([]float64, classes)
	all := 0.0
	for _, r := range data {
		count[r.y] += r.w
		all += r.w
	}
	sw := make([]float64, len(data))
	total := 0.0
	for i, r := range data {
		sw[i] = r.w
		if o.Balanced {
			sw[i] = r.w * all / (float64(classes) * count[r.y])
		}
		total += sw[i]
	}
	// Only features some example has get a gradient; the others keep
	// their zero weight.
	used := make([]bool, width)
	for _, r := range data {
		for _, j := range r.idx {
			used[j] = true
		}
	}
	used[0] = true
	var cols []int
	for j, u := range used {
		if u {
			cols = append(cols, j)
		}
	}
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	p := make([]float64, classes)
	for it := 1; it <= o.Iters; it++ {
		for _, j := range cols {
			clear(g[j*classes : (j+1)*classes])
		}
		for i, r := range data {
			clear(p)
			for k, j := range r.idx {
				v := r.val[k]
				wj := w[int(j)*classes : int(j+1)*classes]
				for c, wc := range wj {
					p[c] += float64(wc * v)
				}
			}
			top := math.Inf(-1)
			for _, s := range p {
				top = max(top, s)
			}
			sum := 0.0
			for c := range p {
				p[c] = math.Exp(p[c] - top)
				sum += p[c]
			}
			scale := sw[i] / total
			for c := range p {
				d := p[c] / sum
				if c == r.y {
					d--
				}
				p[c] = float64(d * scale)
			}
			for k, j := range r.idx {
				v := r.val[k]
				gj := g[int(j)*classes : int(j+1)*classes]
				for c, d := range p {
					gj[c] += float64(d * v)
				}
			}
		}
		c1 := 1 - math.Pow(beta1, float64(it))
		c2 := 1 - math.Pow(beta2, float64(it))
		for _, j := range cols {
			for k := j * classes; k < (j+1)*classes; k++ {
				gr := g[k]
				if j != 0 {
					gr += float64(o.Lambda * w[k])
				}
				m1[k] = float64(beta1*m1[k]) + float64((1-beta1)*gr)
				m2[k] = float64(beta2*m2[k]) + float64((1-beta2)*gr*gr)
				w[k] -= float64(o.Rate * (m1[k] / c1) / (math.Sqrt(m2[k]/c2) + eps))
			}
		}
	}
	out := make([][]float64, classes)
	for c := range out {
		out[c] = make([]float64, width)
		for j := range width {
			out[c][j] = float64(float32(w[j*classes+c]))
		}
	}
	return out
}
