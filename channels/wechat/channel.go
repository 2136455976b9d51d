// Package wechat is the WeChat Official Account (公众号) channel: the
// callback endpoint /channels/wechat/{account} (URL verification; plaintext,
// compatible and safe mode), user messages and events into the engine, and
// answers back as a passive reply when the engine is fast enough, otherwise
// through the customer-service message API with a typing indicator.
//
// Every node of a cluster can take any callback: deduplication, access
// tokens, delivery claims, each user's interaction window and the
// conversation routing live in NATS JetStream key-value buckets
// (channels/wechat/wxapi), so WeChat's retries landing on different nodes
// produce one answer, and one node's token refresh does not invalidate
// another's token.
//
// Messages Kairos sends without a preceding customer message (proactive
// messages, human agents) are published like every outbound message on
// kairos.conv.<id>.out. Each node subscribes to those subjects in one NATS
// queue group, so exactly one node looks at each message; it delivers the
// ones that belong to WeChat conversations when the user's 48-hour window
// is open, and otherwise leaves them for the user's next interaction and
// publishes a channels.DeliveryReport saying so.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
	"github.com/kairoscx/kairos/channels/wxcrypt"
)

// Names this channel uses in the message model.
const (
	// ChannelName is the channel name reported to the engine.
	ChannelName = "wechat"
	// IdentityOpenID is the identity kind of a user's openid (per account).
	IdentityOpenID = "wechat_openid"
	// IdentityUnionID is the identity kind of a user's unionid, the same for
	// all accounts bound to one WeChat Open Platform account.
	IdentityUnionID = "wechat_unionid"
	// DefaultAPIBase is the platform's API host.
	DefaultAPIBase = "https://api.weixin.qq.com"
)

// Defaults for Options fields left zero.
const (
	// DefaultReplyBudget: WeChat waits 5 seconds for a callback's answer,
	// network included; past the budget the answer goes through the
	// customer-service API instead.
	DefaultReplyBudget     = 4 * time.Second
	DefaultReplyTimeout    = 2 * time.Minute
	DefaultTimestampWindow = 5 * time.Minute
	DefaultMaxBody         = 64 << 10
	DefaultQueueGroup      = "kairos-wechat-delivery"
	// DefaultDeliverySubject matches every conversation's outbound subject.
	DefaultDeliverySubject = "kairos.conv.*.out"
	// DefaultRate is each account's customer-service API calls per second
	// per node.
	DefaultRate = 50
)

// Platform rules.
const (
	// MaxTextBytes is the longest text message, in UTF-8 bytes.
	MaxTextBytes = 2048
	// MessageWindow is how long after a user's message Kairos may write.
	MessageWindow = 48 * time.Hour
	// EventWindow is how long after a follow, menu click or QR scan.
	EventWindow = time.Minute
	// typingEvery renews the typing indicator while the engine works; the
	// platform shows it for about 15 seconds.
	typingEvery = 12 * time.Second
)

// Capabilities are the channel's capabilities for the engine and the
// trigger matrix: Kairos cannot write first; free-form messages only within
// 48 hours of the user's last message; text up to 2048 bytes.
func Capabilities() outbound.Capabilities {
	return outbound.Capabilities{CanInitiate: false, ReplyWindow: MessageWindow, MaxText: MaxTextBytes, TextUnit: outbound.Bytes}
}

// ErrOutsideWindow is returned for a proactive message the platform does
// not allow now; it stays pending for the user's next interaction.
var ErrOutsideWindow = errors.New("wechat: outside the 48-hour window after the user's last interaction")

// ErrNotFound is returned for a conversation this channel does not know.
var ErrNotFound = errors.New("wechat: conversation not found")

// AccountConfig is one Official Account (channels.wechat.accounts[]).
type AccountConfig struct {
	// Name is the account's name in the callback URL
	// /channels/wechat/{name}: 1-64 of [a-z0-9_-].
	Name string `yaml:"name"`
	// AppID and AppSecret are the account's developer credentials.
	AppID     string `yaml:"app_id"`
	AppSecret string `yaml:"app_secret"`
	// Token is the callback token set in the platform's server settings.
	Token string `yaml:"token"`
	// EncodingAESKey is the 43-character message encryption key; required
	// for compatible and safe mode, empty for plaintext mode.
	EncodingAESKey string `yaml:"encoding_aes_key"`
	// APIBase is the API host (default https://api.weixin.qq.com);
	// override it for a proxy or a fake.
	APIBase string `yaml:"api_base"`
	// Welcome is the passive reply to a new follower; empty uses a short
	// bilingual greeting, "-" sends none.
	Welcome string `yaml:"welcome"`
}

