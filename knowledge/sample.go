package knowledge

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// sampleFS is a bilingual knowledge base for the demo shop: one Markdown
// document per topic and language (name.zh.md, name.en.md) and one FAQ CSV
// per language.
//
//go:embed sample/*.md sample/*.csv
var sampleFS embed.FS

// sampleFAQTitles names the FAQ files, which have no heading to take a
// title from.
var sampleFAQTitles = map[string]string{
	"zh": "常见问题",
	"en": "Frequently asked questions",
}

// sampleSource is the Source of the sample base's documents.
const sampleSource = "sample"

// SampleSources returns the sample knowledge base as sources, in file name
// order.
func SampleSources() ([]Source, error) {
	entries, err := fs.ReadDir(sampleFS, "sample")
	if err != nil {
		return nil, fmt.Errorf("knowledge: read sample: %w", err)
	}
	var out []Source
	for _, e := range entries {
		name := e.Name()
		format := FormatMarkdown
		if strings.HasSuffix(name, ".csv") {
			format = FormatFAQ
		}
		data, err := sampleFS.ReadFile(path.Join("sample", name))
		if err != nil {
			return nil, fmt.Errorf("knowledge: read sample %s: %w", name, err)
		}
		src := sourceFromBytes(name, format, data)
		if t, ok := sampleFAQTitles[src.Lang]; ok && format == FormatFAQ {
			src.Title = t
		}
		src.Source = sampleSource
		out = append(out, src)
	}
	return out, nil
}

// LoadSample ingests the sample knowledge base when the store holds no
// documents yet, so a fresh install can answer questions about the demo
// shop. It returns how many documents it loaded (0 when the store already
// had some).
func (b *Base) LoadSample(ctx context.Context) (loaded int, err error) {
	docs, err := b.store.Documents(ctx)
	if err != nil {
		return 0, fmt.Errorf("knowledge: load sample: %w", err)
	}
	if len(docs) > 0 {
		return 0, nil
	}
	srcs, err := SampleSources()
	if err != nil {
		return 0, err
	}
	for _, src := range srcs {
		if _, err := b.Ingest(ctx, src); err != nil {
			return loaded, fmt.Errorf("knowledge: load sample %s: %w", src.Source, err)
		}
		loaded++
	}
	b.logger.InfoContext(ctx, "sample knowledge base loaded", "documents", loaded)
	return loaded, nil
}
