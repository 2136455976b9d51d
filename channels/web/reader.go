package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/channels"
)

// receiveTimeout bounds recording one customer message.
const receiveTimeout = 30 * time.Second

// frameBufs holds read buffers between frames, so an idle connection holds
// none: a frame is read into a pooled buffer, decoded (which copies what
// is kept) and the buffer goes back before the next read.
var frameBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readLoop reads client frames until the connection fails or closes.
func (c *conn) readLoop(ctx context.Context) {
	c.ws.SetReadLimit(hardFrameLimit) // beyond it gorilla closes with 1009
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * c.h.cfg.PingInterval))
	c.ws.SetPongHandler(func(string) error {
		if c.isClosing() {
			return nil // keep the close grace deadline
		}
		return c.ws.SetReadDeadline(time.Now().Add(2 * c.h.cfg.PingInterval))
	})
	for {
		typ, r, err := c.ws.NextReader()
		if err == nil {
			err = c.readMessage(ctx, typ, r)
		}
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has sent close 1009; let the client finish
				// writing so it reads the close frame instead of a reset.
				c.h.metrics.error("frame_over_hard_limit")
				c.linger()
			}
			return
		}
	}
}

// readMessage handles one client message; an error means the connection
// can no longer be read.
func (c *conn) readMessage(ctx context.Context, typ int, r io.Reader) error {
	if c.isClosing() {
		// Waiting for the client's close frame; ignore the rest.
		_, err := io.Copy(io.Discard, r)
		return err
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * c.h.cfg.PingInterval))
	if typ != websocket.TextMessage {
		_, err := io.Copy(io.Discard, r)
		c.h.metrics.error("binary_frame")
		c.closeWith(websocket.CloseUnsupportedData, "binary frames are not supported")
		return err
	}
	return c.readFrame(ctx, r)
}

// linger discards what the client is still sending until it pauses, for
// at most closeGrace and 2 MiB, before the connection is closed.
func (c *conn) linger() {
	nc := c.ws.NetConn()
	end := time.Now().Add(closeGrace)
	buf := make([]byte, 32<<10)
	for total := 0; total < 2*hardFrameLimit && time.Now().Before(end); {
		_ = nc.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		n, err := nc.Read(buf)
		total += n
		if err != nil {
			return
		}
	}
}

// readFrame reads one text frame of at most MaxFrameBytes and handles it.
// Larger frames are drained without being kept and answered with an error.
func (c *conn) readFrame(ctx context.Context, r io.Reader) error {
	limit := c.h.cfg.MaxFrameBytes
	buf := frameBufs.Get().(*bytes.Buffer)
	defer frameBufs.Put(buf)
	buf.Reset()
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return err
	}
	if n > int64(limit) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		c.h.metrics.frame("in", "oversize")
		c.sendError(codeFrameTooLarge, fmt.Sprintf("frame is larger than %d bytes", limit))
		return nil
	}
	c.handle(ctx, buf.Bytes())
	return nil
}

func (c *conn) handle(ctx context.Context, data []byte) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.h.metrics.frame("in", "invalid")
		c.sendError(codeInvalidJSON, "frame is not a valid JSON object")
		return
	}
	switch f.Type {
	case "message", "event", "ack", "ping", "identify":
		c.h.metrics.frame("in", f.Type)
	default:
		c.h.metrics.frame("in", "unknown")
	}
	switch f.Type {
	case "message":
		c.onMessage(ctx, f)
	case "event":
		c.onEvent(ctx, f)
	case "ack":
		c.onAck(ctx, f.Seq)
	case "ping":
		c.enqueue(pongBytes, "pong")
	case "identify":
		c.onIdentify(ctx, f)
	default:
		c.sendError(codeUnknownType, fmt.Sprintf("unknown frame type %q", clip(f.Type, 32)))
	}
}

