// Package wechattest is an in-process fake of the WeChat Official Account
// platform for tests: the API side (access tokens, customer-service
// messages, typing, user info) with the documented rules and error codes,
// and the callback side (signed, optionally encrypted pushes to a
// handler, retried the way WeChat retries).
//
// The rules it enforces, from the platform documentation:
//   - /cgi-bin/token issues a token valid expires_in (7200) seconds; issuing
//     a new one invalidates the previous one (after Grace, default none).
//     An unknown token is 40001, an expired one 42001.
//   - customer-service messages may be sent after a user interaction: a
//     message from the user allows 5 within 48 hours; a follow, a menu
//     click or a QR scan allows 3 within 1 minute. Outside the window:
//     45015; over the quota: 45047. Text is at most 2048 bytes (45002).
package wechattest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Documented limits and error codes.
const (
	TokenTTL       = 7200 * time.Second
	MaxTextBytes   = 2048
	MessageWindow  = 48 * time.Hour
	MessageQuota   = 5
	EventWindow    = time.Minute
	EventQuota     = 3
	CodeBadToken   = 40001
	CodeBadOpenID  = 40003
	CodeBadAppID   = 40013
	CodeBadSecret  = 40125
	CodeExpired    = 42001
	CodeTooLong    = 45002
	CodeOutOfTime  = 45015
	CodeOutOfQuota = 45047
	CodeBadBody    = 47001
)

// Sent is a customer-service message the fake accepted.
type Sent struct {
	ToUser  string
	MsgType string
	Text    string
	At      time.Time
}

// Typing is a typing command the fake accepted.
type Typing struct {
	ToUser  string
	Command string
}

type token struct {
	issued  time.Time
	expires time.Time
	revoked time.Time // zero while current
}

type window struct {
	until time.Time
	left  int
}

// Platform is the fake. Create it with New; it is safe for concurrent use.
type Platform struct {
	AppID, Secret string
	// Grace keeps a replaced token valid this long (the platform documents
	// five minutes of overlap; the default 0 is the strict case).
	Grace time.Duration

	srv *httptest.Server

	mu       sync.Mutex
	now      func() time.Time
	tokens   map[string]*token
	current  string
	fetches  int
	seq      int
	windows  map[string]*window
	unionIDs map[string]string
	sent     []Sent
	passive  []Sent
	typing   []Typing
	failNext map[string][]int // path -> errcodes to return next
	fail5xx  map[string]int   // path -> how many 503s next
	calls    map[string]int
}

// New starts a fake for appID/secret; Close it when done.
func New(appID, secret string) *Platform {
	p := &Platform{
		AppID: appID, Secret: secret,
		now:      time.Now,
		tokens:   map[string]*token{},
		windows:  map[string]*window{},
		unionIDs: map[string]string{},
		failNext: map[string][]int{},
		fail5xx:  map[string]int{},
		calls:    map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", p.serveToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", p.serveSend)
	mux.HandleFunc("POST /cgi-bin/message/custom/typing", p.serveTyping)
	mux.HandleFunc("GET /cgi-bin/user/info", p.serveUserInfo)
	p.srv = httptest.NewServer(mux)
	return p
}

// URL is the api_base to configure.
func (p *Platform) URL() string { return p.srv.URL }

// Close stops the fake's server.
func (p *Platform) Close() { p.srv.Close() }

// SetClock replaces the fake's clock.
func (p *Platform) SetClock(now func() time.Time) {
	p.mu.Lock()
	p.now = now
	p.mu.Unlock()
}

// Interact records that openid interacted: kind "message" opens the 48-hour
// window with 5 messages, anything else ("subscribe", "click", "scan") the
// 1-minute window with 3. Push (and Deliver) call it for every callback.
func (p *Platform) Interact(openid, kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if kind == "message" {
		p.windows[openid] = &window{until: now.Add(MessageWindow), left: MessageQuota}
		return
	}
	if w := p.windows[openid]; w != nil && w.until.After(now.Add(EventWindow)) {
		return // a longer window is open; the event adds nothing
	}
	p.windows[openid] = &window{until: now.Add(EventWindow), left: EventQuota}
}

// SetUnionID makes user/info report unionid for openid.
func (p *Platform) SetUnionID(openid, unionid string) {
	p.mu.Lock()
	p.unionIDs[openid] = unionid
	p.mu.Unlock()
}

// FailNext makes the next calls to path answer with the given errcodes,
// one per call, before behaving normally again.
func (p *Platform) FailNext(path string, codes ...int) {
	p.mu.Lock()
	p.failNext[path] = append(p.failNext[path], codes...)
	p.mu.Unlock()
}

// Fail5xx makes the next n calls to path answer 503.
func (p *Platform) Fail5xx(path string, n int) {
	p.mu.Lock()
	p.fail5xx[path] += n
	p.mu.Unlock()
}

// RevokeTokens invalidates every token issued so far (as a secret reset
// or another client's fetch would).
func (p *Platform) RevokeTokens() {
	p.mu.Lock()
	now := p.now()
	for _, t := range p.tokens {
		if t.revoked.IsZero() {
			t.revoked = now
		}
	}
	p.current = ""
	p.mu.Unlock()
}

