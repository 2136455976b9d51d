package eval

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func confusion(pairs ...string) *Confusion {
	c := &Confusion{}
	for _, p := range pairs {
		gold, pred, _ := strings.Cut(p, ">")
		c.Add(gold, pred)
	}
	return c
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

// The expected figures below were worked out by hand from the definitions:
// F1 = 2tp / (2tp + fp + fn), macro-F1 the mean over gold ∪ predicted labels.
func TestMetricsHandComputed(t *testing.T) {
	t.Run("three labels", func(t *testing.T) {
		// a: tp 2, fp 0, fn 1 → P 1, R 2/3, F1 4/5
		// b: tp 1, fp 1, fn 1 → P 1/2, R 1/2, F1 1/2
		// c: tp 1, fp 1, fn 0 → P 1/2, R 1, F1 2/3
		c := confusion("a>a", "a>a", "a>b", "b>b", "b>c", "c>c")
		near(t, "accuracy", c.Accuracy(), 4.0/6)
		near(t, "F1(a)", c.F1("a"), 0.8)
		near(t, "F1(b)", c.F1("b"), 0.5)
		near(t, "F1(c)", c.F1("c"), 2.0/3)
		near(t, "P(a)", c.Precision("a"), 1)
		near(t, "R(a)", c.Recall("a"), 2.0/3)
		near(t, "P(c)", c.Precision("c"), 0.5)
		near(t, "R(c)", c.Recall("c"), 1)
		near(t, "macro-F1", c.MacroF1(), (0.8+0.5+2.0/3)/3)
		if c.N() != 6 || c.Support("a") != 3 || c.Count("b", "c") != 1 || c.Count("c", "b") != 0 {
			t.Errorf("n %d, support(a) %d, b>c %d, c>b %d", c.N(), c.Support("a"), c.Count("b", "c"), c.Count("c", "b"))
		}
	})
	t.Run("a label only predicted counts with F1 0", func(t *testing.T) {
		// a: tp 1, fn 1 → F1 2/3; b: F1 1; x: tp 0, fp 1 → F1 0
		c := confusion("a>a", "a>x", "b>b")
		near(t, "macro-F1", c.MacroF1(), (2.0/3+1+0)/3)
		near(t, "accuracy", c.Accuracy(), 2.0/3)
		if got := c.Labels(nil); !slices.Equal(got, []string{"a", "b", "x"}) {
			t.Errorf("labels = %v", got)
		}
	})
	t.Run("one class predicted for everything", func(t *testing.T) {
		// a never predicted: P 0 (zero division), R 0, F1 0;
		// b: tp 3, fp 1 → P 3/4, R 1, F1 6/7
		c := confusion("a>b", "b>b", "b>b", "b>b")
		near(t, "P(a)", c.Precision("a"), 0)
		near(t, "R(a)", c.Recall("a"), 0)
		near(t, "F1(a)", c.F1("a"), 0)
		near(t, "P(b)", c.Precision("b"), 0.75)
		near(t, "R(b)", c.Recall("b"), 1)
		near(t, "macro-F1", c.MacroF1(), 3.0/7)
		near(t, "accuracy", c.Accuracy(), 0.75)
	})
	t.Run("a label absent from both is not averaged in", func(t *testing.T) {
		c := confusion("a>a", "b>b")
		near(t, "macro-F1", c.MacroF1(), 1)
		near(t, "R(zzz)", c.Recall("zzz"), 0)
	})
	t.Run("escalation recall", func(t *testing.T) {
		c := confusion("true>true", "true>false", "true>true", "false>false", "false>true")
		near(t, "recall", c.Recall("true"), 2.0/3)
		near(t, "precision", c.Precision("true"), 2.0/3)
		// true: F1 2/3; false: tp 1, fp 1, fn 1 → 1/2
		near(t, "macro-F1", c.MacroF1(), (2.0/3+0.5)/2)
	})
	t.Run("empty", func(t *testing.T) {
		var c Confusion
		near(t, "accuracy", c.Accuracy(), 0)
		near(t, "macro-F1", c.MacroF1(), 0)
		if c.N() != 0 || len(c.Labels(nil)) != 0 {
			t.Error("empty confusion is not empty")
		}
	})
}

func TestLabelsFollowOrderThenSorted(t *testing.T) {
	c := confusion("z>y", "b>a", "m>m")
	got := c.Labels([]string{"m", "q", "a"})
	if want := []string{"m", "a", "b", "y", "z"}; !slices.Equal(got, want) {
		t.Fatalf("labels = %v, want %v", got, want)
	}
}

func TestWriteMatrix(t *testing.T) {
	c := confusion("calm>calm", "calm>calm", "calm>angry", "angry>angry", "happy>calm")
	var b strings.Builder
	if err := c.WriteMatrix(&b, []string{"happy", "calm", "angry"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows, got:\n%s", b.String())
	}
	// Row 2 is calm: 0 happy, 2 calm, 1 angry, support 3.
	calm := strings.Fields(lines[2])
	if calm[0] != "2" || calm[1] != "calm" || calm[2] != "." || calm[3] != "2" || calm[4] != "1" || calm[len(calm)-1] != "3" {
		t.Errorf("calm row = %q", lines[2])
	}
	happy := strings.Fields(lines[1])
	if happy[1] != "happy" || happy[2] != "." || happy[3] != "1" {
		t.Errorf("happy row = %q", lines[1])
	}
}
