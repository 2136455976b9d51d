package web

import (
	"time"

	"github.com/gorilla/websocket"
)

// pingWorkers is how many connections are pinged at once, so a client
// whose socket buffer is full (its ping blocks until the write timeout)
// delays only a share of the others.
const pingWorkers = 8

// keepalive pings every connection each PingInterval, from one goroutine
// for the whole handler that runs while there are connections. The reader
// of each connection extends its read deadline on the pong.
func (h *Handler) keepalive(stop <-chan struct{}) {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			h.pingAll(stop)
		}
	}
}

func (h *Handler) pingAll(stop <-chan struct{}) {
	h.mu.Lock()
	open := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		open = append(open, c)
	}
	h.mu.Unlock()
	work := make(chan *conn)
	done := make(chan struct{})
	workers := min(pingWorkers, len(open))
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for c := range work {
				c.ping()
			}
		}()
	}
feed:
	for _, c := range open {
		select {
		case work <- c:
		case <-stop:
			break feed
		}
	}
	close(work)
	for range workers {
		<-done
	}
}

// ping sends a WebSocket ping. gorilla lets WriteControl run alongside a
// data writer, but a busy writer may hold the connection for up to the
// write timeout, so the ping is left to the writer then.
func (c *conn) ping() {
	c.mu.Lock()
	if c.closing || c.held {
		c.mu.Unlock()
		return
	}
	if c.writing {
		c.pingDue = true
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout))
	if err != nil && !c.isClosing() {
		c.h.logger.Debug("ping", "err", err)
		c.h.metrics.error("write_failed")
		c.drop()
	}
}
