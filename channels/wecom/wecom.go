// Package wecom is the WeCom customer service channel (微信客服): the
// callback endpoint /channels/wecom/{account}, where WeCom only signals
// (kf_msg_or_event) that messages are waiting; the messages themselves are
// pulled with /cgi-bin/kf/sync_msg from a cursor kept in NATS KV, so no
// message is missed or handled twice across restarts and nodes. Answers go
// out with /cgi-bin/kf/send_msg; enter_session gets the welcome through
// send_msg_on_event; Handoff moves a customer to the human queue
// (service_state/trans).
//
// The shared state (tokens, claims, cursors, routes) lives in the buckets
// of channels/wechat/wxapi, as for the Official Account channel.
package wecom

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
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

// Names and defaults.
const (
	ChannelName            = "wecom"
	IdentityExternalUserID = "wecom_external_userid"
	DefaultAPIBase         = "https://qyapi.weixin.qq.com"
	DefaultReplyTimeout    = 2 * time.Minute
	DefaultTimestampWindow = 5 * time.Minute
	DefaultMaxBody         = 64 << 10
	DefaultQueueGroup      = "kairos-wecom-delivery"
	DefaultDeliverySubject = "kairos.conv.*.out"
	DefaultRate            = 50
	// MaxTextBytes is the longest text message.
	MaxTextBytes = 2048
	// Window is how long after a customer's message Kairos may write.
	Window = 48 * time.Hour
	// syncLimit is sync_msg's page size (the documented maximum).
	syncLimit = 1000
)

// Service states (service_state/get|trans).
const (
	StateNew    = 0 // 未处理
	StateBot    = 1 // 由智能助手接待
	StateQueued = 2 // 待接入池排队中
	StateHuman  = 3 // 由人工接待
	StateEnded  = 4 // 已结束/未开始
)

// DefaultWelcome greets a customer entering the session.
const DefaultWelcome = "您好，有什么可以帮您？\nHello, how can I help you?"

// Capabilities: Kairos cannot write first; 48-hour window; 2048 bytes.
func Capabilities() outbound.Capabilities {
	return outbound.Capabilities{ReplyWindow: Window, MaxText: MaxTextBytes, TextUnit: outbound.Bytes}
}

// ErrNotFound: a conversation this channel does not know.
var ErrNotFound = errors.New("wecom: conversation not found")

// AccountConfig is one WeCom customer-service corp (channels.wecom.accounts[]).
type AccountConfig struct {
	// Name is the account's name in /channels/wecom/{name}.
	Name string `yaml:"name"`
	// CorpID is the corp id (also the receive id inside callbacks).
	CorpID string `yaml:"corp_id"`
	// Secret is the customer-service secret (微信客服 Secret).
	Secret string `yaml:"secret"`
	// Token and EncodingAESKey are the callback settings.
	Token          string `yaml:"token"`
	EncodingAESKey string `yaml:"encoding_aes_key"`
	// APIBase defaults to https://qyapi.weixin.qq.com.
	APIBase string `yaml:"api_base"`
	// Welcome is sent on enter_session; empty uses a bilingual greeting,
	// "-" sends none.
	Welcome string `yaml:"welcome"`
	// HumansInWeCom routes Kairos's handoffs of this account's customers
	// to WeCom's own human queue (service_state/trans), for companies
	// whose agents answer in WeCom rather than in the Kairos console.
	HumansInWeCom bool `yaml:"humans_in_wecom"`
}

// RoutesHumans reports whether any account hands its customers to WeCom's
// own human queue.
func (c Config) RoutesHumans() bool {
	for _, a := range c.Accounts {
		if a.HumansInWeCom {
			return true
		}
	}
	return false
}

// Config is the channels.wecom section.
type Config struct {
	Accounts []AccountConfig `yaml:"accounts" doc:"WeCom customer-service (微信客服) accounts: [{name, corp_id, secret, token, encoding_aes_key, api_base, welcome, humans_in_wecom}]; callback /channels/wecom/{name}. See docs/channels-wechat.md."`
}

