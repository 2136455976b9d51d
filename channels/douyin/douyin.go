// Package douyin is the Douyin (抖音开放平台) private-message channel: the
// webhook endpoint /channels/douyin/{account} (verify_webhook, signed
// im_receive_msg, im_enter_direct_msg and im_send_msg events) into the
// engine, and answers back through the IM send API (/im/send/msg/) within
// the platform's reply window.
//
// Every node of a cluster can take any webhook. It shares, through the NATS
// JetStream key-value buckets of channels/wechat/wxapi (the same mechanism
// the WeChat adapters use): once-only claims that make a retried webhook
// (same Msg-Id, any node) and a delivery (same conversation and seq)
// happen once; the account's access token; each user's reply window and
// opt-out; and which conversation goes to which Douyin user.
//
// Replies to a customer message are awaited by the node that took the
// webhook. Messages without one (proactive messages, a greeting after
// im_enter_direct_msg, human agents) reach one node of the
// "kairos-douyin-delivery" NATS queue group, which sends them while the
// window is open and otherwise publishes a channels.DeliveryReport saying
// the message waits for the user's next interaction.
package douyin

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
)

// Names this channel uses in the message model.
const (
	// ChannelName is the channel name reported to the engine.
	ChannelName = "douyin"
	// IdentityOpenID is the identity kind of a Douyin user (an open_id is
	// per app: the same person has another open_id in another app).
	IdentityOpenID = "douyin_open_id"
	// DefaultAPIBase is the platform's API host.
	DefaultAPIBase = "https://open.douyin.com"
)

// Platform rules.
const (
	// ReplyWindow: a message id from a webhook (server_message_id) can be
	// replied to for 24 hours.
	ReplyWindow = 24 * time.Hour
	// DefaultMaxText is the longest text piece sent, in characters. The
	// documentation found gives no limit for private-message text; this is
	// a conservative default, overridable per account.
	DefaultMaxText = 1000
)

// Defaults for Options fields left zero.
const (
	DefaultReplyTimeout    = 2 * time.Minute
	DefaultMaxBody         = 64 << 10
	DefaultQueueGroup      = "kairos-douyin-delivery"
	DefaultDeliverySubject = "kairos.conv.*.out"
	// DefaultRate is each account's send calls per second per node.
	DefaultRate = 20
	// inLease: a webhook claimed by a node that has not finished it after
	// this long is taken over by the platform's next retry.
	inLease = 2 * time.Minute
)

// OptOutEvent is the event name observed when a user replies an opt-out
// keyword ("TD", "退订"); props carry the channel and account.
const OptOutEvent = "opt_out"

// EnterEvent is the event name observed when a user opens the
// private-message page (im_enter_direct_msg); the engine decides whether to
// greet, by publishing a message with no ReplyTo on the conversation.
const EnterEvent = "douyin.enter_direct_msg"

// optOutReply confirms an opt-out.
const optOutReply = "已退订，您将不再收到主动推送。如需帮助，随时给我们留言。\nUnsubscribed: you will no longer receive proactive messages. Write to us any time."

// Capabilities are the channel's capabilities for the engine and the
// trigger matrix: Kairos cannot write first; it may write for 24 hours
// after the user's last message or visit to the message page; text only.
func Capabilities(maxText int) outbound.Capabilities {
	if maxText <= 0 {
		maxText = DefaultMaxText
	}
	return outbound.Capabilities{CanInitiate: false, ReplyWindow: ReplyWindow, MaxText: maxText, TextUnit: outbound.Runes}
}

// ErrOutsideWindow is returned for a message the platform would not
// accept now; it waits for the user's next interaction.
var ErrOutsideWindow = errors.New("douyin: outside the 24-hour reply window")

// Account is one Douyin app and the business account that authorized it
// (channels.douyin.accounts[]).
type Account struct {
	// Name is the account's name in the callback URL
	// /channels/douyin/{name}: 1-64 of [a-z0-9_-].
	Name string `yaml:"name"`
	// ClientKey and ClientSecret are the app's credentials; the secret also
	// signs the webhooks.
	ClientKey    string `yaml:"client_key"`
	ClientSecret string `yaml:"client_secret"`
	// APIBase is the API host (default https://open.douyin.com); override
	// it for a proxy or a fake.
	APIBase string `yaml:"api_base"`
	// OpenID is the business account's open_id (the Douyin account whose
	// private messages Kairos answers, which authorized the app with the
	// im.direct_message scope).
	OpenID string `yaml:"open_id"`
	// RefreshToken is the refresh_token of that authorization (valid 30
	// days); access tokens are obtained with it and shared by all nodes.
	RefreshToken string `yaml:"refresh_token"`
	// MaxText is the longest text piece sent, in characters (default
	// 1000); longer answers are split.
	MaxText int `yaml:"max_text"`
}

