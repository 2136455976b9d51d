// Package web is the website channel: the /ws WebSocket protocol the chat
// widget speaks, signed visitor tokens, the embeddable /widget.js and the
// /demo/ shop that shows it off.
//
// The protocol is documented in docs/protocol.md. The package knows nothing
// of storage or language models: it talks to the dialogue engine through the
// Engine interface and receives outbound messages from the NATS relay, so a
// reply produced on any gateway node reaches the node holding the visitor's
// connection.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

// Engine is what the web channel needs from the dialogue engine.
type Engine interface {
	Connect(ctx context.Context, channel string, id channels.Identity) (channels.Session, error)
	Receive(ctx context.Context, in channels.Inbound) (channels.Receipt, error)
	Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error)
	Ack(ctx context.Context, conversationID string, seq int64) error
	Observe(ctx context.Context, ev channels.Event) error
	// Identify links id (the host site's user, proven by a signed
	// identify frame) to the customer of conversationID. The visitor may
	// be merged into the customer id already belonged to, so the session
	// returned can name another customer; the connection keeps its
	// conversation. Linking the same identity again changes nothing.
	Identify(ctx context.Context, conversationID string, id channels.Identity) (channels.Session, error)
}

// Subscriber delivers a conversation's outbound messages to a receiver
// until the subscription is closed; *relay.Relay and *relay.Dispatcher are
// Subscribers. Subscribe must return only once a message published after it
// returns is certain to reach rc.
type Subscriber interface {
	Subscribe(ctx context.Context, conversationID string, rc relay.Receiver) (*relay.Subscription, error)
}

// ErrInvalidInput may be wrapped by an Engine's Receive error to say the
// customer's message itself was refused; the client then gets an
// invalid_message error frame instead of internal.
var ErrInvalidInput = channels.ErrInvalid

// Channel is the channel name the web channel reports to the engine.
const Channel = "web"

// Defaults for Config fields left zero.
const (
	DefaultTokenTTL      = 180 * 24 * time.Hour
	DefaultMaxFrameBytes = 16 << 10
	DefaultSendQueue     = 64
	DefaultPingInterval  = 30 * time.Second
	DefaultWriteTimeout  = 10 * time.Second

	// hardFrameLimit is where a frame stops being an error to report and
	// becomes abuse: the connection is closed with 1009.
	hardFrameLimit = 1 << 20
	// maxTextRunes bounds a customer message.
	maxTextRunes = 4000
	// maxClientID bounds a client message or event id.
	maxClientID = 64
	// replayPage is how many stored messages are fetched per Replay call.
	replayPage = 200
	// ackEvery is the least time between two acks written to the engine.
	ackEvery = 500 * time.Millisecond
	// closeGrace is how long a closing connection waits for the client's
	// close frame.
	closeGrace = 3 * time.Second
	// minSecret is the shortest HMAC key accepted.
	minSecret = 32
)

// Config configures the web channel.
type Config struct {
	// Engine receives messages and events and replays transcripts. Required.
	Engine Engine
	// Relay delivers outbound messages produced on any node. Required.
	Relay Subscriber
	// Secret is the HMAC key visitor tokens are signed with, at least 32
	// bytes. Every gateway node must use the same secret.
	Secret []byte
	// SiteSecret is the key the host site's server signs identify frames
	// with (see docs/protocol.md). Empty refuses every identify frame with
	// identify_disabled. Every gateway node must use the same key.
	SiteSecret []byte
	// TokenTTL is how long a visitor token stays valid after it was issued
	// (default 180 days). Tokens are reissued on every connection, so only
	// visitors who stay away longer get a new identity.
	TokenTTL time.Duration
	// AllowedOrigins lists the origins (e.g. "https://shop.example.com")
	// whose pages may open /ws; "*" allows any. The gateway's own host and
	// clients that send no Origin (non-browsers) are always allowed.
	AllowedOrigins []string
	// MaxFrameBytes is the largest client frame processed (default 16 KiB);
	// larger ones get a frame_too_large error.
	MaxFrameBytes int
	// SendQueue is how many frames may wait for a slow client before it is
	// disconnected (default 64).
	SendQueue int
	// PingInterval is how often the server pings; a client silent for two
	// intervals is disconnected (default 30s).
	PingInterval time.Duration
	// WriteTimeout bounds one write to a client (default 10s).
	WriteTimeout time.Duration
	// Logger receives connection errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock for tokens, rate limits and timestamps (default
	// time.Now).
	Now func() time.Time
	// Metrics registers the channel's metrics when non-nil.
	Metrics prometheus.Registerer
}

