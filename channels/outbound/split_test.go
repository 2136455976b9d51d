package outbound

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		sp   Splitter
		in   string
		want []string
	}{
		{"blank", Splitter{Max: 10}, "  \n ", nil},
		{"fits", Splitter{Max: 10}, " 你好 ", []string{"你好"}},
		{"no limit", Splitter{}, "long text", []string{"long text"}},
		{"chinese sentences", Splitter{Max: 10}, "您好。请问有什么可以帮您？我们在线。",
			[]string{"您好。", "请问有什么可以帮您？", "我们在线。"}},
		{"lines first", Splitter{Max: 12}, "line one\nline two is here",
			[]string{"line one", "line two is", "here"}},
		{"english sentence", Splitter{Max: 20}, "It ships today. It arrives tomorrow.",
			[]string{"It ships today.", "It arrives tomorrow."}},
		{"decimal is not a sentence end", Splitter{Max: 8}, "pi=3.14159265",
			[]string{"pi=3.141", "59265"}},
		{"bytes", Splitter{Max: 6, Unit: Bytes}, "你好世界", []string{"你好", "世界"}},
		{"utf16 emoji", Splitter{Max: 3, Unit: UTF16}, "a😀😀", []string{"a😀", "😀"}},
		{"flags stay whole", Splitter{Max: 3}, "x🇨🇳🇺🇸", []string{"x🇨🇳", "🇺🇸"}},
		{"flag not halved", Splitter{Max: 2}, "x🇨🇳", []string{"x", "🇨🇳"}},
		{"zwj family stays whole", Splitter{Max: 6}, "ab👨‍👩‍👧", []string{"ab", "👨‍👩‍👧"}},
		{"skin tone stays", Splitter{Max: 2}, "a👍🏽", []string{"a", "👍🏽"}},
		{"combining mark stays", Splitter{Max: 2}, "ae\u0301", []string{"a", "e\u0301"}},
		{"closing quote stays", Splitter{Max: 10}, "他说：“好的。”然后走了很远很远",
			[]string{"他说：“好的。”", "然后走了很远很远"}},
		{"invalid utf8", Splitter{Max: 2}, "a\xffb", []string{"a\uFFFD", "b"}},
		{"single rune over byte max", Splitter{Max: 2, Unit: Bytes}, "你a", []string{"你", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.sp.Split(tt.in)
			if !equal(got, tt.want) {
				t.Fatalf("Split(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkSplit(t, tt.sp, tt.in, got)
		})
	}
}

func TestSplitAvoidsTinyPieces(t *testing.T) {
	// A comma near the start must not produce a two-character piece when a
	// later cut point exists.
	sp := Splitter{Max: 20}
	got := sp.Split("好，这是一段很长的没有任何其他标点的文字内容需要被切开才行")
	if len(got) < 2 || utf8.RuneCountInString(got[0]) < 7 {
		t.Fatalf("got %q", got)
	}
	checkSplit(t, sp, "好，这是一段很长的没有任何其他标点的文字内容需要被切开才行", got)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSplit asserts the splitter's contract: valid UTF-8 pieces within
// Max (or a lone character), no blank pieces, and nothing but whitespace
// lost or reordered.
func checkSplit(t *testing.T, sp Splitter, in string, got []string) {
	t.Helper()
	for _, p := range got {
		if !utf8.ValidString(p) {
			t.Fatalf("piece %q is not valid UTF-8", p)
		}
		if strings.TrimSpace(p) == "" {
			t.Fatalf("blank piece in %q", got)
		}
		if sp.Max > 0 && sp.Unit.Len(p) > sp.Max && utf8.RuneCountInString(p) != 1 {
			t.Fatalf("piece %q is %d %s, more than %d", p, sp.Unit.Len(p), sp.Unit, sp.Max)
		}
	}
	valid := strings.ToValidUTF8(in, "\uFFFD")
	if dropSpace(strings.Join(got, "")) != dropSpace(valid) {
		t.Fatalf("pieces %q lose or change text of %q", got, in)
	}
}

func dropSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"您好。请问有什么可以帮您？\n\n我们的营业时间是 9:00-18:00，周末休息。",
		"Hello! Your order #123 ships today. Tracking: SF1234567890.",
		"👨‍👩‍👧‍👦🇨🇳🇺🇸👍🏽e\u0301a\u20e3",
		"a\xff\xfe b\r\nc",
		strings.Repeat("长", 100),
	}
	for _, s := range seeds {
		for _, max := range []int{1, 2, 3, 4, 7, 16} {
			f.Add(s, max, 0)
			f.Add(s, max, 1)
			f.Add(s, max, 2)
		}
	}
	f.Fuzz(func(t *testing.T, in string, max, unit int) {
		if max < 1 || max > 4096 || unit < 0 || unit > 2 || len(in) > 1<<14 {
			t.Skip()
		}
		sp := Splitter{Max: max, Unit: Unit(unit)}
		checkSplit(t, sp, in, sp.Split(in))
	})
}
