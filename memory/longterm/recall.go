package longterm

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Recalled is a memory found for a question.
type Recalled struct {
	memory.Memory
	// Score ranks the memory (see Recall).
	Score float64
	// Relevant is true when the memory shares a word with the question
	// (its text, value or slot topics), so a reasoner may answer from it.
	Relevant bool
}

// Recall ranking constants (see Recall).
const (
	rrfK            = 60
	recencyHalfLife = 90 * 24 * time.Hour
)

// Recall returns up to k of the customer's current memories for query, best
// first, followed by the customer's latest episode summary when it is not
// among them (so a reasoner can say "last time you asked about …").
//
// Candidates come from two searches over the customer's current memories:
// by embedding (store.SearchMemories, skipped without an embedder) and by
// keyword (store.SearchMemoriesKeyword). Each list is ranked, and a memory's
// score is
//
//	fused    = Σ over lists of 1 / (60 + rank)        (reciprocal rank fusion)
//	weight   = (0.5 + importance) × (0.5 + 0.5 × 2^(−age / 90 days))
//	matched  = 1 + the number of query terms the memory's text, value or
//	           slot topics contain
//	score    = fused × weight × matched
//
// so importance can triple a memory's weight, an old memory keeps at least
// half of its weight (a baby's age told last year still counts, but less
// than what was said this week), and "宝宝多大" prefers the memory about the
// baby's age (宝宝 + 多大) to another about the baby (宝宝). Memories that
// match no query term at all (found by embedding alone) come after those
// that do.
func (k *Keeper) Recall(ctx context.Context, customerID, query string, n int) ([]Recalled, error) {
	if customerID == "" {
		return nil, fmt.Errorf("longterm: recall: customer id is required: %w", memory.ErrInvalid)
	}
	if n <= 0 {
		n = 5
	}
	depth := max(4*n, 20)
	var lists [][]memory.MemoryHit
	if k.emb != nil && strings.TrimSpace(query) != "" {
		vs, err := k.emb.Embed(ctx, []string{query})
		if err != nil {
			return nil, fmt.Errorf("longterm: recall: embed query: %w", err)
		}
		if len(vs) == 1 {
			hits, err := k.store.SearchMemories(ctx, customerID, vs[0], depth)
			if err != nil {
				return nil, fmt.Errorf("longterm: recall: vector search: %w", err)
			}
			lists = append(lists, hits)
		}
	}
	qterms := queryTerms(query)
	if len(qterms) > 0 {
		hits, err := k.store.SearchMemoriesKeyword(ctx, customerID, qterms, depth)
		if err != nil {
			return nil, fmt.Errorf("longterm: recall: keyword search: %w", err)
		}
		lists = append(lists, hits)
	}
	out := fuse(lists, qterms, k.now())
	if len(out) > n {
		out = out[:n]
	}
	ep, ok, err := k.LastEpisode(ctx, customerID)
	if err != nil {
		return nil, err
	}
	if ok && !containsID(out, ep.ID) {
		out = append(out, Recalled{Memory: ep, Relevant: overlaps(qterms, ep)})
	}
	return out, nil
}

// fuse merges ranked lists by reciprocal rank, weighted by importance and
// recency, best first.
func fuse(lists [][]memory.MemoryHit, qterms []string, now time.Time) []Recalled {
	byID := map[string]*Recalled{}
	var order []string
	for _, hits := range lists {
		for rank, h := range hits {
			if !h.Current() {
				continue // a store should not return these; never recall them
			}
			r, ok := byID[h.ID]
			if !ok {
				r = &Recalled{Memory: h.Memory}
				r.Embedding = nil
				byID[h.ID] = r
				order = append(order, h.ID)
			}
			r.Score += 1 / float64(rrfK+rank+1)
		}
	}
	out := make([]Recalled, 0, len(order))
	for _, id := range order {
		r := byID[id]
		matched := overlapCount(qterms, r.Memory)
		r.Relevant = matched > 0
		r.Score *= weight(r.Memory, now) * float64(1+matched)
		out = append(out, *r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Relevant != out[j].Relevant {
			return out[i].Relevant
		}
		return out[i].Score > out[j].Score
	})
	return out
}

// weight is a memory's importance and recency factor.
func weight(m memory.Memory, now time.Time) float64 {
	imp := math.Max(0, math.Min(1, m.Importance))
	age := now.Sub(said(m))
	if age < 0 {
		age = 0
	}
	recency := 0.5 + 0.5*math.Exp2(-float64(age)/float64(recencyHalfLife))
	return (0.5 + imp) * recency
}

// said is when the memory was learned.
func said(m memory.Memory) time.Time {
	if !m.ValidFrom.IsZero() {
		return m.ValidFrom
	}
	return m.CreatedAt
}

// overlaps reports whether a memory shares a query term, counting its slot
// topics.
func overlaps(qterms []string, m memory.Memory) bool {
	return overlapCount(qterms, m) > 0
}

// queryTerms are the query's terms plus every Chinese slot topic word it
// contains: "我穿什么码" has the bigrams 我穿/穿什/什么/么码, none of which
// is the topic word 穿 or 码 a size memory is indexed under.
func queryTerms(query string) []string {
	ts := Terms(query)
	seen := map[string]bool{}
	for _, t := range ts {
		seen[t] = true
	}
	for _, s := range slots {
		for _, w := range strings.Fields(s.topics) {
			if !seen[w] && hasHan(w) && strings.Contains(query, w) {
				seen[w] = true
				ts = append(ts, w)
			}
		}
	}
	return ts
}

