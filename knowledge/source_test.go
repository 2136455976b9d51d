package knowledge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/memory"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		src       Source
		wantField string // "" means valid
		wantTitle string
	}{
		{"ok markdown", Source{Title: "T", Text: "x"}, "", "T"},
		{"title from heading", Source{Text: "# 退货政策\n正文"}, "", "退货政策"},
		{"empty text", Source{Title: "T", Text: " \n\t"}, "text", ""},
		{"text too long", Source{Title: "T", Text: strings.Repeat("a", MaxTextBytes+1)}, "text", ""},
		{"text at limit", Source{Title: "T", Text: strings.Repeat("a", MaxTextBytes)}, "", "T"},
		{"invalid utf8 text", Source{Title: "T", Text: "ab\xff"}, "text", ""},
		{"nul in text", Source{Title: "T", Text: "a\x00b"}, "text", ""},
		{"title too long", Source{Title: strings.Repeat("题", MaxTitleRunes+1), Text: "x"}, "title", ""},
		{"title at limit", Source{Title: strings.Repeat("题", MaxTitleRunes), Text: "x"}, "", strings.Repeat("题", MaxTitleRunes)},
		{"no title, no heading", Source{Text: "just text", Format: FormatText}, "title", ""},
		{"multi-line title", Source{Title: "a\nb", Text: "x"}, "title", ""},
		{"invalid utf8 title", Source{Title: "\xff", Text: "x"}, "title", ""},
		{"unknown format", Source{Title: "T", Text: "x", Format: "pdf"}, "format", ""},
		{"unknown lang", Source{Title: "T", Text: "x", Lang: "fr"}, "lang", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := validate(tt.src)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				if got.Title != tt.wantTitle {
					t.Fatalf("title = %q, want %q", got.Title, tt.wantTitle)
				}
				return
			}
			assertFieldError(t, err, tt.wantField)
		})
	}
}

func assertFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("err = %v, want one wrapping memory.ErrInvalid", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("err = %v, want a FieldError for %q", err, field)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("error %q does not name the field %q", err, field)
	}
}

func TestParseFAQ(t *testing.T) {
	tests := []struct {
		name     string
		csv      string
		want     []faqRow
		wantLine string // substring of the error, "" for success
	}{
		{"header and quoted comma", "question,answer\n\"Cost, roughly?\",\"¥10, or free over ¥99\"\n",
			[]faqRow{{"Cost, roughly?", "¥10, or free over ¥99"}}, ""},
		{"chinese header, blank lines, crlf", "问题,答案\r\n\r\n能退货吗？,可以。\r\n", []faqRow{{"能退货吗？", "可以。"}}, ""},
		{"no header", "Q1?,A1\nQ2?,A2\n", []faqRow{{"Q1?", "A1"}, {"Q2?", "A2"}}, ""},
		{"multi-line answer", "q,\"line one\nline two\"\n", []faqRow{{"q", "line one\nline two"}}, ""},
		{"three fields", "question,answer\nq1,a1\nq2,a2,extra\n", nil, "line 3"},
		{"one field", "q1,a1\nlonely\n", nil, "line 2"},
		{"bare quote", "q1,a1\nq\"2,a2\n", nil, "line 2"},
		{"unterminated quote", "q1,a1\n\"q2,a2\n", nil, "line 2"},
		{"empty answer", "q1,\n", nil, "line 1"},
		{"only header", "question,answer\n", nil, "no question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFAQ(tt.csv)
			if tt.wantLine != "" {
				assertFieldError(t, err, "text")
				if !strings.Contains(err.Error(), tt.wantLine) {
					t.Fatalf("error %q does not mention %q", err, tt.wantLine)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFAQ: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("row %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name       string
		file       string
		content    string
		want       Source
		wantErrFld string
	}{
		{"markdown title from heading", "returns.zh.md", "\xef\xbb\xbf# 退货政策\n正文", Source{Title: "退货政策", Format: FormatMarkdown, Lang: "zh", Source: "returns.zh.md"}, ""},
		{"markdown without heading", "notes.markdown", "plain", Source{Title: "notes", Format: FormatMarkdown, Source: "notes.markdown"}, ""},
		{"text", "Hours.en.txt", "# not a heading in text\nOpen 9-21", Source{Title: "Hours", Format: FormatText, Lang: "en", Source: "Hours.en.txt"}, ""},
		{"faq", "faq.csv", "q,a\n", Source{Title: "faq", Format: FormatFAQ, Source: "faq.csv"}, ""},
		{"unknown extension", "doc.pdf", "%PDF", Source{}, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ParseFile(write(tt.file, tt.content))
			if tt.wantErrFld != "" {
				assertFieldError(t, err, tt.wantErrFld)
				return
			}
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			src.Text = ""
			if src != tt.want {
				t.Fatalf("ParseFile = %+v, want %+v", src, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := ParseFile(filepath.Join(dir, "nope.md")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v, want not exist", err)
		}
	})
	t.Run("oversize file is rejected at ingest, not truncated", func(t *testing.T) {
		src, err := ParseFile(write("big.txt", strings.Repeat("a", MaxTextBytes+10)))
		if err != nil {
			t.Fatalf("ParseFile: %v", err)
		}
		_, err = validate(src)
		assertFieldError(t, err, "text")
	})
}
