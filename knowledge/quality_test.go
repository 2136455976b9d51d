package knowledge

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// labelled is one line of testdata/questions.jsonl: a customer question, the
// language it is written in, and what a correct top answer's Heading or Title
// contains ("a|b" accepts either; "" means the sample base cannot answer it).
type labelled struct {
	Q    string `json:"q"`
	Lang string `json:"lang"`
	Want string `json:"want"`
}

func loadLabelled(t *testing.T) []labelled {
	t.Helper()
	f, err := os.Open("testdata/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l labelled
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("questions.jsonl:%d: %v", n, err)
		}
		if l.Q == "" || (l.Lang != "zh" && l.Lang != "en") {
			t.Fatalf("questions.jsonl:%d: want a question and lang zh|en, got %+v", n, l)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// matches reports whether h is what want asks for.
func matches(h Hit, want string) bool {
	for _, w := range strings.Split(want, "|") {
		if w != "" && (strings.Contains(h.Heading, w) || strings.Contains(h.Title, w)) {
			return true
		}
	}
	return false
}

// quality counts one language's results.
type quality struct {
	answerable, top1, recalled int
	unanswerable, rejected     int
	misses                     []string
}

func (q quality) rates() (top1, recall, precision float64) {
	return ratio(q.top1, q.answerable), ratio(q.recalled, q.answerable), ratio(q.rejected, q.unanswerable)
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// TestRetrievalQuality runs the labelled questions against the sample base
// in the embedded store with the offline embedder, and reports per language
//
//   - top-1 accuracy: answerable questions whose best hit is relevant and is
//     the labelled section;
//   - answerable recall: answerable questions with any relevant hit (so the
//     bot answers rather than says it does not know);
//   - unanswerable precision: unanswerable questions with no relevant hit
//     (so the bot does not quote something beside the point).
//
// Measured (go test ./knowledge/ -run TestRetrievalQuality -v):
//
//	before (commit dac5953): zh top-1 0.367, recall 0.430, precision 0.850; en top-1 0.600, recall 0.800, precision 0.900
//	after:                   zh top-1 0.810, recall 0.937, precision 0.850; en top-1 0.771, recall 0.886, precision 0.900
//
// (Ordering by the rank-fused score alone, without the reranking stage,
// measured zh top-1 0.772 and en 0.714.)
//
// The ranking weights and the relevance threshold were chosen on these same
// questions (checked on both halves of the file, which agreed within two
// points), so the figures flatter new questions somewhat.
//
// The floors sit a little under the measured figures so a change that makes
// answers worse fails, while a label added later does not need retuning.
func TestRetrievalQuality(t *testing.T) {
	floors := map[string]struct{ top1, recall, precision float64 }{
		"zh": {top1: 0.78, recall: 0.90, precision: 0.80},
		"en": {top1: 0.74, recall: 0.85, precision: 0.85},
	}
	b := newSampleBase(t)
	ctx := context.Background()
	byLang := map[string]*quality{"zh": {}, "en": {}}
	for _, l := range loadLabelled(t) {
		hits, err := b.Search(ctx, l.Q, 5)
		if err != nil {
			t.Fatalf("Search(%q): %v", l.Q, err)
		}
		q := byLang[l.Lang]
		anyRelevant := len(hits) > 0 && hits[0].Relevant // relevant hits sort first
		top := "(none)"
		if len(hits) > 0 {
			top = fmt.Sprintf("%s [rel=%v cov=%.2f cos=%.2f]", hits[0].Heading, hits[0].Relevant, hits[0].Coverage, hits[0].Vector)
		}
		if l.Want == "" {
			q.unanswerable++
			if !anyRelevant {
				q.rejected++
			} else {
				q.misses = append(q.misses, fmt.Sprintf("unanswerable %q answered by %s", l.Q, top))
			}
			continue
		}
		q.answerable++
		if anyRelevant {
			q.recalled++
		}
		if anyRelevant && matches(hits[0], l.Want) {
			q.top1++
		} else {
			q.misses = append(q.misses, fmt.Sprintf("%q want %q, top %s", l.Q, l.Want, top))
		}
	}
	for _, lang := range []string{"zh", "en"} {
		q := byLang[lang]
		top1, recall, precision := q.rates()
		t.Logf("%s: top-1 %.3f (%d/%d), answerable recall %.3f (%d/%d), unanswerable precision %.3f (%d/%d)",
			lang, top1, q.top1, q.answerable, recall, q.recalled, q.answerable, precision, q.rejected, q.unanswerable)
		for _, m := range q.misses {
			t.Logf("  %s miss: %s", lang, m)
		}
		f := floors[lang]
		if top1 < f.top1 || recall < f.recall || precision < f.precision {
			t.Errorf("%s quality below floors %+v", lang, f)
		}
	}
}
