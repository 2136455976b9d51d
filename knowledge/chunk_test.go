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

func TestChunkKeepsSectionsWholeAndMergesTails(t *testing.T) {
	list := "We ship with SF Express:\n- Major cities: usually 1–2 days.\n- Rest of mainland China: usually 2–4 days.\n- Remote regions: usually 4–7 days."
	tail := "During big sales, delivery may take 1–2 days longer."
	longList := "Orders of ¥600 or more can be paid in instalments:\n" + strings.Repeat("- 3 or 6 instalments with a credit card are interest-free for everyone.\n", 12)
	tests := []struct {
		name string
		md   string
		// each chunk text must contain all of one of these groups together
		together [][]string
		wantN    int
	}{
		{"section under the limit stays whole", "## Delivery times\n" + list + "\n\n" + tail,
			[][]string{{"We ship with SF Express:", "Remote regions", tail}}, 1},
		{"short tail joins the piece before", "## T\n" + strings.Repeat("A long paragraph about delivery that goes on. ", 12) + "\n\n" + strings.Repeat("Another long paragraph about couriers. ", 8) + "\n\n" + tail,
			[][]string{{"couriers", tail}}, 2},
		{"list stays with its lead", "## T\n" + strings.Repeat("Some prose about paying. ", 20) + "\n" + list + "\n" + strings.Repeat("More prose afterwards here. ", 15),
			[][]string{{"We ship with SF Express:", "Major cities", "Remote regions"}}, 0},
		{"over-long list is cut between items only", "## T\n" + longList, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := chunkMarkdown(tt.md)
			if tt.wantN > 0 && len(pieces) != tt.wantN {
				t.Fatalf("got %d pieces, want %d: %q", len(pieces), tt.wantN, pieces)
			}
			for _, p := range pieces {
				n := utf8.RuneCountInString(p.Text)
				if n > MaxChunkRunes {
					t.Fatalf("piece of %d runes", n)
				}
				if n < minTailRunes && len(pieces) > 1 {
					t.Errorf("short piece left alone: %q", p.Text)
				}
				for _, line := range strings.Split(p.Text, "\n") {
					if strings.HasPrefix(line, "- ") && !strings.HasSuffix(line, ".") {
						t.Errorf("list item cut: %q", line)
					}
				}
			}
			for _, group := range tt.together {
				found := false
				for _, p := range pieces {
					all := true
					for _, s := range group {
						all = all && strings.Contains(p.Text, s)
					}
					found = found || all
				}
				if !found {
					t.Errorf("no piece holds %q together: %q", group, pieces)
				}
			}
		})
	}
}

func TestChunkSampleDeliveryTimesIsOneChunk(t *testing.T) {
	srcs, err := SampleSources()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		if src.Format != FormatMarkdown {
			continue
		}
		for _, p := range chunkMarkdown(src.Text) {
			if utf8.RuneCountInString(p.Text) < 40 {
				t.Errorf("%s: fragment chunk %q under %q", src.Title, p.Text, p.Heading)
			}
			if strings.HasSuffix(p.Heading, "Delivery times") && !(strings.Contains(p.Text, "Major cities") && strings.Contains(p.Text, "big sales")) {
				t.Errorf("Delivery times cut apart: %q", p.Text)
			}
		}
	}
}

func TestIsListItem(t *testing.T) {
	for line, want := range map[string]bool{
		"- a": true, "  * b": true, "1. x": true, "12) y": true, "1、退货": true, "| S | M |": true,
		"-a": false, "1.5 kg": false, "2025. A year": true, "plain": false, "": false, "1.": false,
	} {
		if got := isListItem(line); got != want {
			t.Errorf("isListItem(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestMergeShort(t *testing.T) {
	long, short := strings.Repeat("x", 300), strings.Repeat("y", 50)
	full := strings.Repeat("z", MaxChunkRunes-10)
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"tail joins previous", []string{long, short}, []string{long + "\n\n" + short}},
		{"head joins next", []string{short, long}, []string{short + "\n\n" + long}},
		{"joins next when previous is full", []string{full, short, long}, []string{full, short + "\n\n" + long}},
		{"left alone when nothing fits", []string{full, short}, []string{full, short}},
		{"single piece untouched", []string{short}, []string{short}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeShort(slices.Clone(tt.in)); !slices.Equal(got, tt.want) {
				t.Fatalf("mergeShort = %d pieces %q, want %d", len(got), got, len(tt.want))
			}
		})
	}
}
