// Package config holds Kairos's settings and loads them from, in rising
// precedence: built-in defaults, a YAML file (strict: unknown keys are
// errors), KAIROS_* environment variables, and command-line flags.
//
// Every setting has a YAML path such as llm.base_url; its environment
// variable is KAIROS_ followed by the path in upper case with dots as
// underscores (KAIROS_LLM_BASE_URL).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kairoscx/kairos/channels/douyin"
	"github.com/kairoscx/kairos/channels/wechat"
	"github.com/kairoscx/kairos/channels/wecom"
)

// Config is every setting of a Kairos node. The `doc` tags are the reference
// printed by `kairos config` and copied into the README.
type Config struct {
	Addr        string `yaml:"addr" doc:"HTTP listen address."`
	Data        string `yaml:"data" doc:"Data directory: the embedded store, embedded NATS (JetStream) files and the generated secret."`
	PostgresURL string `yaml:"postgres_url" doc:"PostgreSQL URL (pgvector required). Empty: the embedded store in the data directory."`
	NATSURL     string `yaml:"nats_url" doc:"NATS server URL(s), comma-separated; NATS 2.12 or newer with JetStream (2.9 runs with triggers.disabled). Empty: an in-process NATS server with JetStream in the data directory."`
	NATSListen  string `yaml:"nats_listen" doc:"With the in-process NATS server, also listen for NATS clients on this address (e.g. 127.0.0.1:4222). Empty: in-process only."`
	APIKey      string `yaml:"api_key" doc:"Bearer key for /api/v1. Empty: the admin API answers only direct loopback connections."`
	Secret      string `yaml:"secret" doc:"Key that signs visitor tokens (at least 32 characters). Empty: generated once into <data>/secret. Set the same value on every node."`
	SiteSecret  string `yaml:"site_secret" doc:"Key the host site's server signs kairos.identify calls with (HMAC-SHA256 of user_id + \".\" + ts, hex). Empty: identify is refused."`

	AllowedOrigins  []string `yaml:"allowed_origins" doc:"Extra page origins allowed to open /ws (e.g. https://shop.example.com); * allows any. Same-host origins are always allowed. Env: comma-separated."`
	PromptsDir      string   `yaml:"prompts_dir" doc:"Folder of *.tmpl files that override the built-in prompt templates of the same name."`
	SampleKnowledge bool     `yaml:"sample_knowledge" doc:"Load the bilingual demo-shop knowledge base when the store has no documents."`

	TurnTimeout      Duration `yaml:"turn_timeout" doc:"Longest a turn may take before the customer gets a reply, LLM time included."`
	ShutdownTimeout  Duration `yaml:"shutdown_timeout" doc:"How long a graceful shutdown waits for turns in flight."`
	ConversationIdle Duration `yaml:"conversation_idle" doc:"A conversation idle longer than this is closed; the customer's next message starts a new one."`

	LogLevel  string `yaml:"log_level" doc:"debug, info, warn or error."`
	LogFormat string `yaml:"log_format" doc:"text or json."`

	LLM        LLM        `yaml:"llm"`
	Embeddings Embeddings `yaml:"embeddings"`
	Memory     Memory     `yaml:"memory"`
	Offers     Offers     `yaml:"offers"`
	Orders     Orders     `yaml:"orders"`
	Triggers   Triggers   `yaml:"triggers"`
	Channels   Channels   `yaml:"channels"`
	Handoff    Handoff    `yaml:"handoff"`
}