// Config is the channels.wechat section.
type Config struct {
	Accounts []AccountConfig `yaml:"accounts" doc:"WeChat Official Accounts: [{name, app_id, app_secret, token, encoding_aes_key, api_base, welcome}]; callback /channels/wechat/{name}. See docs/channels-wechat.md."`
}

// DefaultWelcome greets a new follower.
const DefaultWelcome = "欢迎关注！有什么可以帮您？\nWelcome! How can I help you?"

// optOutReply confirms an opt-out.
const optOutReply = "已退订，您将不再收到主动推送。如需帮助，随时给我们留言。\nUnsubscribed: you will no longer receive proactive messages. Write to us any time."

// Engine is what the channel needs from the dialogue engine; bot.Engine
// satisfies it (it is a subset of web.Engine).
type Engine interface {
	Connect(ctx context.Context, channel string, id channels.Identity) (channels.Session, error)
	Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error)
	Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error)
	Ack(ctx context.Context, conversationID string, seq int64) error
	Observe(ctx context.Context, ev channels.Event) error
	Identify(ctx context.Context, conversationID string, id channels.Identity) (channels.Session, error)
}

// Subscriber delivers a conversation's outbound messages; *relay.Relay is
// one.
type Subscriber interface {
	Subscribe(ctx context.Context, conversationID string, rc relay.Receiver) (*relay.Subscription, error)
}

