package knowledge

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestChunkMarkdownHeadings(t *testing.T) {
	md := "Intro before any heading.\n\n" +
		"# Returns\n\nFirst para.\n\n## Refund timing ##\n\nBank cards: 3–7 days.\n\n" +
		"### Cards\nCredit cards differ.\n\n## Conditions\nUnused items only.\n\n" +
		"```\n# not a heading\n```\n\n---\n\n# Shipping\n#### Deep\nFour levels down.\n#hashtag is text\n"
	got := chunkMarkdown(md)
	want := []piece{
		{"", "Intro before any heading."},
		{"Returns", "First para."},
		{"Returns > Refund timing", "Bank cards: 3–7 days."},
		{"Returns > Refund timing > Cards", "Credit cards differ."},
		{"Returns > Conditions", "Unused items only.\n\n```\n# not a heading\n```"},
		{"Shipping > Deep", "Four levels down.\n#hashtag is text"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("chunkMarkdown:\n got %q\nwant %q", got, want)
	}
}

func TestChunkSizesAndNothingLost(t *testing.T) {
	zhSentence := "签收后七天内商品未使用且包装完好可以申请无理由退货。"
	enSentence := "Unused items in their original packaging can be returned within seven days. "
	longSentence := strings.Repeat("没有标点的超长句子", 80) // 720 runes, no sentence end
	tests := []struct {
		name string
		text string
	}{
		{"many short paragraphs", strings.Repeat("A short paragraph about shipping.\n\n", 60)},
		{"long chinese paragraph", strings.Repeat(zhSentence, 40)},
		{"long english paragraph", strings.Repeat(enSentence, 20)},
		{"one sentence too long", longSentence},
		{"mixed", "# T\n\n" + strings.Repeat(zhSentence, 10) + "\n\n" + strings.Repeat(enSentence, 10) + longSentence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				chunk func(string) []piece
				want  string // the text as chunks should hold it
			}{
				{chunkMarkdown, strings.Replace(tt.text, "# T\n", "", 1)},
				{chunkText, tt.text},
			} {
				pieces := c.chunk(tt.text)
				if len(pieces) == 0 {
					t.Fatal("no pieces")
				}
				var all strings.Builder
				for _, p := range pieces {
					if n := utf8.RuneCountInString(p.Text); n > MaxChunkRunes || n == 0 {
						t.Fatalf("piece of %d runes, want 1..%d", n, MaxChunkRunes)
					}
					all.WriteString(p.Text)
				}
				if got, want := nonSpace(all.String()), nonSpace(c.want); got != want {
					t.Fatalf("text changed by chunking:\n got %d runes\nwant %d runes", utf8.RuneCountInString(got), utf8.RuneCountInString(want))
				}
			}
		})
	}
}

func TestChunkCutsAtSentenceEnds(t *testing.T) {
	zh := strings.Repeat("这是一个完整的句子，用来测试切分。", 50)
	en := strings.Repeat("This is a complete sentence for testing. ", 30)
	for _, text := range []string{zh, en} {
		for _, p := range chunkText(text) {
			last, _ := utf8.DecodeLastRuneInString(p.Text)
			if last != '。' && last != '.' {
				t.Fatalf("piece ends inside a sentence: ...%q", p.Text[max(0, len(p.Text)-20):])
			}
		}
	}
}

func TestSplitSentences(t *testing.T) {
	got := splitSentences("你好。真的吗？“好的！”Yes. No! e.g.x Why? end")
	want := []string{"你好。", "真的吗？", "“好的！”", "Yes. ", "No! ", "e.g.x Why? ", "end"}
	if !slices.Equal(got, want) {
		t.Fatalf("splitSentences = %q, want %q", got, want)
	}
}

func nonSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
