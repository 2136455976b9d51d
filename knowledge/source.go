package knowledge

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// Limits on what may be ingested.
const (
	// MaxTextBytes is the largest document text accepted.
	MaxTextBytes = 2 << 20
	// MaxTitleRunes is the longest title accepted.
	MaxTitleRunes = 200
)

// The document formats.
const (
	FormatMarkdown = "markdown"
	FormatText     = "text"
	FormatFAQ      = "faq" // CSV with question,answer rows
)

// Source is a document to ingest.
type Source struct {
	Title  string
	Text   string
	Format string // FormatMarkdown (default when empty), FormatText or FormatFAQ
	Source string // where it came from: a file name, "api", "sample"
	Lang   string // "zh", "en", or "" to detect it
}

// FieldError is a validation failure of one field of a Source. It wraps
// memory.ErrInvalid.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "knowledge: " + e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, memory.ErrInvalid) true.
func (e *FieldError) Unwrap() error { return memory.ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// validate checks src and fills in defaults: the format, and a title from the
// first Markdown heading when none was given.
func validate(src Source) (Source, error) {
	if src.Format == "" {
		src.Format = FormatMarkdown
	}
	switch src.Format {
	case FormatMarkdown, FormatText, FormatFAQ:
	default:
		return src, invalid("format", "unknown format %q (want markdown, text or faq)", src.Format)
	}
	switch src.Lang {
	case "", "zh", "en":
	default:
		return src, invalid("lang", "unknown language %q (want zh, en or empty)", src.Lang)
	}
	if len(src.Text) > MaxTextBytes {
		return src, invalid("text", "too long (%d bytes, max %d)", len(src.Text), MaxTextBytes)
	}
	if !utf8.ValidString(src.Text) {
		return src, invalid("text", "not valid UTF-8")
	}
	if strings.IndexByte(src.Text, 0) >= 0 {
		return src, invalid("text", "contains a NUL character")
	}
	if strings.TrimSpace(src.Text) == "" {
		return src, invalid("text", "empty")
	}
	if !utf8.ValidString(src.Title) {
		return src, invalid("title", "not valid UTF-8")
	}
	src.Title = strings.TrimSpace(src.Title)
	if src.Title == "" && src.Format == FormatMarkdown {
		src.Title = firstHeading(src.Text)
	}
	if src.Title == "" {
		return src, invalid("title", "empty")
	}
	if n := utf8.RuneCountInString(src.Title); n > MaxTitleRunes {
		return src, invalid("title", "too long (%d characters, max %d)", n, MaxTitleRunes)
	}
	if strings.ContainsAny(src.Title, "\r\n\x00") {
		return src, invalid("title", "must be a single line of text")
	}
	if len(src.Source) > 1024 || !utf8.ValidString(src.Source) {
		return src, invalid("source", "too long or not valid UTF-8")
	}
	return src, nil
}

// ParseFile reads a document from disk, choosing the format by extension
// (.md and .markdown → markdown, .txt → text, .csv → faq). The title is the
// first Markdown heading, or the file name without extension. A language
// suffix in the name ("returns.zh.md") sets Lang.
func ParseFile(path string) (Source, error) {
	base := filepath.Base(path)
	ext := strings.ToLower(filepath.Ext(base))
	var format string
	switch ext {
	case ".md", ".markdown":
		format = FormatMarkdown
	case ".txt":
		format = FormatText
	case ".csv":
		format = FormatFAQ
	default:
		return Source{}, fmt.Errorf("knowledge: parse %s: %w", path,
			invalid("format", "unknown file extension %q (want .md, .markdown, .txt or .csv)", ext))
	}
	f, err := os.Open(path)
	if err != nil {
		return Source{}, fmt.Errorf("knowledge: parse %s: %w", path, err)
	}
	defer f.Close()
	// Read one byte past the limit so an oversize file is reported as such.
	data, err := io.ReadAll(io.LimitReader(f, MaxTextBytes+1))
	if err != nil {
		return Source{}, fmt.Errorf("knowledge: parse %s: %w", path, err)
	}
	return sourceFromBytes(base, format, data), nil
}

// sourceFromBytes builds a Source from a named file's contents; validation
// happens at ingest.
func sourceFromBytes(name, format string, data []byte) Source {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM from Windows editors
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	lang := ""
	if l := filepath.Ext(stem); l == ".zh" || l == ".en" {
		lang = l[1:]
		stem = strings.TrimSuffix(stem, l)
	}
	src := Source{Text: string(data), Format: format, Source: name, Lang: lang}
	if format == FormatMarkdown {
		src.Title = firstHeading(src.Text)
	}
	if src.Title == "" {
		src.Title = stem
	}
	return src
}

// faqRow is one question and its answer.
type faqRow struct {
	Question, Answer string
}

// parseFAQ reads question,answer CSV. A first row naming the columns
// ("question,answer" or "问题,答案") is skipped. Blank lines are skipped; any
// other row without exactly two non-empty fields is an error naming its line.
func parseFAQ(text string) ([]faqRow, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.TrimLeadingSpace = true
	var rows []faqRow
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalid("text", "faq csv line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, invalid("text", "faq csv: %v", err)
		}
		line, _ := r.FieldPos(0)
		if first && isFAQHeader(rec) {
			continue
		}
		if len(rec) != 2 {
			return nil, invalid("text", "faq csv line %d: want 2 fields (question,answer), got %d", line, len(rec))
		}
		q, a := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if q == "" || a == "" {
			return nil, invalid("text", "faq csv line %d: empty question or answer", line)
		}
		rows = append(rows, faqRow{Question: q, Answer: a})
	}
	if len(rows) == 0 {
		return nil, invalid("text", "faq csv has no question,answer rows")
	}
	return rows, nil
}

func isFAQHeader(rec []string) bool {
	if len(rec) != 2 {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(rec[0]))
	a := strings.ToLower(strings.TrimSpace(rec[1]))
	return (q == "question" || q == "q" || q == "问题") && (a == "answer" || a == "a" || a == "答案" || a == "回答")
}