// Sent returns the accepted customer-service messages, oldest first.
func (p *Platform) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Typing returns the accepted typing commands.
func (p *Platform) Typing() []Typing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Typing(nil), p.typing...)
}

// TokenFetches is how many tokens were issued.
func (p *Platform) TokenFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetches
}

// Calls is how many requests reached path (including refused ones).
func (p *Platform) Calls(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[path]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

// injected answers an injected failure for path, if one is due.
func (p *Platform) injected(w http.ResponseWriter, path string) bool {
	p.calls[path]++
	if p.fail5xx[path] > 0 {
		p.fail5xx[path]--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return true
	}
	if codes := p.failNext[path]; len(codes) > 0 {
		p.failNext[path] = codes[1:]
		writeErr(w, codes[0], "injected failure")
		return true
	}
	return false
}

func (p *Platform) serveToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected(w, r.URL.Path) {
		return
	}
	q := r.URL.Query()
	switch {
	case q.Get("grant_type") != "client_credential":
		writeErr(w, 40002, "invalid grant_type")
		return
	case q.Get("appid") != p.AppID:
		writeErr(w, CodeBadAppID, "invalid appid")
		return
	case q.Get("secret") != p.Secret:
		writeErr(w, CodeBadSecret, "invalid appsecret")
		return
	}
	now := p.now()
	if old := p.tokens[p.current]; old != nil {
		old.revoked = now.Add(p.Grace)
	}
	p.seq++
	p.fetches++
	v := fmt.Sprintf("TOKEN_%s_%d", p.AppID, p.seq)
	p.tokens[v] = &token{issued: now, expires: now.Add(TokenTTL)}
	p.current = v
	writeJSON(w, map[string]any{"access_token": v, "expires_in": int(TokenTTL / time.Second)})
}

// authorize checks the access_token of r; it writes the error and returns
// false when the token is not valid now.
func (p *Platform) authorize(w http.ResponseWriter, r *http.Request) bool {
	t := p.tokens[r.URL.Query().Get("access_token")]
	now := p.now()
	switch {
	case t == nil:
		writeErr(w, CodeBadToken, "invalid credential, access_token is invalid or not latest")
		return false
	case !t.revoked.IsZero() && !now.Before(t.revoked):
		writeErr(w, CodeBadToken, "invalid credential, access_token is invalid or not latest")
		return false
	case !now.Before(t.expires):
		writeErr(w, CodeExpired, "access_token expired")
		return false
	}
	return true
}

// useWindow spends one message of openid's window.
func (p *Platform) useWindow(w http.ResponseWriter, openid string, spend bool) bool {
	win := p.windows[openid]
	if win == nil || !p.now().Before(win.until) {
		writeErr(w, CodeOutOfTime, "response out of time limit or subscription is canceled")
		return false
	}
	if !spend {
		return true
	}
	if win.left <= 0 {
		writeErr(w, CodeOutOfQuota, "reach max api daily quota limit / out of response count limit")
		return false
	}
	win.left--
	return true
}

type sendBody struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Command string `json:"command"`
}

func (p *Platform) serveSend(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected(w, r.URL.Path) || !p.authorize(w, r) {
		return
	}
	var b sendBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&b); err != nil {
		writeErr(w, CodeBadBody, "data format error")
		return
	}
	if b.ToUser == "" {
		writeErr(w, CodeBadOpenID, "invalid openid")
		return
	}
	if b.MsgType != "text" || b.Text == nil || b.Text.Content == "" {
		writeErr(w, 40008, "invalid message type")
		return
	}
	if len(b.Text.Content) > MaxTextBytes {
		writeErr(w, CodeTooLong, "content size out of limit")
		return
	}
	if !p.useWindow(w, b.ToUser, true) {
		return
	}
	p.sent = append(p.sent, Sent{ToUser: b.ToUser, MsgType: b.MsgType, Text: b.Text.Content, At: p.now()})
	writeErr(w, 0, "ok")
}

func (p *Platform) serveTyping(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected(w, r.URL.Path) || !p.authorize(w, r) {
		return
	}
	var b sendBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&b); err != nil {
		writeErr(w, CodeBadBody, "data format error")
		return
	}
	if b.Command != "Typing" && b.Command != "CancelTyping" {
		writeErr(w, 40001+1, "invalid command") // 40002-style parameter error
		return
	}
	if !p.useWindow(w, b.ToUser, false) {
		return
	}
	p.typing = append(p.typing, Typing{ToUser: b.ToUser, Command: b.Command})
	writeErr(w, 0, "ok")
}

func (p *Platform) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected(w, r.URL.Path) || !p.authorize(w, r) {
		return
	}
	openid := r.URL.Query().Get("openid")
	if openid == "" {
		writeErr(w, CodeBadOpenID, "invalid openid")
		return
	}
	out := map[string]any{"subscribe": 1, "openid": openid, "language": "zh_CN", "subscribe_time": p.now().Unix()}
	if u := p.unionIDs[openid]; u != "" {
		out["unionid"] = u
	}
	writeJSON(w, out)
}
