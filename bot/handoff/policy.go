package handoff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kairoscx/kairos/bot/insight"
)

// Reasons a conversation is handed over (Record.Reason).
const (
	ReasonHumanRequest   = "human_request"
	ReasonEscalationRisk = "escalation_risk"
	ReasonLowConfidence  = "low_confidence"
	ReasonSensitive      = "sensitive" // written as "sensitive:<topic>"
	ReasonTier           = "tier"
	ReasonTrigger        = "trigger"
)

// Sensitive topics.
const (
	TopicLegal     = "legal"
	TopicRegulator = "regulator"
	TopicSafety    = "safety"
	TopicFraud     = "fraud"
)

// Policy decides when the bot hands a conversation to a human. The zero
// value is not useful; start from DefaultPolicy. Every field is a setting
// (handoff.policy.* in the gateway's configuration).
type Policy struct {
	// Disabled turns automatic escalation off; explicit requests still
	// hand over unless IgnoreRequests is also set.
	Disabled       bool
	IgnoreRequests bool
	// RiskThreshold is the escalation risk (insight trajectory, 0..1) at or
	// above which the bot hands over (default 0.75: above the 0.6 at which
	// the bot itself intervenes with an apology and a change of tone).
	RiskThreshold float64
	// Unresolved is how many bot answers in a row without grounding (low
	// confidence) hand over when the customer writes again (default 2).
	Unresolved int
	// Sensitive lists the topics that hand over at once (default all four:
	// legal, regulator, safety, fraud). Extra phrases per topic may be
	// added in SensitivePhrases.
	Sensitive        []string
	SensitivePhrases map[string][]string
	// VIPTiers are the profile tiers treated as VIP (default "vip",
	// "gold", "platinum", "svip"); VIPRiskThreshold and VIPUnresolved
	// replace the thresholds for them (defaults 0.5 and 1), so VIPs reach a
	// human earlier.
	VIPTiers         []string
	VIPRiskThreshold float64
	VIPUnresolved    int
	// VIPAlways hands every VIP over on their first substantive message.
	VIPAlways bool
	// RequestPhrases are extra phrases that ask for a human, besides the
	// insight's human_request intent ("转人工", "人工客服", "talk to a human").
	RequestPhrases []string
}

// DefaultPolicy is the documented default (docs/handoff.md).
func DefaultPolicy() Policy {
	return Policy{
		RiskThreshold:    0.75,
		Unresolved:       2,
		Sensitive:        []string{TopicLegal, TopicRegulator, TopicSafety, TopicFraud},
		VIPTiers:         []string{"vip", "svip", "gold", "platinum"},
		VIPRiskThreshold: 0.5,
		VIPUnresolved:    1,
	}
}

// Validate checks the policy's ranges.
func (p Policy) Validate() error {
	switch {
	case p.RiskThreshold < 0 || p.RiskThreshold > 1 || p.VIPRiskThreshold < 0 || p.VIPRiskThreshold > 1:
		return fmt.Errorf("handoff: policy: risk thresholds must be within 0..1")
	case p.Unresolved < 0 || p.VIPUnresolved < 0:
		return fmt.Errorf("handoff: policy: unresolved counts must not be negative")
	}
	for _, t := range p.Sensitive {
		if _, ok := sensitiveWords[t]; !ok && len(p.SensitivePhrases[t]) == 0 {
			return fmt.Errorf("handoff: policy: unknown sensitive topic %q", t)
		}
	}
	return nil
}

// Signals are what the policy decides on: the customer's message, the
// turn's insight (its trajectory may be empty before the turn is analysed)
// and the customer's tier.
type Signals struct {
	Text    string
	Insight insight.Insight
	// Unresolved is how many bot answers in a row were not grounded,
	// before this message.
	Unresolved int
	Tier       string
	// HasTrajectory says Insight.Trajectory was computed for this turn.
	HasTrajectory bool
}

// Decision is the policy's answer.
type Decision struct {
	Escalate bool
	Reason   string   // the main reason
	Reasons  []string // every rule that fired, main first
	VIP      bool
	Angry    bool
	Topic    string // the sensitive topic, when one fired
}