// Handoff configures when the bot hands a conversation to a human and how
// handoffs are routed (docs/handoff.md; the NATS contract agents use is
// docs/nats.md).
type Handoff struct {
	Disabled      bool     `yaml:"disabled" doc:"No human handoff: the bot answers everything and says no agent is available."`
	RiskThreshold float64  `yaml:"risk_threshold" doc:"Escalation risk (0..1, mood trajectory) at which the bot hands over by itself."`
	Unresolved    int      `yaml:"unresolved" doc:"Bot answers in a row without grounding after which the customer's next message goes to a human."`
	VIPTiers      []string `yaml:"vip_tiers" doc:"Profile tiers treated as VIP: handed over earlier and queued first. Env: comma-separated."`
	Queues        []string `yaml:"queues" doc:"Skill queues; intents map to refunds, billing, technical, the rest to general. Env: comma-separated."`
	SLA           Duration `yaml:"sla" doc:"How long a handoff may wait unclaimed before its priority is raised and the customer's wait estimate updated."`
	MaxChats      int      `yaml:"max_chats" doc:"An agent's concurrent chats when their console does not say."`
	Hours         string   `yaml:"hours" doc:"When agents work: always, or e.g. \"mon-fri 09:00-18:00\"; outside them the bot takes details for a callback."`
	TimeZone      string   `yaml:"time_zone" doc:"Time zone of handoff.hours (IANA name)."`
	Holidays      []string `yaml:"holidays" doc:"Dates (YYYY-MM-DD) with nobody at work. Env: comma-separated."`
	Replicas      int      `yaml:"replicas" doc:"Replicas of the handoff streams and buckets (3 on a NATS cluster)."`
}

// Channels configures the messaging platforms' accounts; each account's
// callback URL is /channels/{wechat|wecom|douyin}/{name}.
type Channels struct {
	WechatReplyBudget Duration `yaml:"wechat_reply_budget" doc:"How long a WeChat callback waits for the answer before replying success and sending it through the customer-service API instead (WeChat allows 5 s; at most 4.5s)."`

	Wechat wechat.Config `yaml:"wechat"`
	Wecom  wecom.Config  `yaml:"wecom"`
	Douyin douyin.Config `yaml:"douyin"`
}

// Triggers configures the proactive engine: the trigger matrix and its
// guardrails.
type Triggers struct {
	Dir           string `yaml:"dir" doc:"Folder of trigger *.yaml files, hot-reloaded. Empty: the built-in sample matrix (the demo shop's scenarios)."`
	Disabled      bool   `yaml:"disabled" doc:"Run no proactive engine on this node."`
	PerDay        int    `yaml:"per_day" doc:"Most proactive contacts per customer in any 24 hours (all triggers together)."`
	PerWeek       int    `yaml:"per_week" doc:"Most proactive contacts per customer in any 7 days."`
	QuietStart    int    `yaml:"quiet_start" doc:"Local hour (0-23) from which no proactive contact is made."`
	QuietEnd      int    `yaml:"quiet_end" doc:"Local hour (0-23) at which proactive contact may resume; equal to quiet_start: no quiet hours."`
	TimeZone      string `yaml:"time_zone" doc:"Time zone of customers whose own zone is unknown (IANA name)."`
	DefaultLang   string `yaml:"default_lang" doc:"Language of proactive messages when the customer's is unknown (zh or en)."`
	Partitions    int    `yaml:"partitions" doc:"Customer partitions of the events stream; the same on every node."`
	WebhookSecret string `yaml:"webhook_secret" doc:"Key that signs webhook actions whose trigger names no secret_env."`
	NoHoldout     bool   `yaml:"no_holdout" doc:"Act on every customer, keeping no holdout group (no uplift can then be measured). The built-in sample matrix always runs without holdout, so every demo visitor sees it act."`
}

// Offers configures the next best action the bot may offer after an
// answer (coupon, tutorial, replenishment reminder, instalment plan,
// exchange, human agent), learnt from what customers accept.
type Offers struct {
	Disabled             bool    `yaml:"disabled" doc:"Offer nothing after answers (the churn model still scores customers)."`
	AllowCouponWhenAngry bool    `yaml:"allow_coupon_when_angry" doc:"Allow coupon offers to an angry or frustrated customer mid-complaint (off: never)."`
	NoCoupons            bool    `yaml:"no_coupons" doc:"Never offer coupons (no coupon budget)."`
	NoInstalments        bool    `yaml:"no_instalments" doc:"Never offer instalment plans (no such product)."`
	MaxExploreShare      float64 `yaml:"max_explore_share" doc:"Largest share of offers chosen to explore rather than exploit (0..1)."`
}

