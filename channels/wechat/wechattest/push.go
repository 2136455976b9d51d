package wechattest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kairoscx/kairos/channels/wxcrypt"
)

// Mode is the account's message encryption mode.
type Mode int

// Encryption modes of an Official Account.
const (
	Plain      Mode = iota // 明文模式
	Compatible             // 兼容模式: plaintext fields and Encrypt side by side
	Safe                   // 安全模式: only Encrypt
)

// Message is a callback the platform pushes: a user message or an event.
type Message struct {
	ToUserName   string // the account's original id (gh_...)
	FromUserName string // the user's openid
	CreateTime   time.Time
	MsgType      string // text, image, voice, event, ...
	Content      string
	MsgID        int64
	PicURL       string
	MediaID      string
	Format       string
	Recognition  string
	Event        string // subscribe, unsubscribe, SCAN, CLICK, VIEW
	EventKey     string
	Ticket       string
}

type cdata struct {
	Text string `xml:",cdata"`
}

func cd(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{s}
}

type wireMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   *cdata   `xml:"ToUserName"`
	FromUserName *cdata   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      *cdata   `xml:"MsgType"`
	Content      *cdata   `xml:"Content,omitempty"`
	PicURL       *cdata   `xml:"PicUrl,omitempty"`
	MediaID      *cdata   `xml:"MediaId,omitempty"`
	Format       *cdata   `xml:"Format,omitempty"`
	Recognition  *cdata   `xml:"Recognition,omitempty"`
	Event        *cdata   `xml:"Event,omitempty"`
	EventKey     *cdata   `xml:"EventKey,omitempty"`
	Ticket       *cdata   `xml:"Ticket,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
	Encrypt      *cdata   `xml:"Encrypt,omitempty"`
}

func (m Message) wire() wireMessage {
	return wireMessage{
		ToUserName: cd(m.ToUserName), FromUserName: cd(m.FromUserName), CreateTime: m.CreateTime.Unix(),
		MsgType: cd(m.MsgType), Content: cd(m.Content), PicURL: cd(m.PicURL), MediaID: cd(m.MediaID),
		Format: cd(m.Format), Recognition: cd(m.Recognition), Event: cd(m.Event), EventKey: cd(m.EventKey),
		Ticket: cd(m.Ticket), MsgID: m.MsgID,
	}
}

// XML is the message as the platform writes it.
func (m Message) XML() []byte {
	b, err := xml.Marshal(m.wire())
	if err != nil {
		panic(err) // only strings and ints: cannot fail
	}
	return b
}

// Pusher plays the platform's side of an account's callbacks.
type Pusher struct {
	p     *Platform
	token string
	mode  Mode
	c     *wxcrypt.Crypter
	// HTTP sends the callbacks (default: a client with WeChat's 5-second
	// timeout).
	HTTP *http.Client
}

// Pusher returns a pusher for the account's token, EncodingAESKey and mode.
func (p *Platform) Pusher(token, encodingAESKey string, mode Mode) (*Pusher, error) {
	key := encodingAESKey
	if mode == Plain {
		key = ""
	}
	c, err := wxcrypt.New(token, key, p.AppID)
	if err != nil {
		return nil, err
	}
	return &Pusher{p: p, token: token, mode: mode, c: c, HTTP: &http.Client{Timeout: 5 * time.Second}}, nil
}

func nonce() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Request builds the signed callback request for m to the handler at
// target (its full URL).
func (ps *Pusher) Request(target string, m Message) (*http.Request, error) {
	ps.p.mu.Lock()
	ts := strconv.FormatInt(ps.p.now().Unix(), 10)
	ps.p.mu.Unlock()
	return ps.RequestAt(target, m, ts, nonce())
}

// RequestAt builds the callback request with a given timestamp and nonce.
func (ps *Pusher) RequestAt(target string, m Message, ts, nc string) (*http.Request, error) {
	q := url.Values{}
	q.Set("timestamp", ts)
	q.Set("nonce", nc)
	q.Set("signature", wxcrypt.Signature(ps.token, ts, nc))
	q.Set("openid", m.FromUserName)
	var body []byte
	switch ps.mode {
	case Plain:
		body = m.XML()
	default:
		enc, err := ps.c.Encrypt(m.XML())
		if err != nil {
			return nil, err
		}
		var w wireMessage
		if ps.mode == Compatible {
			w = m.wire()
		} else {
			w = wireMessage{ToUserName: cd(m.ToUserName)}
		}
		w.Encrypt = &cdata{enc}
		body, _ = xml.Marshal(w)
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxcrypt.Signature(ps.token, ts, nc, enc))
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	req, err := http.NewRequest(http.MethodPost, target+sep+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// Reply is the handler's answer to one callback.
type Reply struct {
	Status int
	Body   []byte
	// Passive is the decrypted passive reply, nil for "success" or an
	// empty body.
	Passive *PassiveReply
}

// PassiveReply is a reply message returned in the callback response.
type PassiveReply struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
}

// Push sends m once to target, the way the platform does, and reads the
// answer. The user's interaction is recorded first (it happened, whether
// or not the developer's server answers).
func (ps *Pusher) Push(ctx context.Context, target string, m Message) (Reply, error) {
	kind := "message"
	if m.MsgType == "event" {
		kind = strings.ToLower(m.Event)
	}
	if kind != "unsubscribe" && kind != "view" {
		ps.p.Interact(m.FromUserName, kind)
	}
	req, err := ps.Request(target, m)
	if err != nil {
		return Reply{}, err
	}
	return ps.Do(ctx, req)
}

// Do sends a prepared callback request and reads the answer.
func (ps *Pusher) Do(ctx context.Context, req *http.Request) (Reply, error) {
	resp, err := ps.HTTP.Do(req.WithContext(ctx))
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Status: resp.StatusCode, Body: body}
	if resp.StatusCode != http.StatusOK {
		return r, nil
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return r, nil
	}
	plain := trimmed
	if req.URL.Query().Get("encrypt_type") == "aes" {
		plain, err = ps.c.OpenSealed(trimmed)
		if err != nil {
			return r, fmt.Errorf("passive reply: %w", err)
		}
	}
	var pr PassiveReply
	if err := xml.Unmarshal(plain, &pr); err != nil {
		return r, fmt.Errorf("passive reply is not XML: %w", err)
	}
	r.Passive = &pr
	ps.p.mu.Lock()
	ps.p.passive = append(ps.p.passive, Sent{ToUser: pr.ToUserName, MsgType: pr.MsgType, Text: pr.Content, At: ps.p.now()})
	ps.p.mu.Unlock()
	return r, nil
}

// Passive returns the passive replies the pusher received, oldest first.
func (p *Platform) Passive() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.passive...)
}

// Answers is every message openid got, passive replies and
// customer-service messages, in the order the fake saw them.
func (p *Platform) Answers(openid string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.passive {
		if s.ToUser == openid {
			out = append(out, s.Text)
		}
	}
	for _, s := range p.sent {
		if s.ToUser == openid {
			out = append(out, s.Text)
		}
	}
	return out
}