// IsVIP reports whether tier counts as VIP.
func (p Policy) IsVIP(tier string) bool {
	return tier != "" && slices.Contains(p.VIPTiers, strings.ToLower(tier))
}

// Decide applies the policy to one customer turn.
func (p Policy) Decide(s Signals) Decision {
	d := Decision{VIP: p.IsVIP(s.Tier)}
	d.Angry = s.Insight.Mood == insight.MoodAngry || (s.HasTrajectory && s.Insight.Trajectory.EscalationRisk >= 0.85)
	add := func(r string) {
		if !slices.Contains(d.Reasons, r) {
			d.Reasons = append(d.Reasons, r)
		}
	}
	if !p.IgnoreRequests && p.AsksForHuman(s.Text, s.Insight.Intent) {
		add(ReasonHumanRequest)
	}
	if !p.Disabled {
		if topic := p.SensitiveTopic(s.Text); topic != "" {
			d.Topic = topic
			add(ReasonSensitive + ":" + topic)
		}
		risk, unresolved := p.RiskThreshold, p.Unresolved
		if d.VIP {
			risk, unresolved = p.VIPRiskThreshold, p.VIPUnresolved
		}
		if s.HasTrajectory && risk > 0 && s.Insight.Trajectory.EscalationRisk >= risk {
			add(ReasonEscalationRisk)
		}
		if unresolved > 0 && s.Unresolved >= unresolved && !insight.SmallTalk(s.Insight.Intent) {
			add(ReasonLowConfidence)
		}
		if d.VIP && p.VIPAlways && !insight.SmallTalk(s.Insight.Intent) {
			add(ReasonTier)
		}
	}
	if len(d.Reasons) > 0 {
		d.Escalate, d.Reason = true, d.Reasons[0]
		if d.VIP && !slices.Contains(d.Reasons, ReasonTier) {
			d.Reasons = append(d.Reasons, ReasonTier)
		}
	}
	return d
}

// AsksForHuman reports whether the message asks for a person.
func (p Policy) AsksForHuman(text, intent string) bool {
	if intent == insight.IntentHumanRequest {
		return true
	}
	t := strings.ToLower(text)
	for _, w := range humanWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	for _, w := range p.RequestPhrases {
		if w != "" && strings.Contains(t, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// SensitiveTopic returns the first enabled sensitive topic the message
// touches, or "".
func (p Policy) SensitiveTopic(text string) string {
	t := strings.ToLower(text)
	for _, topic := range p.Sensitive {
		words := append(append([]string(nil), sensitiveWords[topic]...), p.SensitivePhrases[topic]...)
		for _, w := range words {
			if w != "" && strings.Contains(t, strings.ToLower(w)) {
				return topic
			}
		}
	}
	return ""
}

// humanWords back up the insight lexicon for requests it may read as
// another intent when mixed with a topic ("退款的事我要找人工").
var humanWords = []string{
	"转人工", "人工客服", "人工服务", "找人工", "真人客服", "接人工",
	"talk to a human", "speak to a human", "real person", "human agent", "live agent",
	"speak to someone", "talk to someone", "speak to a person", "talk to a person", "customer service rep",
}

// sensitiveWords are the built-in phrases per topic (lower case).
var sensitiveWords = map[string][]string{
	TopicLegal: {"律师", "起诉", "诉讼", "法院", "打官司", "法律责任", "律师函",
		"lawyer", "attorney", "lawsuit", "sue you", "sue your", "legal action", "take you to court", "see you in court", "small claims"},
	TopicRegulator: {"12315", "消协", "消费者协会", "工商", "市场监管", "投诉到", "曝光", "12345", "银保监",
		"regulator", "consumer protection", "ftc", "better business bureau", "bbb", "ombudsman", "trading standards"},
	TopicSafety: {"受伤", "烫伤", "烧伤", "着火", "起火", "冒烟", "爆炸", "触电", "过敏", "中毒", "送医", "住院", "窒息",
		"injur", "burned", "caught fire", "on fire", "smoke came", "smoking", "explod", "electric shock", "allergic", "allergy", "poison", "hospital", "choking"},
	TopicFraud: {"诈骗", "被骗", "盗刷", "盗号", "冒用", "欺诈", "未授权",
		"fraud", "scam", "stolen card", "unauthori", "hacked", "identity theft", "phishing"},
}