// Engine is what the channel needs from the dialogue engine (a subset of
// web.Engine; bot.Engine satisfies it).
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

// Options are the channel's collaborators and tunables (see
// wechat.Options for the shared ones).
type Options struct {
	Engine          Engine
	Relay           Subscriber
	NATS            *nats.Conn
	Logger          *slog.Logger
	Now             func() time.Time
	HTTP            *http.Client
	ReplyTimeout    time.Duration
	TimestampWindow time.Duration
	MaxBody         int64
	DeliverySubject string
	QueueGroup      string
	NoDelivery      bool
	Rate            float64
	Client          *outbound.Client
	// SyncLimit is sync_msg's page size (default and maximum 1000).
	SyncLimit int
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Channel serves every configured WeCom account.
type Channel struct {
	o        Options
	logger   *slog.Logger
	now      func() time.Time
	store    *wxapi.Store
	accounts map[string]*account
	routes   *platform.RouteBook[route]
	bg       platform.Worker // stopped by Close
}

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
		return fmt.Errorf("wecom: account name %q must be 1-64 of [a-z0-9_-]", a.Name)
	case a.CorpID == "" || a.Secret == "" || a.Token == "" || a.EncodingAESKey == "":
		return fmt.Errorf("wecom: account %s: corp_id, secret, token and encoding_aes_key are required", a.Name)
	}
	if _, err := wxcrypt.New(a.Token, a.EncodingAESKey, a.CorpID); err != nil {
		return fmt.Errorf("wecom: account %s: %w", a.Name, err)
	}
	return nil
}

