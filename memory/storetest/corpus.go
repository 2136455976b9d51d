package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
)

// Corpus is a generated customer-service knowledge base: chunks written
// from topic templates in Chinese and English about many products, embedded
// with the offline embedder, and held-out questions embedded the same way.
// Unlike uniform random vectors, its embeddings cluster by topic and product
// and hold near-duplicates, as a real help centre's do.
type Corpus struct {
	Docs    [][]memory.Chunk // 100 documents of 100 chunks
	Queries []Query
}

// Query is a held-out customer question: its embedding and its terms.
type Query struct {
	Text      string
	Embedding []float32
	Terms     []string
}

const (
	corpusDocs    = 100
	corpusPerDoc  = 100
	corpusQueries = 300
)

var (
	realisticOnce sync.Once
	realistic     *Corpus
	realisticErr  error
)

// Realistic returns the generated corpus, built once per process: the same
// seed always gives the same chunks and questions.
func Realistic() (*Corpus, error) {
	realisticOnce.Do(func() { realistic, realisticErr = generate(rand.New(rand.NewPCG(2024, 5))) })
	return realistic, realisticErr
}

func generate(r *rand.Rand) (*Corpus, error) {
	emb := embed.NewOffline(BenchDim)
	c := &Corpus{}
	for d := 0; d < corpusDocs; d++ {
		chunks := make([]memory.Chunk, corpusPerDoc)
		texts := make([]string, corpusPerDoc)
		for i := range chunks {
			t := topics[r.IntN(len(topics))]
			p := products[r.IntN(len(products))]
			zh := r.IntN(2) == 0
			heading, text := passage(r, t, p, zh)
			lang := "en"
			if zh {
				lang = "zh"
			}
			chunks[i] = memory.Chunk{Ord: i, Heading: heading, Text: text, Lang: lang, Terms: Terms(heading + "\n" + text)}
			texts[i] = heading + "\n" + text
		}
		vecs, err := emb.Embed(context.Background(), texts)
		if err != nil {
			return nil, fmt.Errorf("storetest: embed corpus: %w", err)
		}
		for i := range chunks {
			chunks[i].Embedding = vecs[i]
		}
		c.Docs = append(c.Docs, chunks)
	}
	// Questions come from their own templates and their own random stream,
	// so no question repeats a chunk's wording.
	qr := rand.New(rand.NewPCG(77, 3))
	texts := make([]string, corpusQueries)
	for i := range texts {
		t, zh := topics[qr.IntN(len(topics))], qr.IntN(2) == 0
		forms := t.askEN
		if zh {
			forms = t.askZH
		}
		texts[i] = fill(qr, forms[qr.IntN(len(forms))], products[qr.IntN(len(products))], zh)
	}
	vecs, err := emb.Embed(context.Background(), texts)
	if err != nil {
		return nil, fmt.Errorf("storetest: embed questions: %w", err)
	}
	for i, t := range texts {
		c.Queries = append(c.Queries, Query{Text: t, Embedding: vecs[i], Terms: Terms(t)})
	}
	return c, nil
}

// passage writes one chunk: a heading and three to five sentences of one
// topic about one product, sometimes closed by a line every page carries.
func passage(r *rand.Rand, t topic, p product, zh bool) (heading, text string) {
	forms, sep := t.en, " "
	heading = p.en + " > " + t.headEN[r.IntN(len(t.headEN))]
	if zh {
		forms, sep = t.zh, ""
		heading = p.zh + " > " + t.headZH[r.IntN(len(t.headZH))]
	}
	var parts []string
	for _, i := range r.Perm(len(forms))[:3+r.IntN(min(3, len(forms)-2))] {
		parts = append(parts, fill(r, forms[i], p, zh))
	}
	if r.IntN(3) == 0 {
		closing := closingEN
		if zh {
			closing = closingZH
		}
		parts = append(parts, closing[r.IntN(len(closing))])
	}
	return heading, strings.Join(parts, sep)
}

// fill replaces {p} (product), {n} (a small count), {d} (days), {m} (an
// amount) and {c} (a city) in a template.
func fill(r *rand.Rand, form string, p product, zh bool) string {
	city := cities[r.IntN(len(cities))]
	name, place := p.en, city[0]
	if zh {
		name, place = p.zh, city[1]
	}
	return strings.NewReplacer(
		"{p}", name,
		"{n}", fmt.Sprint(1+r.IntN(9)),
		"{d}", fmt.Sprint([]int{3, 7, 15, 30, 90, 180, 365}[r.IntN(7)]),
		"{m}", fmt.Sprint([]int{9, 19, 49, 99, 199, 299, 599}[r.IntN(7)]),
		"{c}", place,
	).Replace(form)
}

// Terms splits text into keyword-search terms the way knowledge does in
// spirit (memory must not import knowledge): lowercase runs of letters and
// digits, minus a few English function words, and overlapping bigrams of
// each run of Chinese characters (a lone character stands for itself).
func Terms(text string) []string {
	var out []string
	var word, han []rune
	flushWord := func() {
		if w := string(word); len(word) > 0 && !stopWords[w] {
			out = append(out, w)
		}
		word = word[:0]
	}
	flushHan := func() {
		if len(han) == 1 {
			out = append(out, string(han))
		}
		for i := 0; i+1 < len(han); i++ {
			out = append(out, string(han[i:i+2]))
		}
		han = han[:0]
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, r)
		default:
			flushWord()
			flushHan()
		}
	}
	flushWord()
	flushHan()
	return out
}

var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "to": true, "of": true, "and": true, "or": true,
	"in": true, "on": true, "for": true, "with": true, "it": true, "be": true, "can": true, "do": true, "does": true,
	"i": true, "my": true, "you": true, "your": true, "we": true, "our": true, "if": true, "from": true, "at": true,
}

// recallQueries bounds how many questions a recall figure averages over.
func (c *Corpus) recallQueries() []Query { return c.Queries[:min(len(c.Queries), 200)] }

// Load stores the corpus in s, one AddDocument per document.
func (c *Corpus) Load(tb testing.TB, s memory.Store) {
	tb.Helper()
	for d, chunks := range c.Docs {
		// Fixed ids, so recall can compare the store's hits with exact
		// results computed from the corpus.
		own := make([]memory.Chunk, len(chunks))
		for i, ch := range chunks {
			ch.ID = fmt.Sprintf("chk_r%03d_%03d", d, i)
			own[i] = ch
		}
		if _, err := s.AddDocument(context.Background(), memory.Document{Title: fmt.Sprintf("help centre %d", d), Format: "markdown"}, own); err != nil {
			tb.Fatalf("load document %d: %v", d, err)
		}
	}
}