// Memory configures long-term memory: what the bot remembers about each
// customer across conversations and channels.
type Memory struct {
	Disabled   bool     `yaml:"disabled" doc:"Turn off long-term memory (recall, extraction) and per-turn profile updates."`
	EveryTurns int      `yaml:"every_turns" doc:"Extract memories after this many customer messages of a conversation."`
	IdleAfter  Duration `yaml:"idle_after" doc:"A conversation resting this long has its new messages extracted and its episode summary written."`
	Recall     int      `yaml:"recall" doc:"How many memories a turn recalls."`
}

// LLM configures the OpenAI-compatible chat API. With an empty BaseURL the
// offline reasoner answers.
type LLM struct {
	BaseURL     string   `yaml:"base_url" doc:"OpenAI-compatible API base, e.g. https://api.openai.com/v1. Empty: the offline reasoner."`
	APIKey      string   `yaml:"api_key" doc:"API key sent as a bearer token."`
	Model       string   `yaml:"model" doc:"Chat model name."`
	Timeout     Duration `yaml:"timeout" doc:"Longest wait for the model within a turn; past it the offline answer is sent."`
	MaxTokens   int      `yaml:"max_tokens" doc:"Upper bound of tokens in one reply."`
	Temperature float64  `yaml:"temperature" doc:"Sampling temperature."`

	InsightTimeout Duration `yaml:"insight_timeout" doc:"Longest wait for the model's reading of a turn (intent, need, mood), retry included; past it the offline reading is used."`
	SlowThinking   bool     `yaml:"slow_thinking" doc:"Draft, self-check and revise high-stakes replies (complaints, refunds, cancellations, escalating moods) and every proactive message."`
	SlowMaxTokens  int      `yaml:"slow_max_tokens" doc:"Token budget of one slow-thinking deliberation, all its calls together."`
	SlowTimeout    Duration `yaml:"slow_timeout" doc:"Time budget of one slow-thinking deliberation."`

	PriceInput  float64 `yaml:"price_input" doc:"Price of 1,000,000 prompt tokens, in your currency, for the outcome reports' cost per resolved conversation. 0 with price_output 0: tokens are recorded, cost is not."`
	PriceOutput float64 `yaml:"price_output" doc:"Price of 1,000,000 completion tokens, in the same currency as price_input."`
}

// Orders configures the business system's order-lookup webhook, offered to
// the LLM as a tool.
type Orders struct {
	WebhookURL     string   `yaml:"webhook_url" doc:"Order-lookup endpoint (HTTP POST, JSON, HMAC-SHA256 signed). Empty: the LLM has no order tool."`
	WebhookSecret  string   `yaml:"webhook_secret" doc:"Key the order-lookup requests are signed with (at least 16 characters)."`
	WebhookTimeout Duration `yaml:"webhook_timeout" doc:"Longest wait for one order lookup."`
}

// Embeddings configures the embeddings endpoint. With an empty BaseURL and
// Model the built-in offline embedder is used.
type Embeddings struct {
	BaseURL string `yaml:"base_url" doc:"OpenAI-compatible embeddings API base. Empty with a model set: llm.base_url."`
	APIKey  string `yaml:"api_key" doc:"API key. Empty: llm.api_key."`
	Model   string `yaml:"model" doc:"Embedding model. Empty (and no base_url): the offline embedder."`
	Dim     int    `yaml:"dim" doc:"Embedding dimension; fixed for the life of a store (256 for the offline embedder)."`
}