func (c *conn) onMessage(ctx context.Context, f clientFrame) {
	now := c.h.now()
	if !c.msgLimit.allow(now, messageRate, messageBurst) {
		c.sendError(codeRateLimited, "too many messages; please slow down")
		return
	}
	text := strings.TrimSpace(f.Text)
	switch {
	case !validClientID(f.ID):
		c.sendError(codeInvalidMessage, fmt.Sprintf("id must be 1 to %d printable characters", maxClientID))
		return
	case text == "":
		c.sendError(codeInvalidMessage, "text is empty")
		return
	case utf8.RuneCountInString(text) > maxTextRunes:
		c.sendError(codeInvalidMessage, fmt.Sprintf("text is longer than %d characters", maxTextRunes))
		return
	}
	// ctx does not end with the connection: recording the message must not
	// be cut short because the visitor closed the tab right after sending.
	rctx, cancel := context.WithTimeout(ctx, receiveTimeout)
	defer cancel()
	rec, err := c.h.engine.Receive(rctx, channels.Inbound{
		ConversationID: c.session.ConversationID,
		CustomerID:     c.session.CustomerID,
		Channel:        Channel,
		ClientID:       f.ID,
		Text:           text,
		Lang:           c.lang,
		At:             now,
		ComposeMS:      clampSignal(f.ComposeMS, maxComposeMS),
		Deletions:      int(clampSignal(int64(f.Deletions), maxDeletions)),
	})
	if err != nil {
		if errInvalidInput(err) {
			c.sendError(codeInvalidMessage, "the message was refused")
			return
		}
		c.h.logger.Error("receive message", "conversation", c.session.ConversationID, "err", err)
		c.sendError(codeInternal, "could not record the message; it will be resent")
		return
	}
	c.enqueue(encode(receiptFrame{Type: "receipt", ID: f.ID, Seq: rec.Seq, Duplicate: rec.Duplicate}), "receipt")
}

func (c *conn) onEvent(ctx context.Context, f clientFrame) {
	now := c.h.now()
	if !c.eventLimit.allow(now, eventRate, eventBurst) {
		c.sendError(codeRateLimited, "too many events; please slow down")
		return
	}
	if !validEventName(f.Name) {
		c.sendError(codeInvalidEvent, "name must be 1 to 64 characters of a-z, 0-9 and _, starting with a letter")
		return
	}
	props := bytes.TrimSpace(f.Props)
	if bytes.Equal(props, []byte("null")) {
		props = nil
	}
	if len(props) > 0 && props[0] != '{' {
		c.sendError(codeInvalidEvent, "props must be a JSON object")
		return
	}
	var id string
	switch {
	case f.ID == "":
		id = "web:" + newVisitorID()[len(visitorPrefix):]
	case validClientID(f.ID):
		// Scoped by customer so one visitor's ids never dedupe another's.
		id = "web:" + c.session.CustomerID + ":" + f.ID
	default:
		c.sendError(codeInvalidEvent, fmt.Sprintf("id must be 1 to %d printable characters", maxClientID))
		return
	}
	var raw json.RawMessage
	if len(props) > 0 {
		raw = json.RawMessage(bytes.Clone(props)) // the frame buffer is reused
	}
	ev := channels.Event{V: channels.Version, ID: id, Name: f.Name, CustomerID: c.session.CustomerID,
		Channel: Channel, Props: raw, At: now}
	if err := c.h.engine.Observe(ctx, ev); err != nil {
		c.h.logger.Error("observe event", "event", f.Name, "err", err)
		c.sendError(codeInternal, "could not record the event")
	}
}

func validClientID(id string) bool {
	if id == "" || len(id) > maxClientID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func validEventName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Bounds of the composition signals a client reports: beyond them a value
// says nothing more (or is made up), so it is capped rather than refused.
const (
	maxComposeMS = int64(time.Hour / time.Millisecond)
	maxDeletions = 100_000
)

func clampSignal(v, most int64) int64 {
	return min(max(v, 0), most)
}