// New checks cfg, opens the shared state and joins the delivery queue.
func New(ctx context.Context, cfg Config, o Options) (*Channel, error) {
	if o.Engine == nil || o.Relay == nil || o.NATS == nil {
		return nil, errors.New("wecom: new: Engine, Relay and NATS are required")
	}
	platform.Default(&o.Logger, slog.New(slog.DiscardHandler))
	if o.Now == nil {
		o.Now = time.Now
	}
	platform.Default(&o.HTTP, &http.Client{Timeout: 10 * time.Second})
	platform.Positive(&o.ReplyTimeout, DefaultReplyTimeout)
	platform.Positive(&o.TimestampWindow, DefaultTimestampWindow)
	platform.Positive(&o.MaxBody, DefaultMaxBody)
	platform.Default(&o.DeliverySubject, DefaultDeliverySubject)
	platform.Default(&o.QueueGroup, DefaultQueueGroup)
	platform.Positive(&o.Rate, DefaultRate)
	if o.SyncLimit <= 0 || o.SyncLimit > syncLimit {
		o.SyncLimit = syncLimit
	}
	js, err := jetstream.New(o.NATS)
	if err != nil {
		return nil, fmt.Errorf("wecom: new: %w", err)
	}
	store, err := wxapi.OpenStore(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("wecom: new: %w", err)
	}
	c := &Channel{o: o, logger: o.Logger.With("channel", ChannelName), now: o.Now, store: store, accounts: map[string]*account{},
		routes: &platform.RouteBook[route]{KV: store.State, Name: ChannelName, Key: routeKey, NoCache: true}}
	for _, ac := range cfg.Accounts {
		if err := ac.Validate(); err != nil {
			return nil, err
		}
		if c.accounts[ac.Name] != nil {
			return nil, fmt.Errorf("wecom: account %s is configured twice", ac.Name)
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

func (c *Channel) newAccount(ac AccountConfig) *account {
	crypt, _ := wxcrypt.New(ac.Token, ac.EncodingAESKey, ac.CorpID) // checked by Validate
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
	switch a.welcome {
	case "":
		a.welcome = DefaultWelcome
	case "-":
		a.welcome = ""
	}
	caller := &wxapi.Caller{Base: base, Client: &client}
	caller.Tokens = wxapi.NewTokenSource(c.store.Tokens, wxapi.Key(ChannelName, ac.Name), func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		q := url.Values{"corpid": {ac.CorpID}, "corpsecret": {ac.Secret}}
		if err := caller.Get(ctx, "wecom gettoken", "/cgi-bin/gettoken", q, &out); err != nil {
			return "", 0, err
		}
		return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}, c.now)
	a.api = caller
	return a
}

// Close leaves the delivery queue and stops background work.
func (c *Channel) Close() error {
	c.bg.Stop()
	return nil
}

func (c *Channel) goBackground(f func(ctx context.Context)) { c.bg.Go(f) }

// ServeHTTP serves /channels/wecom/{name}.
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
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	if err := wxcrypt.CheckTimestamp(ts, c.now(), c.o.TimestampWindow); err != nil {
		c.refuse(w, r, a, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		echo := q.Get("echostr")
		if len(echo) > 1024 {
			c.refuse(w, r, a, wxcrypt.ErrMalformed)
			return
		}
		plain, err := a.crypt.VerifyURL(sig, ts, nonce, echo)
		if err != nil {
			c.refuse(w, r, a, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(plain)
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.o.MaxBody))
		if err != nil {
			c.refuse(w, r, a, err)
			return
		}
		plain, err := a.crypt.Open(sig, ts, nonce, body)
		if err != nil {
			c.refuse(w, r, a, err)
			return
		}
		ev, err := parseCallback(plain)
		if err != nil {
			c.refuse(w, r, a, err)
			return
		}
		if ev.Event == "kf_msg_or_event" {
			if err := c.kick(r.Context(), a, ev); err != nil {
				c.logger.Error("record callback", "account", a.cfg.Name, "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
		}
		_, _ = io.WriteString(w, "success")
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (c *Channel) refuse(w http.ResponseWriter, r *http.Request, a *account, err error) {
	status := http.StatusBadRequest
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, wxcrypt.ErrSignature), errors.Is(err, wxcrypt.ErrReceiveID), errors.Is(err, wxcrypt.ErrStale):
		status = http.StatusForbidden
	}
	c.logger.Warn("callback refused", "account", a.cfg.Name, "status", status, "remote", r.RemoteAddr, "err", err)
	http.Error(w, http.StatusText(status), status)
}

// callbackEvent is the decrypted kf callback.
type callbackEvent struct {
	ToUserName string `xml:"ToUserName"`
	CreateTime int64  `xml:"CreateTime"`
	MsgType    string `xml:"MsgType"`
	Event      string `xml:"Event"`
	Token      string `xml:"Token"`
	OpenKfID   string `xml:"OpenKfId"`
}

var errMalformed = errors.New("malformed callback")

func parseCallback(b []byte) (callbackEvent, error) {
	var ev callbackEvent
	if err := xml.Unmarshal(b, &ev); err != nil {
		return ev, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if ev.MsgType != "event" || ev.Event == "" || len(ev.Token) > 256 || len(ev.OpenKfID) > 128 {
		return ev, fmt.Errorf("%w: not a kf event", errMalformed)
	}
	if ev.Event == "kf_msg_or_event" && ev.OpenKfID == "" {
		return ev, fmt.Errorf("%w: kf_msg_or_event without OpenKfId", errMalformed)
	}
	return ev, nil
}

// kickValue is the latest callback of a kf account: the sync loop uses its
// token (which relaxes sync_msg's rate limit) and notices it arrived.
type kickValue struct {
	Token string `json:"token"`
}

func kickKey(a *account, kfid string) string { return wxapi.Key(ChannelName, a.cfg.Name, "kick", kfid) }
func cursorKey(a *account, kfid string) string {
	return wxapi.Key(ChannelName, a.cfg.Name, "cursor", kfid)
}

// kick records the callback and starts a sync in the background.
func (c *Channel) kick(ctx context.Context, a *account, ev callbackEvent) error {
	v, _ := json.Marshal(kickValue{Token: ev.Token})
	if _, err := c.store.State.Put(ctx, kickKey(a, ev.OpenKfID), v); err != nil {
		return err
	}
	c.goBackground(func(bg context.Context) { c.syncKf(bg, a, ev.OpenKfID) })
	return nil
}