// Default returns the settings used when nothing else is said.
func Default() Config {
	return Config{
		Addr:             ":8080",
		Data:             "./data",
		SampleKnowledge:  true,
		TurnTimeout:      Duration(30 * time.Second),
		ShutdownTimeout:  Duration(20 * time.Second),
		ConversationIdle: Duration(24 * time.Hour),
		LogLevel:         "info",
		LogFormat:        "text",
		LLM: LLM{
			Timeout:        Duration(20 * time.Second),
			MaxTokens:      800,
			Temperature:    0.2,
			InsightTimeout: Duration(4 * time.Second),
			SlowThinking:   true,
			SlowMaxTokens:  6000,
			SlowTimeout:    Duration(15 * time.Second),
		},
		Orders: Orders{WebhookTimeout: Duration(3 * time.Second)},
		Handoff: Handoff{RiskThreshold: 0.75, Unresolved: 2, VIPTiers: []string{"vip", "svip", "gold", "platinum"},
			Queues: []string{"refunds", "billing", "technical", "general"}, SLA: Duration(time.Minute), MaxChats: 5,
			Hours: "always", TimeZone: "Asia/Shanghai", Replicas: 1},
		Channels:   Channels{WechatReplyBudget: Duration(4 * time.Second)},
		Triggers:   Triggers{PerDay: 2, PerWeek: 5, QuietStart: 21, QuietEnd: 9, TimeZone: "Asia/Shanghai", DefaultLang: "zh", Partitions: 16},
		Embeddings: Embeddings{Dim: 256},
		Memory:     Memory{EveryTurns: 4, IdleAfter: Duration(10 * time.Minute), Recall: 5},
		Offers:     Offers{MaxExploreShare: 0.15},
	}
}

