package outcomes

import (
	"time"
)

// Dimensions a report can be broken down by (Params.By).
const (
	ByNone    = ""
	ByTrigger = "trigger"
	ByChannel = "channel"
	BySegment = "segment"
)

// Intervals a report's trend series can use (Params.Interval).
const (
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// Verdicts of a proactive effect, in plain language.
const (
	VerdictHelps        = "helps"
	VerdictNoEvidence   = "no evidence"
	VerdictHurts        = "hurts"
	VerdictInconclusive = "inconclusive" // too few customers to say anything
	VerdictNoData       = "no data"      // nobody exposed in the period
)

// VerdictText is a verdict in plain language: lang "zh" (Simplified
// Chinese) or anything else (English).
func VerdictText(verdict, lang string) string {
	if lang != "zh" {
		return verdict
	}
	switch verdict {
	case VerdictHelps:
		return "有效"
	case VerdictNoEvidence:
		return "无证据"
	case VerdictHurts:
		return "有害"
	case VerdictInconclusive:
		return "样本不足"
	case VerdictNoData:
		return "无数据"
	}
	return verdict
}

// Report is every outcome figure for one period: the figures overall, per
// group (Params.By), per trend bucket (Params.Interval), the proactive
// effect of every trigger, and the ledger's totals. It is what
// GET /api/v1/outcomes answers (docs/metrics.md).
type Report struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	By       string    `json:"by,omitempty"`
	Interval string    `json:"interval"`
	// Generated is when the report was computed.
	Generated time.Time `json:"generated"`
	Overall   Figures   `json:"overall"`
	// Groups are the figures per trigger, channel or segment, by key
	// order ("(none)" for records the dimension does not apply to).
	Groups []Group `json:"groups,omitempty"`
	// Series are the figures per day, week or month (UTC), oldest first;
	// every bucket of the period is present, empty ones with null values.
	Series []Bucket `json:"series"`
	// Ledger sums the outcome ledger of the period.
	Ledger LedgerTotals `json:"ledger"`
	// Notes say what could not be computed and why (a source not wired,
	// a figure without records).
	Notes []string `json:"notes,omitempty"`
}

// Group is the figures of one value of the report's dimension.
type Group struct {
	Key     string  `json:"key"`
	Figures Figures `json:"figures"`
}

// Bucket is the figures of one day, week or month: [From, To).
type Bucket struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Figures Figures   `json:"figures"`
}

// Figures are the four families of figures.
type Figures struct {
	Prediction Prediction `json:"prediction"`
	Proactive  []Effect   `json:"proactive"` // one per trigger, by trigger id
	Experience Experience `json:"experience"`
	Operations Operations `json:"operations"`
}

// Rate is k out of n with a 95% Wilson interval. Value, Low and High are
// null when n is 0 ("no data").
type Rate struct {
	Value *float64 `json:"value"`
	Low   *float64 `json:"low"`
	High  *float64 `json:"high"`
	K     int      `json:"k"`
	N     int      `json:"n"`
}

// Mean is a mean with a 95% normal interval (t-free: n ≥ 2; a single value
// has no interval). Null when N is 0.
type Mean struct {
	Value *float64 `json:"value"`
	Low   *float64 `json:"low"`
	High  *float64 `json:"high"`
	N     int      `json:"n"`
}

// Dist is a distribution of durations in seconds: median, 90th
// percentile and mean. Null when N is 0.
type Dist struct {
	MedianS *float64 `json:"median_s"`
	P90S    *float64 `json:"p90_s"`
	MeanS   *float64 `json:"mean_s"`
	N       int      `json:"n"`
}

// Prediction is how good the predictions were.
type Prediction struct {
	Churn ChurnQuality `json:"churn"`
	// NBA is the adoption rate (accepted / offered) per action, by action.
	NBA []Adoption `json:"nba"`
}

// ChurnQuality is the churn model scored against observed churn: features
// as of Cutoff, churn observed in [Cutoff, Cutoff+Horizon).
type ChurnQuality struct {
	Cutoff  time.Time `json:"cutoff"`
	Horizon string    `json:"horizon"`
	// Customers scored (active in the lookback before the cut-off) and of
	// them observed to churn.
	Customers int `json:"customers"`
	Churned   int `json:"churned"`
	// AUC with a 95% interval (Hanley–McNeil); null without both classes.
	AUC     *float64 `json:"auc"`
	AUCLow  *float64 `json:"auc_low"`
	AUCHigh *float64 `json:"auc_high"`
	K       int      `json:"k"`
	// PrecisionAtK among the K riskiest, with its Wilson interval.
	PrecisionAtK Rate     `json:"precision_at_k"`
	BaseRate     *float64 `json:"base_rate"`
	Model        string   `json:"model"` // "default" or "trained"
	Inconclusive bool     `json:"inconclusive,omitempty"`
}

// Adoption is one action's NBA adoption: accepted / offered.
type Adoption struct {
	Action   string `json:"action"`
	Offered  int    `json:"offered"`
	Accepted int    `json:"accepted"`
	Declined int    `json:"declined"`
	Ignored  int    `json:"ignored"`
	Rate     Rate   `json:"rate"` // accepted / offered
}

// Effect is a trigger's proactive effect against its holdout.
type Effect struct {
	Trigger string `json:"trigger"`
	// Treatment and Holdout are the exposed customers of each group.
	Treatment GroupCounts `json:"treatment"`
	Holdout   GroupCounts `json:"holdout"`
	// Conversion and Retention are the uplifts (treatment − holdout) with
	// Newcombe's 95% interval.
	Conversion Uplift `json:"conversion"`
	Retention  Uplift `json:"retention"`
	// Prevention compares how often the exposed customers raised the
	// trigger's issue afterwards (docs/metrics.md).
	Prevention Prevention `json:"prevention"`
	// Outcome is the conversion definition used.
	OutcomeEvents []string `json:"outcome_events"`
	Attribution   string   `json:"attribution_window"`
}

