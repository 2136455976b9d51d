// Package console is the web side of the agent console: login, the live
// handoff queue, real-time chat with customers, the customer panel and the
// approval queue for proactive drafts, served at /console/.
//
// It talks to the rest of Kairos only through NATS (the handoff contract in
// docs/nats.md) and, for proactive drafts, the admin HTTP API, so it runs
// inside a gateway or as its own process (kairos console). Accounts and
// sessions live in JetStream key-value buckets shared by every console
// process.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures a Console.
type Config struct {
	// NATS is the connection the console talks to Kairos over. Required.
	NATS *nats.Conn
	// JS is the JetStream context for the account and session buckets;
	// made from NATS when nil.
	JS jetstream.JetStream
	// APIBase is the gateway's base URL (e.g. http://127.0.0.1:8080) for
	// the proactive approval API. Empty: the approval queue is off.
	APIBase string
	// APIKey is sent as the bearer key to APIBase.
	APIKey string
	// HTTPClient calls APIBase (default: 10 s timeout).
	HTTPClient *http.Client
	// Logger receives the console's log lines (default: discarded).
	Logger *slog.Logger
	// Secure marks the session cookie Secure; set it when the console is
	// served over TLS (directly or behind a TLS proxy).
	Secure bool
	// AllowedOrigins may open the console WebSocket and post to its API
	// besides the console's own host (e.g. "https://desk.example.com").
	AllowedOrigins []string
	// Prefix is the path the handler is mounted at (default "/console/").
	Prefix string
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// BcryptCost is the cost new password hashes get (default
	// bcrypt.DefaultCost; tests use bcrypt.MinCost).
	BcryptCost int
	// RequestTimeout bounds each NATS request (default 5 s).
	RequestTimeout time.Duration
	// LoginWindow, AccountFailures and IPFailures tune the login rate
	// limit (defaults: 5 failures per account, 20 per address, per 15 min).
	LoginWindow     time.Duration
	AccountFailures int
	IPFailures      int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Console serves the agent console. Create it with New, mount Handler at
// Config.Prefix, and Close it at shutdown.
type Console struct {
	cfg      Config
	nc       *nats.Conn
	accounts *Accounts
	sessions *Sessions
	limiter  *loginLimiter
	logger   *slog.Logger
	now      func() time.Time
	assets   *assets
	upgrader websocket.Upgrader
	origins  origins
	hub      *hub
	mux      *http.ServeMux

	closeOnce sync.Once
}

// New opens the account and session buckets, subscribes to the handoff
// subjects and returns a Console.
func New(cfg Config) (*Console, error) {
	if cfg.NATS == nil {
		return nil, errors.New("console: new: NATS is required")
	}
	setDefaults(&cfg)
	if cfg.JS == nil {
		js, err := jetstream.New(cfg.NATS)
		if err != nil {
			return nil, fmt.Errorf("console: new: jetstream: %w", err)
		}
		cfg.JS = js
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acc, err := OpenAccounts(ctx, cfg.JS, cfg.BcryptCost, cfg.Now)
	if err != nil {
		return nil, err
	}
	sess, err := OpenSessions(ctx, cfg.JS, cfg.SessionTTL, cfg.Now)
	if err != nil {
		return nil, err
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("console: new: %w", err)
	}
	c := &Console{
		cfg:      cfg,
		nc:       cfg.NATS,
		accounts: acc,
		sessions: sess,
		limiter:  newLoginLimiter(cfg.LoginWindow, cfg.AccountFailures, cfg.IPFailures, cfg.Now),
		logger:   cfg.Logger.With("component", "console"),
		now:      cfg.Now,
		assets:   a,
		origins:  newOrigins(cfg.AllowedOrigins),
	}
	c.upgrader = websocket.Upgrader{
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      c.sameOrigin,
	}
	c.hub, err = newHub(c)
	if err != nil {
		return nil, err
	}
	c.mux = c.routes()
	return c, nil
}

func setDefaults(cfg *Config) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/console/"
	}
	if !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = DefaultLoginWindow
	}
	if cfg.AccountFailures <= 0 {
		cfg.AccountFailures = DefaultAccountFailures
	}
	if cfg.IPFailures <= 0 {
		cfg.IPFailures = DefaultIPFailures
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.APIBase = strings.TrimSuffix(cfg.APIBase, "/")
}

// Accounts returns the account store (for kairos agent add and tests).
func (c *Console) Accounts() *Accounts { return c.accounts }

// Handler serves the console under Config.Prefix (mount it there:
// mux.Handle("/console/", c.Handler())).
func (c *Console) Handler() http.Handler { return c.mux }

// Close unsubscribes from NATS and closes every console WebSocket. The NATS
// connection stays the caller's.
func (c *Console) Close() error {
	c.closeOnce.Do(func() { c.hub.close() })
	return nil
}
