package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/longterm"
	"github.com/kairoscx/kairos/memory/profile"
)

// Handoff package limits.
const (
	packageMessages    = 40 // messages summarised
	packageTail        = 20 // messages shown with the package
	packageSuggestions = 3
	packageOrders      = 5
	packagePath        = 10
)

// HandoffPackage builds what an agent sees when taking a conversation
// over: a summary (the summarizer's, else extractive), the insight, the
// customer 360, relevant memories and suggested replies from the
// knowledge base. It implements handoff.Packager. Parts that fail are left
// out; the package is never refused for want of one.
func (e *Engine) HandoffPackage(ctx context.Context, in handoff.PackageInput) (handoff.Package, error) {
	p := handoff.Package{V: handoff.Version}
	log := e.log.With("conversation", in.ConversationID)
	msgs, err := e.cfg.Store.LastMessages(ctx, in.ConversationID, packageMessages)
	if err != nil {
		log.Warn("handoff package: transcript", "err", err)
	}
	lang := in.Lang
	if in.Insight != nil {
		it := in.Insight
		p.Insight = &handoff.PackageInsight{Intent: it.Intent, Need: it.Need, NeedReason: it.NeedReason,
			Mood: it.Mood, Lang: it.Lang, Trajectory: it.Trajectory}
		if lang == "" {
			lang = it.Lang
		}
	}
	if lang != "zh" {
		lang = "en"
	}
	p.Summary, p.SummarySource = e.handoffSummary(ctx, msgs, lang)
	for _, m := range msgs[max(0, len(msgs)-packageTail):] {
		p.Transcript = append(p.Transcript, handoff.Message{Seq: m.Seq, Role: string(m.Role), Text: m.Text, At: m.CreatedAt})
	}
	if in.CustomerID != "" {
		p.Customer = e.customer360(ctx, in.CustomerID)
		if ms, err := e.Recall(ctx, in.CustomerID, in.Question); err == nil {
			for _, m := range ms {
				p.Memories = append(p.Memories, handoff.PackageMemory{Kind: m.Kind, Key: m.Key, Text: m.Text, At: m.SaidAt, Relevant: m.Relevant})
			}
		}
	}
	p.Suggestions = e.suggestions(ctx, in.Question, msgs, lang)
	return p, nil
}

// handoffSummary summarises the conversation for the agent.
func (e *Engine) handoffSummary(ctx context.Context, msgs []memory.Message, lang string) (string, string) {
	if k := e.handoff(); k != nil && k.summarizer != nil && len(msgs) > 0 {
		s, err := k.summarizer.SummarizeHandoff(ctx, msgs, lang)
		if err == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s), "llm"
		}
		if err != nil {
			e.log.Warn("handoff summary: model failed, extractive instead", "err", err)
		}
	}
	if ep, ok := longterm.Summarize(msgs, lang); ok {
		return ep.Text, "extractive"
	}
	return "", "extractive"
}

// customer360 is the profile as the agent sees it.
func (e *Engine) customer360(ctx context.Context, customerID string) *handoff.Customer360 {
	c := &handoff.Customer360{CustomerID: customerID}
	prof, err := e.cfg.Store.Profile(ctx, customerID)
	if err != nil {
		return c
	}
	b := prof.Business
	c.Tier, c.LifetimeValue, c.Orders, c.Refunds, c.Lifecycle = b.Tier, b.LifetimeValue, b.Orders, b.Refunds, b.Stage
	if k := e.handoff(); k != nil {
		c.VIP = k.h.Policy().IsVIP(b.Tier)
	}
	if !b.LastOrderAt.IsZero() {
		t := b.LastOrderAt
		c.LastOrderAt = &t
	}
	path := prof.Behaviour.RecentPath
	for _, v := range path[max(0, len(path)-packagePath):] {
		c.RecentPath = append(c.RecentPath, handoff.PageRef{URL: v.URL, Title: v.Title, At: v.At})
	}
	for _, s := range prof.Interaction.Sentiment {
		c.Moods = append(c.Moods, handoff.MoodAt{At: s.At, Mood: s.Mood, Valence: s.Valence})
	}
	evs, err := e.cfg.Store.Events(ctx, customerID, memory.EventQuery{
		Types: []string{profile.TypeOrderPlaced}, Desc: true, Limit: packageOrders,
	})
	if err == nil {
		for _, ev := range evs {
			c.RecentOrders = append(c.RecentOrders, orderRef(ev))
		}
	}
	if e.cfg.Churn != nil {
		c.ChurnRisk = e.cfg.Churn.Risk(churn.Features(churn.Input{Profile: prof}, e.now()))
	}
	return c
}