// GroupCounts are one group's exposed customers and outcomes.
type GroupCounts struct {
	Customers  int  `json:"customers"`
	Conversion Rate `json:"conversion"`
	Retention  Rate `json:"retention"`
	IssueRate  Rate `json:"issue_rate"` // raised the trigger's issue afterwards
}

// Uplift is a difference of two rates with its 95% interval and verdict.
// Diff, Low and High are null when a group is empty.
type Uplift struct {
	Diff     *float64 `json:"diff"`
	Low      *float64 `json:"low"`
	High     *float64 `json:"high"`
	Relative *float64 `json:"relative"` // diff / holdout rate, when that is > 0
	Verdict  string   `json:"verdict"`
	// Reason explains the verdict in a sentence (English; the CLI and
	// dashboard translate the verdict itself).
	Reason string `json:"reason"`
	Method string `json:"method"`
}

// Prevention is the problem-prevention figure of a trigger: the share of
// contacted customers who did not raise the issue afterwards, against the
// holdout's contact rate for the same issue.
type Prevention struct {
	Issue []string `json:"issue_intents"` // empty: no issue known for the trigger
	// Prevented is the treatment's share not raising the issue.
	Prevented Rate `json:"prevented"`
	// Ratio is the relative fall of the issue's contact rate, 1 −
	// treatment rate / holdout rate (null when the holdout rate is 0).
	Ratio *float64 `json:"ratio"`
	// Reduction is holdout rate − treatment rate with its interval and
	// verdict ("helps": fewer contacts).
	Reduction Uplift `json:"reduction"`
}

// Experience is what the customers went through.
type Experience struct {
	CES  Mean `json:"ces"`  // 1–7 "how easy was it"; lower is easier
	CSAT Mean `json:"csat"` // 1–5
	// Effort proxies per conversation.
	Turns     Mean `json:"turns"`
	Repeats   Mean `json:"repeats"`   // customer repeats per conversation
	Transfers Mean `json:"transfers"` // per handed-over conversation
	// TimeToResolution from a conversation's first turn to its last turn
	// (bot-resolved) or the handoff's resolution.
	TimeToResolution Dist `json:"time_to_resolution"`
	// Recovery is the negative-emotion intervention success rate:
	// conversations whose mood turned negative and that had an
	// intervention, recovered / intervened.
	Recovery       Rate `json:"recovery"`
	RecoveryBot    Rate `json:"recovery_bot"`
	RecoveryAgent  Rate `json:"recovery_agent"`
	NegativeTurned int  `json:"negative_conversations"`
}

// Operations are the service's running figures.
type Operations struct {
	Conversations int `json:"conversations"`
	// BotResolution: no human needed and no return within 72 h, of the
	// conversations whose 72 h have passed.
	BotResolution Rate `json:"bot_resolution"`
	HandoffRate   Rate `json:"handoff_rate"`
	QueueWait     Dist `json:"queue_wait"`
	// FirstResponse: time from a customer's first message to the first
	// answer (bot turns that record it; agents from the claim).
	FirstResponse Dist `json:"first_response"`
	// LLM tokens and cost per resolved conversation, over the resolved
	// conversations whose turns recorded them (null when none did: the
	// offline reasoner records no tokens, and cost needs a configured
	// price).
	TokensPerResolved *float64 `json:"tokens_per_resolved"`
	CostPerResolved   *float64 `json:"cost_per_resolved"`
	TokensRecorded    int      `json:"tokens_recorded_conversations"`
	CostRecorded      int      `json:"cost_recorded_conversations"`
}

// Ledger entry kinds.
const (
	EntryResolution = "resolution" // a conversation the bot resolved
	EntryProactive  = "proactive"  // a proactive action (treatment firing)
)

// Entry is one line of the outcome ledger: a resolution or a proactive
// action and the outcome attributed to it.
type Entry struct {
	Kind            string    `json:"kind"`
	ID              string    `json:"id"` // conversation id or firing id
	At              time.Time `json:"at"`
	Customer        string    `json:"customer"`
	Trigger         string    `json:"trigger,omitempty"`
	Channel         string    `json:"channel,omitempty"`
	Segment         string    `json:"segment,omitempty"`
	Converted       bool      `json:"converted"`
	ConversionValue float64   `json:"conversion_value"`
	// Retained: active 7–30 days after a proactive action (null while not
	// yet observable).
	Retained *bool `json:"retained"`
	// AgentMinutesSaved: Params.AgentMinutes for a bot resolution.
	AgentMinutesSaved float64 `json:"agent_minutes_saved"`
	// Incremental is the part of the conversion value attributable to the
	// trigger beyond its holdout (value × max(0, uplift)/treatment rate).
	IncrementalValue float64 `json:"incremental_value"`
}

// LedgerTotals sum the ledger.
type LedgerTotals struct {
	Resolutions       int     `json:"resolutions"`
	ProactiveActions  int     `json:"proactive_actions"`
	Conversions       int     `json:"conversions"`
	ConversionValue   float64 `json:"conversion_value"`
	IncrementalValue  float64 `json:"incremental_value"`
	Retained          int     `json:"retained"`
	AgentMinutesSaved float64 `json:"agent_minutes_saved"`
}
