package knowledge

import (
	"context"
	"strings"
	"testing"
)

func TestSampleSources(t *testing.T) {
	srcs, err := SampleSources()
	if err != nil {
		t.Fatal(err)
	}
	byLang := map[string]int{}
	faqs := 0
	for _, src := range srcs {
		t.Run(src.Title, func(t *testing.T) {
			checked, err := validate(src)
			if err != nil {
				t.Fatalf("sample %q invalid: %v", src.Title, err)
			}
			if _, err := cut(checked); err != nil {
				t.Fatalf("sample %q does not chunk: %v", src.Title, err)
			}
			if src.Lang == "" || DetectLang(src.Text) != src.Lang {
				t.Fatalf("sample %q lang %q, text detected as %q", src.Title, src.Lang, DetectLang(src.Text))
			}
		})
		byLang[src.Lang]++
		if src.Format == FormatFAQ {
			faqs++
		}
	}
	if byLang["zh"] == 0 || byLang["zh"] != byLang["en"] || faqs != 2 {
		t.Fatalf("sample has %v documents by language and %d FAQs; want matching zh/en sets and one FAQ per language", byLang, faqs)
	}
}

func TestLoadSampleOnlyIntoEmptyStore(t *testing.T) {
	b := newBase(t)
	ctx := context.Background()
	n, err := b.LoadSample(ctx)
	if err != nil || n == 0 {
		t.Fatalf("first LoadSample = %d, %v", n, err)
	}
	if n, err = b.LoadSample(ctx); err != nil || n != 0 {
		t.Fatalf("second LoadSample = %d, %v; want 0 (store not empty)", n, err)
	}
	docs, err := b.store.Documents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Source != "sample" || d.Chunks == 0 {
			t.Fatalf("doc %+v", d)
		}
		if strings.HasSuffix(d.Title, ".csv") || d.Title == "faq" {
			t.Fatalf("FAQ document without a proper title: %q", d.Title)
		}
	}
}