// orderRef reads the documented order_placed props (order_id, total,
// items[].sku).
func orderRef(ev memory.Event) handoff.OrderRef {
	o := handoff.OrderRef{At: ev.At}
	var props struct {
		OrderID string   `json:"order_id"`
		Total   *float64 `json:"total"`
		Status  string   `json:"status"`
		Items   []struct {
			SKU  string `json:"sku"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if json.Unmarshal(ev.Props, &props) != nil {
		return o
	}
	o.ID, o.Status = props.OrderID, props.Status
	if props.Total != nil {
		o.Total = *props.Total
	}
	for _, it := range props.Items {
		name := it.SKU
		if name == "" {
			name = it.Name
		}
		if name != "" && len(o.Items) < 10 {
			o.Items = append(o.Items, name)
		}
	}
	return o
}

// suggestions phrases the knowledge base's best passages for the latest
// question as replies the agent can insert (the offline reasoner's
// phrasing), opening with an apology when the customer is upset.
func (e *Engine) suggestions(ctx context.Context, question string, msgs []memory.Message, lang string) []handoff.Suggestion {
	if strings.TrimSpace(question) == "" || e.cfg.Knowledge == nil {
		return nil
	}
	var history []reason.Turn
	for _, m := range msgs {
		history = append(history, reason.Turn{Role: string(m.Role), Text: m.Text, At: m.CreatedAt, Seq: m.Seq})
	}
	passages := e.retrieve(ctx, e.log, searchQuery(question, history))
	var out []handoff.Suggestion
	if s, ok := e.draftSuggestion(ctx, question, history, passages, lang); ok {
		out = append(out, s)
	}
	for _, ps := range passages {
		if !ps.Relevant || len(out) >= packageSuggestions {
			continue
		}
		reply, err := e.cfg.Fallback.Answer(ctx, reason.Request{Question: question, Lang: lang, Passages: []reason.Passage{ps}, Now: e.now()}, nil)
		if err != nil || strings.TrimSpace(reply.Text) == "" {
			continue
		}
		src := ps.Title
		if ps.Heading != "" {
			src += " › " + ps.Heading
		}
		out = append(out, handoff.Suggestion{Text: reply.Text, Source: src, Lang: lang})
	}
	return out
}

// suggestionTimeout bounds the language model's draft of a reply for the
// agent; the knowledge-base suggestions do not wait for more.
const suggestionTimeout = 8 * time.Second

// draftSuggestion asks the primary reasoner, when it is a language model
// (not instant), to draft a reply for the agent from the conversation and
// the relevant passages; the draft passes the same output guard as any
// reply. It reports false without a model or when the draft fails.
func (e *Engine) draftSuggestion(ctx context.Context, question string, history []reason.Turn, passages []reason.Passage, lang string) (handoff.Suggestion, bool) {
	if !streams(e.cfg.Reasoner) {
		return handoff.Suggestion{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, suggestionTimeout)
	defer cancel()
	if n := len(history); n > historyTurns {
		history = history[n-historyTurns:]
	}
	reply, err := e.cfg.Reasoner.Answer(ctx, reason.Request{Question: question, Lang: lang, History: history, Passages: passages, Now: e.now()}, nil)
	if err != nil || strings.TrimSpace(reply.Text) == "" {
		if err != nil {
			e.log.Warn("handoff: model draft of a suggestion failed", "err", err)
		}
		return handoff.Suggestion{}, false
	}
	return handoff.Suggestion{Text: strings.TrimSpace(reply.Text), Source: "AI draft", Lang: lang}, true
}

// RememberHandoff writes what an agent settled to the customer's
// long-term memory: the summary as an episode of the handoff, each settled
// item as a commitment, so the bot recalls them when it answers again. It
// is what handoff.Config.Remember calls; without memory it does nothing.
func (e *Engine) RememberHandoff(ctx context.Context, r handoff.Resolved) error {
	if e.mem == nil || r.CustomerID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.mem.cfg.ExtractTimeout)
	defer cancel()
	lang := r.Lang
	at := r.At
	if at.IsZero() {
		at = e.now()
	}
	var cands []longterm.Candidate
	if s := strings.TrimSpace(r.Summary); s != "" {
		text := "An agent handled the conversation: " + s
		if lang == "zh" {
			text = "人工客服处理结果：" + s
		}
		cands = append(cands, longterm.Candidate{Kind: memory.MemoryEpisode, Key: "episode." + strings.ToLower(r.HandoffID),
			Text: text, Value: truncateRunes(s, 120), Importance: 0.7, Lang: lang, At: at,
			Sources: []memory.MessageRef{{ConversationID: r.ConversationID}}})
	}
	for _, s := range r.Settled {
		text := "Agent agreed: " + s
		if lang == "zh" {
			text = "客服已承诺：" + s
		}
		cands = append(cands, longterm.Candidate{Kind: memory.MemoryCommitment, Text: text, Importance: 0.9, Lang: lang, At: at,
			Sources: []memory.MessageRef{{ConversationID: r.ConversationID}}})
	}
	if len(cands) == 0 {
		return nil
	}
	known, err := e.mem.store.Memories(ctx, r.CustomerID, false)
	if err != nil {
		return fmt.Errorf("bot: remember handoff: %w", err)
	}
	if _, err := e.mem.keeper.Apply(ctx, r.CustomerID, longterm.Reconcile(cands, known)); err != nil {
		return fmt.Errorf("bot: remember handoff: %w", err)
	}
	return nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