func overlapCount(qterms []string, m memory.Memory) int {
	if len(qterms) == 0 {
		return 0
	}
	mine := map[string]bool{}
	for _, t := range indexTerms(m) {
		mine[t] = true
	}
	n := 0
	for _, t := range qterms {
		if mine[t] {
			n++
		}
	}
	return n
}

// Overlap counts the question's terms a memory matches, its slot topics
// included, leaving out words that only name whom it is about (宝宝, baby,
// 客户): reasoners use it to pick the memory a question is about, so "宝宝对
// 什么过敏" is not answered with the baby's age.
func Overlap(question string, m memory.Memory) int {
	var qs []string
	for _, t := range queryTerms(question) {
		if !aboutWhom[t] {
			qs = append(qs, t)
		}
	}
	return overlapCount(qs, m)
}

var aboutWhom = map[string]bool{"宝宝": true, "宝贝": true, "孩子": true, "客户": true, "我": true, "您": true, "你": true,
	"baby": true, "child": true, "kid": true, "customer": true, "son": true, "daughter": true, "儿子": true, "女儿": true}

// indexTerms are the terms a memory is found by: its text, its value said
// in both languages, and its slot's topic words.
func indexTerms(m memory.Memory) []string {
	parts := []string{m.Text, m.Value, Topics(m.Key)}
	if m.Key != "" && m.Value != "" {
		parts = append(parts, Phrase(m, "zh", false), Phrase(m, "en", false))
	}
	return Terms(strings.Join(parts, " "))
}

func containsID(rs []Recalled, id string) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// LastEpisode returns the customer's newest current episode summary.
func (k *Keeper) LastEpisode(ctx context.Context, customerID string) (memory.Memory, bool, error) {
	ms, err := k.store.Memories(ctx, customerID, false)
	if err != nil {
		return memory.Memory{}, false, fmt.Errorf("longterm: last episode: %w", err)
	}
	var best memory.Memory
	found := false
	for _, m := range ms {
		if m.Kind == memory.MemoryEpisode && m.Current() && (!found || said(m).After(said(best))) {
			best, found = m, true
		}
	}
	best.Embedding = nil
	return best, found, nil
}

// Ago says how long before now t was, roughly: "3周前", "3 weeks ago".
func Ago(t, now time.Time, lang string) string {
	d := now.Sub(t)
	zh := lang == "zh"
	unit := func(n int, zhUnit, enUnit string) string {
		if zh {
			return strconv.Itoa(n) + zhUnit + "前"
		}
		if n != 1 {
			enUnit += "s"
		}
		return strconv.Itoa(n) + " " + enUnit + " ago"
	}
	day := 24 * time.Hour
	switch {
	case d < time.Hour:
		if zh {
			return "刚才"
		}
		return "just now"
	case d < day:
		if zh {
			return "今天早些时候"
		}
		return "earlier today"
	case d < 7*day:
		return unit(int(d/day), "天", "day")
	case d < 56*day:
		return unit(int((d+3*day)/(7*day)), "周", "week")
	case d < 365*day:
		return unit(int((d+15*day)/(30*day)), "个月", "month")
	}
	return unit(int((d+182*day)/(365*day)), "年", "year")
}

// AgeNow estimates what an age told at said is at now, for baby.age and
// child.age: "8 months" told 6 weeks ago is "about 9 months" now. ok is
// false for other keys, unparseable values, or when less than four weeks
// passed (the estimate would only repeat the value).
func AgeNow(m memory.Memory, now time.Time) (string, bool) {
	if m.Key != "baby.age" && m.Key != "child.age" {
		return "", false
	}
	n, unit, ok := parseDuration(m.Value)
	elapsed := now.Sub(said(m))
	if !ok || elapsed < 28*24*time.Hour {
		return "", false
	}
	days := elapsed.Hours() / 24
	var est float64
	switch unit {
	case "week":
		est = n + days/7
		if est > 12 {
			return durationValue(math.Round(est/4.345), "month"), true
		}
		return durationValue(math.Round(est), "week"), true
	case "month":
		est = math.Round(n + days/30.44)
		if est == n {
			return "", false
		}
		if est >= 24 {
			return durationValue(math.Floor(est/12), "year"), true
		}
		return durationValue(est, "month"), true
	case "year":
		est = n + days/365.25
		if math.Floor(est) == math.Floor(n) {
			return "", false
		}
		return durationValue(math.Floor(est), "year"), true
	}
	return "", false
}

// Describe says a memory for the customer with when they told us, and for
// an age what it likely is now: "您的宝宝8个月大（3周前告诉我们的）",
// "your baby is 8 months old (you told us 6 weeks ago; that makes about 9
// months now)".
func Describe(m memory.Memory, now time.Time, lang string) string {
	ago := Ago(said(m), now, lang)
	est, hasEst := AgeNow(m, now)
	if lang == "zh" {
		s := Phrase(m, "zh", true) + "（" + ago + "告诉我们的"
		if hasEst {
			s += "，按时间推算现在大约" + zhDuration(est, true)
		}
		return s + "）"
	}
	s := Phrase(m, "en", true) + " (you told us " + ago
	if hasEst {
		s += "; that makes about " + est + " now"
	}
	return s + ")"
}
