package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedOptions configures an in-process NATS server.
type EmbeddedOptions struct {
	// Dir is where JetStream keeps its files. Required.
	Dir string
	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger
	// ListenAddr is a host:port for NATS clients over TCP (port 0 picks a
	// free one). Empty means no listener: only in-process connections.
	ListenAddr string
	// ReadyTimeout bounds the wait for the server to accept connections
	// (default 10s).
	ReadyTimeout time.Duration
}

// Embedded is a NATS server with JetStream running inside this process.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream in this process and
// waits until it accepts connections.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
	if o.Dir == "" {
		return nil, errors.New("relay: start embedded nats: Dir is required")
	}
	opts := &server.Options{
		ServerName: "kairos-embedded",
		JetStream:  true,
		StoreDir:   o.Dir,
		NoSigs:     true, // the host process owns signal handling
		DontListen: o.ListenAddr == "",
	}
	if o.ListenAddr != "" {
		host, port, err := splitHostPort(o.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("relay: start embedded nats: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("relay: start embedded nats: %w", err)
	}
	if o.Logger != nil {
		srv.SetLogger(slogAdapter{o.Logger.With("component", "nats")}, false, false)
	}
	srv.Start()
	wait := o.ReadyTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		return nil, fmt.Errorf("relay: start embedded nats: not ready after %s", wait)
	}
	return &Embedded{srv: srv}, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: bad port", addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Connect opens a client connection to the server without a network hop.
// name shows up in the server's connection list.
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.Name(name), nats.InProcessServer(e.srv))
	if err != nil {
		return nil, fmt.Errorf("relay: connect %s to embedded nats: %w", name, err)
	}
	return nc, nil
}

// ClientURL is the TCP URL clients in other processes can use; it is only
// reachable when the server was started with a ListenAddr.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits until it has stopped.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// slogAdapter lets the NATS server log through slog.
type slogAdapter struct{ l *slog.Logger }

// Noticef is the server's start-up banner and routine notices: debug, so a
// node's log starts with Kairos's own lines.
func (a slogAdapter) Noticef(f string, v ...any) { a.l.Debug(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Warnf(f string, v ...any)   { a.l.Warn(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Errorf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Fatalf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...), "fatal", true) }
func (a slogAdapter) Debugf(f string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug, fmt.Sprintf(f, v...))
}
func (a slogAdapter) Tracef(f string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug-4, fmt.Sprintf(f, v...))
}