// Handler serves the web channel's HTTP endpoints.
type Handler struct {
	cfg      Config
	engine   Engine
	relay    Subscriber
	tokens   tokens
	site     siteKey
	logger   *slog.Logger
	now      func() time.Time
	origins  origins
	upgrader websocket.Upgrader
	metrics  *metrics
	assets   *assets

	mu       sync.Mutex
	conns    map[*conn]struct{}
	closing  bool
	drained  chan struct{} // closed when closing and conns is empty
	pingStop chan struct{} // closed to stop the keepalive; nil when none runs
}

// New checks cfg, fills in defaults and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Engine == nil || cfg.Relay == nil {
		return nil, errors.New("web: new: Engine and Relay are required")
	}
	if len(cfg.Secret) < minSecret {
		return nil, fmt.Errorf("web: new: Secret must be at least %d bytes", minSecret)
	}
	setDefaults(&cfg)
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	h := &Handler{
		cfg:     cfg,
		engine:  cfg.Engine,
		relay:   cfg.Relay,
		tokens:  tokens{secret: append([]byte(nil), cfg.Secret...), ttl: cfg.TokenTTL},
		site:    siteKey{secret: append([]byte(nil), cfg.SiteSecret...)},
		logger:  cfg.Logger.With("channel", Channel),
		now:     cfg.Now,
		origins: newOrigins(cfg.AllowedOrigins),
		metrics: m,
		assets:  a,
		conns:   make(map[*conn]struct{}),
		drained: make(chan struct{}),
	}
	h.upgrader = websocket.Upgrader{
		// Small read buffers and pooled write buffers keep idle
		// connections cheap: a write buffer is only held while writing,
		// and client frames are copied out of the read buffer.
		ReadBufferSize:   512,
		WriteBufferSize:  4096,
		WriteBufferPool:  &sync.Pool{},
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      h.checkOrigin,
		Error:            h.upgradeError,
	}
	return h, nil
}

func setDefaults(cfg *Config) {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if cfg.MaxFrameBytes > hardFrameLimit {
		cfg.MaxFrameBytes = hardFrameLimit
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// Register mounts /ws, /widget.js and /demo/ on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("/ws", http.HandlerFunc(h.serveWS))
	mux.Handle("/widget.js", http.HandlerFunc(h.serveWidget))
	mux.Handle("/demo", http.RedirectHandler("/demo/", http.StatusMovedPermanently))
	mux.Handle("/demo/", http.HandlerFunc(h.serveDemo))
}

// Connections is the number of open WebSocket connections.
func (h *Handler) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Shutdown refuses new connections, sends every open one its queued frames
// and a 1001 (going away) close frame, and waits until they are closed or
// ctx is done; then it cuts the rest off.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	open := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		open = append(open, c)
	}
	if len(h.conns) == 0 {
		h.closeDrainedLocked()
	}
	h.mu.Unlock()
	for _, c := range open {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		for c := range h.conns {
			c.ws.Close()
		}
		h.mu.Unlock()
		return fmt.Errorf("web: shutdown: %w", ctx.Err())
	}
}

func (h *Handler) closeDrainedLocked() {
	select {
	case <-h.drained:
	default:
		close(h.drained)
	}
}

// track adds c to the open connections, or reports false when shutting down.
func (h *Handler) track(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	h.metrics.connections(1)
	if h.pingStop == nil {
		h.pingStop = make(chan struct{})
		go h.keepalive(h.pingStop)
	}
	return true
}

func (h *Handler) untrack(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return
	}
	delete(h.conns, c)
	h.metrics.connections(-1)
	if len(h.conns) > 0 {
		return
	}
	if h.pingStop != nil {
		close(h.pingStop)
		h.pingStop = nil
	}
	if h.closing {
		h.closeDrainedLocked()
	}
}

func (h *Handler) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	code := "bad_handshake"
	if status == http.StatusForbidden {
		code = "origin_rejected"
	}
	h.metrics.error(code)
	h.logger.Debug("websocket upgrade refused", "status", status, "err", reason, "origin", r.Header.Get("Origin"))
	http.Error(w, http.StatusText(status), status)
}
