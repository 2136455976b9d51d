package llm

import (
	"fmt"
	"strings"
	"time"

	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/longterm"
	"github.com/kairoscx/kairos/prompts"
)

// maxMemoryLines bounds the memories shown to the model.
const maxMemoryLines = 8

// memoryLines turns recalled memories into the system prompt's data lines:
// their text defanged and on one line, with when they were said. Keyed
// memories are said in the reply language from their normalised value.
func memoryLines(req reason.Request, lang string) []prompts.MemoryLine {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	var out []prompts.MemoryLine
	for _, m := range req.Memories {
		if len(out) == maxMemoryLines {
			break
		}
		text := m.Text
		if m.Key != "" && m.Kind != memory.MemoryEpisode {
			text = longterm.Phrase(memory.Memory{Key: m.Key, Value: m.Value, Text: m.Text}, lang, false)
		}
		text = strings.Join(strings.Fields(defang(text)), " ")
		if text == "" {
			continue
		}
		line := prompts.MemoryLine{Kind: m.Kind, Text: text}
		if !m.SaidAt.IsZero() {
			line.Ago = longterm.Ago(m.SaidAt, now, lang)
		}
		if est, ok := longterm.AgeNow(memory.Memory{Key: m.Key, Value: m.Value, ValidFrom: m.SaidAt}, now); ok {
			if lang == "zh" {
				line.Ago += "，按时间推算现在约 " + est
			} else {
				line.Ago += "; about " + est + " now"
			}
		}
		out = append(out, line)
	}
	return out
}

// profileLines are the profile facts worth a reply's tailoring.
func profileLines(p *reason.ProfileSummary, lang string) []string {
	if p == nil {
		return nil
	}
	zh := lang == "zh"
	label := func(zhL, enL string) string {
		if zh {
			return zhL
		}
		return enL
	}
	var out []string
	add := func(zhL, enL string, v any) { out = append(out, fmt.Sprintf("%s: %v", label(zhL, enL), v)) }
	if p.Tier != "" {
		add("会员等级", "tier", p.Tier)
	}
	if p.Stage != "" {
		add("客户阶段", "lifecycle stage", p.Stage)
	}
	if p.Orders > 0 {
		add("订单数", "orders", p.Orders)
		add("累计消费", "lifetime value", fmt.Sprintf("%.2f", p.LifetimeValue))
	}
	if !p.LastOrderAt.IsZero() {
		add("最近下单", "last order", p.LastOrderAt.Format("2006-01-02"))
	}
	if p.Refunds > 0 {
		add("退款次数", "refunds", p.Refunds)
	}
	if p.Conversations > 0 {
		add("咨询次数", "conversations", p.Conversations)
	}
	if len(p.TopQuestions) > 0 {
		add("常问问题类型", "frequent question types", strings.Join(p.TopQuestions, ", "))
	}
	if len(p.RecentMood) > 0 {
		add("最近情绪", "recent mood", strings.Join(p.RecentMood, ", "))
	}
	if p.CSAT > 0 {
		add("满意度均分", "mean CSAT", fmt.Sprintf("%.1f", p.CSAT))
	}
	return out
}

func extractData(lang string, known []string) prompts.ExtractData {
	return prompts.ExtractData{Lang: lang, Known: known}
}