// Load returns the defaults overlaid with the YAML file at path (when path is
// not empty) and then with the environment given as KEY=VALUE pairs. Unknown
// keys in the file and malformed values anywhere are errors naming the key.
// Unknown KAIROS_* variables are returned as warnings, since a typo in a
// variable name would otherwise be silently ignored.
func Load(path string, environ []string) (Config, []string, error) {
	c := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return c, nil, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decodeYAML(f, &c); err != nil {
			return c, nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	warnings, err := applyEnv(&c, environ)
	if err != nil {
		return c, warnings, fmt.Errorf("config: %w", err)
	}
	return c, warnings, nil
}

func decodeYAML(r io.Reader, c *Config) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks the settings that must hold before anything starts.
func (c Config) Validate() error {
	var problems []string
	if c.Addr == "" {
		problems = append(problems, "addr is empty")
	}
	if c.Data == "" {
		problems = append(problems, "data is empty")
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		problems = append(problems, "secret must be at least 32 characters")
	}
	if c.SiteSecret != "" && len(c.SiteSecret) < 16 {
		problems = append(problems, "site_secret must be at least 16 characters")
	}
	if !(c.LLM.PriceInput >= 0 && c.LLM.PriceOutput >= 0) || math.IsInf(c.LLM.PriceInput, 0) || math.IsInf(c.LLM.PriceOutput, 0) {
		problems = append(problems, "llm.price_input and llm.price_output must be finite and not negative")
	}
	if c.LLM.BaseURL != "" && c.LLM.Model == "" {
		problems = append(problems, "llm.model is required with llm.base_url")
	}
	if c.Embeddings.Dim <= 0 || c.Embeddings.Dim > 16000 {
		problems = append(problems, "embeddings.dim must be between 1 and 16000")
	}
	if !c.Memory.Disabled && (c.Memory.EveryTurns <= 0 || c.Memory.IdleAfter <= 0 || c.Memory.Recall <= 0 || c.Memory.Recall > 50) {
		problems = append(problems, "memory.every_turns and memory.idle_after must be positive, memory.recall between 1 and 50")
	}
	if c.Orders.WebhookURL != "" && len(c.Orders.WebhookSecret) < 16 {
		problems = append(problems, "orders.webhook_secret of at least 16 characters is required with orders.webhook_url")
	}
	if c.LLM.BaseURL != "" && c.LLM.SlowThinking && (c.LLM.SlowTimeout <= 0 || c.LLM.SlowTimeout > c.LLM.Timeout || c.LLM.SlowMaxTokens <= 0) {
		problems = append(problems, "llm.slow_timeout must be positive and at most llm.timeout, llm.slow_max_tokens positive")
	}
	if c.Triggers.QuietStart < 0 || c.Triggers.QuietStart > 23 || c.Triggers.QuietEnd < 0 || c.Triggers.QuietEnd > 23 {
		problems = append(problems, "triggers.quiet_start and triggers.quiet_end must be hours 0-23")
	}
	if _, err := time.LoadLocation(c.Triggers.TimeZone); err != nil {
		problems = append(problems, fmt.Sprintf("triggers.time_zone %q is not a known time zone", c.Triggers.TimeZone))
	}
	if c.Triggers.DefaultLang != "zh" && c.Triggers.DefaultLang != "en" {
		problems = append(problems, "triggers.default_lang must be zh or en")
	}
	if c.Triggers.Partitions < 1 || c.Triggers.Partitions > 1024 || c.Triggers.PerDay < 0 || c.Triggers.PerWeek < 0 {
		problems = append(problems, "triggers.partitions must be 1-1024, triggers.per_day and per_week not negative")
	}
	problems = append(problems, c.Channels.problems()...)
	if c.Handoff.RiskThreshold <= 0 || c.Handoff.RiskThreshold > 1 || c.Handoff.Unresolved < 1 || c.Handoff.MaxChats < 1 || c.Handoff.SLA <= 0 || c.Handoff.Replicas < 1 {
		problems = append(problems, "handoff.risk_threshold must be in (0,1], handoff.unresolved, max_chats and replicas at least 1, handoff.sla positive")
	}
	if !slices.Contains(c.Handoff.Queues, "general") {
		problems = append(problems, "handoff.queues must include general (where unmapped intents go)")
	}
	if c.Channels.WechatReplyBudget <= 0 || c.Channels.WechatReplyBudget > Duration(4500*time.Millisecond) {
		problems = append(problems, "channels.wechat_reply_budget must be positive and at most 4.5s (WeChat waits 5 s)")
	}
	if c.Offers.MaxExploreShare < 0 || c.Offers.MaxExploreShare > 1 {
		problems = append(problems, "offers.max_explore_share must be between 0 and 1")
	}
	if c.TurnTimeout <= 0 {
		problems = append(problems, "turn_timeout must be positive")
	}
	if c.LLM.BaseURL != "" && (c.LLM.Timeout <= 0 || c.LLM.Timeout >= c.TurnTimeout) {
		problems = append(problems, "llm.timeout must be positive and shorter than turn_timeout (the offline fallback needs the rest)")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log_level %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		problems = append(problems, fmt.Sprintf("log_format %q is not text or json", c.LogFormat))
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// EmbeddingsRemote reports whether an embeddings API is configured, and
// fills the base URL and key it inherits from the LLM settings.
func (c Config) EmbeddingsRemote() (Embeddings, bool) {
	e := c.Embeddings
	if e.BaseURL == "" && e.Model == "" {
		return e, false
	}
	if e.BaseURL == "" {
		e.BaseURL = c.LLM.BaseURL
	}
	if e.APIKey == "" {
		e.APIKey = c.LLM.APIKey
	}
	return e, true
}

// Duration is a time.Duration written as "30s" or "1h30m" in YAML and env.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration: %w", n.Line, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// problems checks every account and that names are unique per channel.
func (c Channels) problems() []string {
	var out []string
	seen := map[string]bool{}
	check := func(channel, name string, err error) {
		if err != nil {
			out = append(out, err.Error())
		}
		if seen[channel+"/"+name] {
			out = append(out, fmt.Sprintf("channels.%s: account name %q is used twice", channel, name))
		}
		seen[channel+"/"+name] = true
	}
	for _, a := range c.Wechat.Accounts {
		check("wechat", a.Name, a.Validate())
	}
	for _, a := range c.Wecom.Accounts {
		check("wecom", a.Name, a.Validate())
	}
	for _, a := range c.Douyin.Accounts {
		check("douyin", a.Name, a.Validate())
	}
	return out
}
