package knowledge

import (
	"slices"
	"strings"
	"sync"

	"github.com/kairoscx/kairos/memory"
)

// chunkView is what measuring coverage needs of a chunk: its heading and
// text lowercased, and its terms other than Chinese ones (Chinese is looked
// for in the text; a Chinese term is never one typo from an English word),
// sorted for lookup.
type chunkView struct {
	text  string
	words []string
}

func newChunkView(full string, terms []string) *chunkView {
	if len(terms) == 0 {
		terms = Terms(full)
	}
	v := &chunkView{text: strings.ToLower(full)}
	for _, t := range terms {
		if !hasHan(t) {
			v.words = append(v.words, t)
		}
	}
	slices.Sort(v.words)
	v.words = slices.Compact(v.words)
	return v
}

// has reports whether term is one of the chunk's non-Chinese terms.
func (v *chunkView) has(term string) bool {
	_, ok := slices.BinarySearch(v.words, term)
	return ok
}

// saysAny reports whether the chunk says one of forms.
func (v *chunkView) saysAny(forms []form) bool {
	for _, f := range forms {
		if f.han && strings.Contains(v.text, f.s) || !f.han && v.has(f.s) {
			return true
		}
	}
	return false
}

// chunkViews are the two views of a chunk that ranking measures: the whole
// heading path with the text, and the section alone (its own heading, without
// the document's and parents' headings every sibling shares).
type chunkViews struct {
	full, section *chunkView
}

func newChunkViews(c memory.Chunk) *chunkViews {
	full := newChunkView(c.Heading+"\n"+c.Text, c.Terms)
	heading := c.Heading
	if i := strings.LastIndex(heading, " > "); i >= 0 {
		heading = heading[i+len(" > "):]
	}
	// The stored terms are of the whole path; the section's are its own.
	section := newChunkView(heading+"\n"+c.Text, nil)
	if strings.HasSuffix(full.text, section.text) {
		// Share the memory: the section is the tail of the whole.
		section.text = full.text[len(full.text)-len(section.text):]
	}
	return &chunkViews{full: full, section: section}
}

// maxViews bounds the view cache. A view is a few KB (a chunk is at most a
// few hundred words), so a full cache holds some tens of MB; a base larger
// than this still finds its most searched chunks cached most of the time.
const maxViews = 4096

// viewCache keeps chunk views by chunk ID, so a chunk is tokenized once and
// not on every search that considers it. A chunk's content never changes
// under its ID (changing a document means deleting it and ingesting anew,
// with new IDs), so entries never go stale; a deleted chunk's entry is
// merely dead weight until the cache is next cleared. When full, the cache
// is cleared rather than tracking recency: refilling costs one tokenization
// per chunk, which is what every search paid before.
type viewCache struct {
	mu sync.Mutex
	m  map[string]*chunkViews
}

// get returns c's views, computing and caching them when needed. Chunks
// without an ID are measured but not cached.
func (vc *viewCache) get(c memory.Chunk) *chunkViews {
	if c.ID == "" {
		return newChunkViews(c)
	}
	vc.mu.Lock()
	v, ok := vc.m[c.ID]
	vc.mu.Unlock()
	if ok {
		return v
	}
	// Computed outside the lock: two searches racing for the same new
	// chunk both compute it, which is cheaper than serialising them.
	v = newChunkViews(c)
	vc.mu.Lock()
	if vc.m == nil || len(vc.m) >= maxViews {
		vc.m = make(map[string]*chunkViews)
	}
	vc.m[c.ID] = v
	vc.mu.Unlock()
	return v
}