// Options are the channel's collaborators and tunables.
type Options struct {
	// Engine receives messages and events. Required.
	Engine Engine
	// Relay delivers the engine's replies. Required.
	Relay Subscriber
	// NATS is the connection for the shared state (JetStream key-value)
	// and the delivery queue group. Required.
	NATS *nats.Conn
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock for windows and timestamps (default time.Now).
	Now func() time.Time
	// HTTP is the client for platform API calls (default: one with a
	// 10-second timeout).
	HTTP *http.Client
	// ReplyBudget is how long a callback waits for the engine's answer
	// before answering "success" and sending it through the
	// customer-service API (default 4s, at most 4.5s).
	ReplyBudget time.Duration
	// ReplyTimeout is how long after that the answer is still awaited
	// (default 2m).
	ReplyTimeout time.Duration
	// TimestampWindow is how far a callback's timestamp may be from now
	// (default 5m); older or newer callbacks are refused as replays.
	TimestampWindow time.Duration
	// MaxBody is the largest callback body accepted (default 64 KiB).
	MaxBody int64
	// DeliverySubject and QueueGroup are where this node takes its share
	// of messages without a waiting callback (defaults
	// kairos.conv.*.out and kairos-wechat-delivery). An empty QueueGroup
	// after defaults is not possible; set NoDelivery to take no share.
	DeliverySubject, QueueGroup string
	NoDelivery                  bool
	// Rate is each account's API calls per second on this node (default
	// 50).
	Rate float64
	// Client overrides the API client (retries, backoff); its Limiter is
	// replaced per account.
	Client *outbound.Client
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Channel serves every configured Official Account.
type Channel struct {
	o        Options
	logger   *slog.Logger
	now      func() time.Time
	store    *wxapi.Store
	accounts map[string]*account
	routes   *platform.RouteBook[route]
	bg       platform.Worker // stopped by Close
}

// account is one configured Official Account.
type account struct {
	cfg     AccountConfig
	crypt   *wxcrypt.Crypter
	api     *wxapi.Caller
	welcome string
}

// Validate checks one account's settings.
func (a AccountConfig) Validate() error {
	switch {
	case !namePattern.MatchString(a.Name):
		return fmt.Errorf("wechat: account name %q must be 1-64 of [a-z0-9_-]", a.Name)
	case a.AppID == "" || a.AppSecret == "" || a.Token == "":
		return fmt.Errorf("wechat: account %s: app_id, app_secret and token are required", a.Name)
	}
	if _, err := wxcrypt.New(a.Token, a.EncodingAESKey, a.AppID); err != nil {
		return fmt.Errorf("wechat: account %s: %w", a.Name, err)
	}
	if a.APIBase != "" && !strings.HasPrefix(a.APIBase, "http://") && !strings.HasPrefix(a.APIBase, "https://") {
		return fmt.Errorf("wechat: account %s: api_base %q must be an http(s) URL", a.Name, a.APIBase)
	}
	return nil
}

// New checks cfg, opens the shared state and, unless o.NoDelivery, joins
// the delivery queue group. Close it to stop.
func New(ctx context.Context, cfg Config, o Options) (*Channel, error) {
	if o.Engine == nil || o.Relay == nil || o.NATS == nil {
		return nil, errors.New("wechat: new: Engine, Relay and NATS are required")
	}
	setDefaults(&o)
	js, err := jetstream.New(o.NATS)
	if err != nil {
		return nil, fmt.Errorf("wechat: new: %w", err)
	}
	store, err := wxapi.OpenStore(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("wechat: new: %w", err)
	}
	c := &Channel{
		o: o, logger: o.Logger.With("channel", ChannelName), now: o.Now, store: store,
		accounts: map[string]*account{},
		routes: &platform.RouteBook[route]{KV: store.State, Name: ChannelName, Key: routeKey,
			Valid: func(r route) bool { return r.Account != "" && r.OpenID != "" }},
	}
	for _, ac := range cfg.Accounts {
		if err := ac.Validate(); err != nil {
			return nil, err
		}
		if c.accounts[ac.Name] != nil {
			return nil, fmt.Errorf("wechat: account %s is configured twice", ac.Name)
		}
		a, err := c.newAccount(ac)
		if err != nil {
			return nil, err
		}
		c.accounts[ac.Name] = a
	}
	c.bg.Start()
	if !o.NoDelivery && len(c.accounts) > 0 {
		if err := c.startDelivery(); err != nil {
			c.bg.Stop()
			return nil, err
		}
	}
	return c, nil
}

func setDefaults(o *Options) {
	platform.Default(&o.Logger, slog.New(slog.DiscardHandler))
	if o.Now == nil {
		o.Now = time.Now
	}
	platform.Default(&o.HTTP, &http.Client{Timeout: 10 * time.Second})
	platform.Positive(&o.ReplyBudget, DefaultReplyBudget)
	o.ReplyBudget = min(o.ReplyBudget, 4500*time.Millisecond)
	platform.Positive(&o.ReplyTimeout, DefaultReplyTimeout)
	platform.Positive(&o.TimestampWindow, DefaultTimestampWindow)
	platform.Positive(&o.MaxBody, DefaultMaxBody)
	platform.Default(&o.DeliverySubject, DefaultDeliverySubject)
	platform.Default(&o.QueueGroup, DefaultQueueGroup)
	platform.Positive(&o.Rate, DefaultRate)
}

func (c *Channel) newAccount(ac AccountConfig) (*account, error) {
	crypt, err := wxcrypt.New(ac.Token, ac.EncodingAESKey, ac.AppID)
	if err != nil {
		return nil, fmt.Errorf("wechat: account %s: %w", ac.Name, err)
	}
	base := strings.TrimRight(ac.APIBase, "/")
	if base == "" {
		base = DefaultAPIBase
	}
	client := outbound.Client{HTTP: c.o.HTTP, Logger: c.logger}
	if c.o.Client != nil {
		client = *c.o.Client
	}
	client.Limiter = outbound.NewLimiter(c.o.Rate, int(c.o.Rate), outbound.LimiterOptions{})
	a := &account{cfg: ac, crypt: crypt, welcome: ac.Welcome}
	if a.welcome == "" {
		a.welcome = DefaultWelcome
	} else if a.welcome == "-" {
		a.welcome = ""
	}
	caller := &wxapi.Caller{Base: base, Client: &client}
	caller.Tokens = wxapi.NewTokenSource(c.store.Tokens, wxapi.Key(ChannelName, ac.Name), func(ctx context.Context) (string, time.Duration, error) {
		return fetchToken(ctx, caller, ac)
	}, c.now)
	a.api = caller
	return a, nil
}

// Close leaves the delivery queue group and stops background deliveries
// (answers still awaited are dropped; they stay in the store and reach the
// user at the next interaction).
func (c *Channel) Close() error {
	c.bg.Stop()
	return nil
}

// ServeHTTP serves /channels/wechat/{name}: GET for URL verification, POST
// for callbacks.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == "" {
		name = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	}
	a := c.accounts[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		c.verifyURL(w, r, a)
	case http.MethodPost:
		c.callback(w, r, a)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// goBackground runs f in the background until Close.
func (c *Channel) goBackground(f func(ctx context.Context)) { c.bg.Go(f) }