// Config is the channels.douyin section.
type Config struct {
	Accounts []Account `yaml:"accounts" doc:"Douyin private-message accounts: [{name, client_key, client_secret, open_id, refresh_token, api_base, max_text}]; callback /channels/douyin/{name}. See docs/channels-douyin.md."`
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Validate checks one account's settings.
func (a Account) Validate() error {
	switch {
	case !namePattern.MatchString(a.Name):
		return fmt.Errorf("douyin: account name %q must be 1-64 of [a-z0-9_-]", a.Name)
	case a.ClientKey == "" || a.ClientSecret == "":
		return fmt.Errorf("douyin: account %s: client_key and client_secret are required", a.Name)
	case a.OpenID == "" || a.RefreshToken == "":
		return fmt.Errorf("douyin: account %s: open_id and refresh_token (the business account's authorization) are required", a.Name)
	case a.APIBase != "" && !strings.HasPrefix(a.APIBase, "http://") && !strings.HasPrefix(a.APIBase, "https://"):
		return fmt.Errorf("douyin: account %s: api_base %q must be an http(s) URL", a.Name, a.APIBase)
	case a.MaxText < 0:
		return fmt.Errorf("douyin: account %s: max_text must not be negative", a.Name)
	}
	return nil
}

// Engine is what the channel needs from the dialogue engine; bot.Engine
// satisfies it (it is a subset of web.Engine).
type Engine interface {
	Connect(ctx context.Context, channel string, id channels.Identity) (channels.Session, error)
	Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error)
	Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error)
	Observe(ctx context.Context, ev channels.Event) error
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
	// ReplyTimeout is how long the answer to a message is awaited (default
	// 2m); a later answer reaches the user at the next interaction.
	ReplyTimeout time.Duration
	// MaxBody is the largest webhook body accepted (default 64 KiB).
	MaxBody int64
	// DeliverySubject and QueueGroup are where this node takes its share
	// of messages without a waiting webhook (defaults kairos.conv.*.out
	// and kairos-douyin-delivery). NoDelivery takes no share.
	DeliverySubject, QueueGroup string
	NoDelivery                  bool
	// Rate is each account's send calls per second on this node (default
	// 20).
	Rate float64
	// Client overrides the API client (retries, backoff); its Limiter is
	// replaced per account.
	Client *outbound.Client
}

// Channel serves every configured Douyin account.
type Channel struct {
	o        Options
	logger   *slog.Logger
	now      func() time.Time
	store    *wxapi.Store
	accounts map[string]*account
	routes   *platform.RouteBook[route]
	bg       platform.Worker // stopped by Close
}

// New checks cfg, opens the shared state and, unless o.NoDelivery, joins
// the delivery queue group. Close it to stop.
func New(ctx context.Context, cfg Config, o Options) (*Channel, error) {
	if o.Engine == nil || o.Relay == nil || o.NATS == nil {
		return nil, errors.New("douyin: new: Engine, Relay and NATS are required")
	}
	setDefaults(&o)
	js, err := jetstream.New(o.NATS)
	if err != nil {
		return nil, fmt.Errorf("douyin: new: %w", err)
	}
	store, err := wxapi.OpenStore(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("douyin: new: %w", err)
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
			return nil, fmt.Errorf("douyin: account %s is configured twice", ac.Name)
		}
		c.accounts[ac.Name] = c.newAccount(ac)
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
	platform.Positive(&o.ReplyTimeout, DefaultReplyTimeout)
	platform.Positive(&o.MaxBody, DefaultMaxBody)
	platform.Default(&o.DeliverySubject, DefaultDeliverySubject)
	platform.Default(&o.QueueGroup, DefaultQueueGroup)
	platform.Positive(&o.Rate, DefaultRate)
}

// Close leaves the delivery queue group and stops background work
// (answers still awaited are dropped; they stay in the store and reach the
// user at the next interaction).
func (c *Channel) Close() error {
	c.bg.Stop()
	return nil
}

// Register mounts /channels/douyin/{name} on mux.
func (c *Channel) Register(mux *http.ServeMux) {
	mux.Handle("/channels/douyin/{name}", c)
}

// ServeHTTP serves /channels/douyin/{name}: POST webhooks.
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
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c.webhook(w, r, a)
}

// goBackground runs f in the background until Close.
func (c *Channel) goBackground(f func(ctx context.Context)) { c.bg.Go(f) }
