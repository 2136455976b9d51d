// Package eval measures an insight analyzer against labelled data: it reads
// the bot/testdata JSONL format, runs an insight.Analyzer over it and scores
// each labelled field with accuracy, macro-F1, per-label precision and recall
// and a confusion matrix.
//
// # Conventions
//
// Macro-F1 is the unweighted mean of the per-label F1 over the union of the
// labels that occur in the gold labels or in the predictions. A label only
// ever predicted (never gold) therefore counts, with F1 0, so an analyzer
// cannot gain by inventing labels; a label in neither is left out, so a data
// set without, say, "happy" examples is not punished for it. Precision of a
// label never predicted, and recall of a label never gold, are 0, and F1 is 0
// when precision and recall are both 0. This is scikit-learn's f1_score with
// average="macro", labels left to default and zero_division=0.
package eval

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Confusion counts (gold, predicted) label pairs of one field. The zero
// value is empty and ready to use.
type Confusion struct {
	counts map[[2]string]int
	n      int
}

// Add records one example whose gold label is gold and predicted label pred.
func (c *Confusion) Add(gold, pred string) {
	if c.counts == nil {
		c.counts = make(map[[2]string]int)
	}
	c.counts[[2]string{gold, pred}]++
	c.n++
}

// N is the number of examples recorded.
func (c *Confusion) N() int { return c.n }

// Count is how many examples with gold label gold were predicted pred.
func (c *Confusion) Count(gold, pred string) int { return c.counts[[2]string{gold, pred}] }

// Labels returns the union of gold and predicted labels: first those in
// order, in that order, then any others sorted.
func (c *Confusion) Labels(order []string) []string {
	seen := make(map[string]bool)
	for k := range c.counts {
		seen[k[0]] = true
		seen[k[1]] = true
	}
	var out []string
	for _, l := range order {
		if seen[l] {
			out = append(out, l)
			delete(seen, l)
		}
	}
	var rest []string
	for l := range seen {
		rest = append(rest, l)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// Accuracy is the share of examples predicted right, 0 when there are none.
func (c *Confusion) Accuracy() float64 {
	if c.n == 0 {
		return 0
	}
	right := 0
	for k, v := range c.counts {
		if k[0] == k[1] {
			right += v
		}
	}
	return float64(right) / float64(c.n)
}

// tally returns the true positives, false positives and false negatives of
// label.
func (c *Confusion) tally(label string) (tp, fp, fn int) {
	for k, v := range c.counts {
		switch {
		case k[0] == label && k[1] == label:
			tp += v
		case k[1] == label:
			fp += v
		case k[0] == label:
			fn += v
		}
	}
	return tp, fp, fn
}

// Precision of label: of the examples predicted label, the share that are;
// 0 when label was never predicted.
func (c *Confusion) Precision(label string) float64 {
	tp, fp, _ := c.tally(label)
	return ratio(tp, tp+fp)
}

// Recall of label: of the examples whose gold label is label, the share
// predicted so; 0 when no example is.
func (c *Confusion) Recall(label string) float64 {
	tp, _, fn := c.tally(label)
	return ratio(tp, tp+fn)
}

// Support is the number of examples whose gold label is label.
func (c *Confusion) Support(label string) int {
	tp, _, fn := c.tally(label)
	return tp + fn
}

// F1 of label, the harmonic mean of its precision and recall (0 when both
// are 0).
func (c *Confusion) F1(label string) float64 {
	tp, fp, fn := c.tally(label)
	// 2PR/(P+R) simplifies to 2tp/(2tp+fp+fn), which is 0 when tp is.
	return ratio(2*tp, 2*tp+fp+fn)
}

// MacroF1 is the mean F1 over the union of gold and predicted labels (see
// the package comment); 0 when there are no examples.
func (c *Confusion) MacroF1() float64 {
	labels := c.Labels(nil)
	if len(labels) == 0 {
		return 0
	}
	sum := 0.0
	for _, l := range labels {
		sum += c.F1(l)
	}
	return sum / float64(len(labels))
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteMatrix writes the confusion matrix as text: one row per gold label,
// one column per predicted label (numbered like the rows, so wide label
// names do not widen the table), then each label's precision, recall, F1 and
// support. order fixes the order of the labels it holds (see Labels).
func (c *Confusion) WriteMatrix(w io.Writer, order []string) error {
	labels := c.Labels(order)
	width := len("gold \\ predicted")
	for _, l := range labels {
		width = max(width, len(l)+4)
	}
	cell := 4
	for _, v := range c.counts {
		cell = max(cell, len(fmt.Sprint(v))+1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", width, "gold \\ predicted")
	for i := range labels {
		fmt.Fprintf(&b, "%*d", cell, i+1)
	}
	fmt.Fprintf(&b, "   %6s %6s %6s %5s\n", "prec", "recall", "f1", "n")
	for i, g := range labels {
		fmt.Fprintf(&b, "%-*s", width, fmt.Sprintf("%2d %s", i+1, g))
		for _, p := range labels {
			if v := c.Count(g, p); v > 0 {
				fmt.Fprintf(&b, "%*d", cell, v)
			} else {
				fmt.Fprintf(&b, "%*s", cell, ".")
			}
		}
		fmt.Fprintf(&b, "   %6.3f %6.3f %6.3f %5d\n", c.Precision(g), c.Recall(g), c.F1(g), c.Support(g))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
