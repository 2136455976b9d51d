// Package douyintest is an in-process fake of the Douyin Open Platform for
// tests: the OAuth token endpoints (client_token, refresh_token with token
// expiry), the IM send API (/im/send/msg/) with its 24-hour reply window,
// rate limit and documented error codes, and webhook bodies signed like the
// platform signs them.
package douyintest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Error codes the fake returns, as documented.
const (
	CodeBusy         = 28001005
	CodeBadParam     = 28001007
	CodeTokenExpired = 28001008
	CodeTokenOpenID  = 28001015 // access_token and open_id do not match
	CodeTooFrequent  = 28003018
	CodeBadClient    = 20010013 // client_key or client_secret wrong
	CodeRefreshGone  = 10010    // refresh_token expired
)

// Platform rules the fake enforces.
const (
	AccessTTL   = 15 * 24 * time.Hour // access_token (user authorization)
	ClientTTL   = 2 * time.Hour       // client_token
	ReplyWindow = 24 * time.Hour      // a msg_id can be answered this long
)

// Sent is a message the send API accepted.
type Sent struct {
	OpenID         string // the sending business account
	ToUserID       string
	ConversationID string
	MsgID          string
	Scene          string
	Text           string
}

// Platform is the fake. Create it with New; it is safe for concurrent use.
type Platform struct {
	ClientKey, ClientSecret string
	// OpenID and RefreshToken are the business account's authorization.
	OpenID, RefreshToken string

	srv *httptest.Server

	mu           sync.Mutex
	now          func() time.Time
	accessTTL    time.Duration
	access       map[string]time.Time // token -> expiry
	current      string               // the account's current access token
	clientTokens []string             // newest last; only the latest two are valid
	clientExp    map[string]time.Time
	msgs         map[string]time.Time // msg_id -> created
	sent         []Sent
	calls        map[string]int
	fail5xx      int // next send calls answering 502
	failBusy     int // next send calls answering CodeBusy
	rateLimited  int // next send calls answering CodeTooFrequent
	nextID       int
}

// New starts a fake for one app and one business account.
func New(clientKey, clientSecret, openID, refreshToken string) *Platform {
	p := &Platform{
		ClientKey: clientKey, ClientSecret: clientSecret, OpenID: openID, RefreshToken: refreshToken,
		now: time.Now, accessTTL: AccessTTL,
		access: map[string]time.Time{}, clientExp: map[string]time.Time{}, msgs: map[string]time.Time{},
		calls: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/client_token/", p.clientToken)
	mux.HandleFunc("POST /oauth/refresh_token/", p.refreshToken)
	mux.HandleFunc("POST /im/send/msg/", p.sendMsg)
	p.srv = httptest.NewServer(mux)
	return p
}

// URL is the api_base to configure.
func (p *Platform) URL() string { return p.srv.URL }

// Close stops the fake.
func (p *Platform) Close() { p.srv.Close() }

// SetClock replaces the fake's clock.
func (p *Platform) SetClock(now func() time.Time) {
	p.mu.Lock()
	p.now = now
	p.mu.Unlock()
}

// SetAccessTTL sets how long issued access tokens live.
func (p *Platform) SetAccessTTL(d time.Duration) {
	p.mu.Lock()
	p.accessTTL = d
	p.mu.Unlock()
}

// Fail5xx makes the next n send calls answer 502 Bad Gateway.
func (p *Platform) Fail5xx(n int) { p.mu.Lock(); p.fail5xx = n; p.mu.Unlock() }

// FailBusy makes the next n send calls answer the "system busy" code.
func (p *Platform) FailBusy(n int) { p.mu.Lock(); p.failBusy = n; p.mu.Unlock() }

// RateLimit makes the next n send calls answer "request rate too high".
func (p *Platform) RateLimit(n int) { p.mu.Lock(); p.rateLimited = n; p.mu.Unlock() }

// ExpireAccessTokens makes every issued access token expired now, as the
// platform's periodic authorization checks may.
func (p *Platform) ExpireAccessTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.access {
		p.access[k] = time.Time{}
	}
}

// Sent returns the messages the send API accepted, in order.
func (p *Platform) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Calls is how many requests path received (accepted or not).
func (p *Platform) Calls(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[path]
}

// Sign is the X-Douyin-Signature of body.
func Sign(clientSecret string, body []byte) string {
	h := sha1.New()
	h.Write([]byte(clientSecret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Webhook is a webhook the platform would post: its body, signature and
// Msg-Id header.
type Webhook struct {
	Body      []byte
	Signature string
	MsgID     string
	// ServerMessageID is the content's message id, answerable for 24
	// hours.
	ServerMessageID string
}

// Request builds the POST of w to url.
func (w Webhook) Request(url string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(w.Body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Douyin-Signature", w.Signature)
	if w.MsgID != "" {
		r.Header.Set("Msg-Id", w.MsgID)
	}
	return r
}

// Message is a user's private message to the business account. With
// contentAsString the content comes as a JSON string, as some deliveries
// send it; otherwise as an object.
func (p *Platform) Message(fromOpenID, messageType, text string, contentAsString bool) Webhook {
	return p.event("im_receive_msg", fromOpenID, p.OpenID, messageType, text, contentAsString, "")
}

// Echo is the im_send_msg event that follows a message sent through the
// API (source is the app's client key).
func (p *Platform) Echo(toOpenID, text string) Webhook {
	return p.event("im_send_msg", p.OpenID, toOpenID, "text", text, false, p.ClientKey)
}

// Enter is a user opening the business account's message page.
func (p *Platform) Enter(fromOpenID string) Webhook {
	return p.event("im_enter_direct_msg", fromOpenID, p.OpenID, "", "", true, "")
}

// Verify is the verify_webhook challenge.
func (p *Platform) Verify(challenge int64) Webhook {
	body := []byte(fmt.Sprintf(`{"event":"verify_webhook","client_key":"","content":{"challenge":%d}}`, challenge))
	return Webhook{Body: body, Signature: Sign(p.ClientSecret, body)}
}

func (p *Platform) event(event, from, to, messageType, text string, asString bool, source string) Webhook {
	p.mu.Lock()
	p.nextID++
	n := p.nextID
	now := p.now()
	p.mu.Unlock()
	smid := fmt.Sprintf("@smid%08d+%s==", n, hex.EncodeToString([]byte(from))[:8])
	content := map[string]any{
		"conversation_short_id": "@conv+" + hex.EncodeToString([]byte(from)) + "==",
		"server_message_id":     smid,
		"conversation_type":     1,
		"create_time":           now.UnixMilli(),
		"user_infos":            []map[string]string{{"open_id": from, "nick_name": "用户" + strconv.Itoa(n), "avatar": "https://example.invalid/a.png"}},
	}
	if messageType != "" {
		content["message_type"] = messageType
		content["source"] = source
	}
	if messageType == "text" {
		content["text"] = text
	}
	var c any = content
	if asString {
		b, _ := json.Marshal(content)
		c = string(b)
	}
	body, _ := json.Marshal(map[string]any{
		"event": event, "client_key": p.ClientKey, "from_user_id": from, "to_user_id": to,
		"log_id": fmt.Sprintf("2025%016d", n), "content": c,
	})
	p.mu.Lock()
	p.msgs[smid] = now
	p.mu.Unlock()
	return Webhook{Body: body, Signature: Sign(p.ClientSecret, body), MsgID: fmt.Sprintf("msg-%d-%s", n, event), ServerMessageID: smid}
}

func (p *Platform) count(r *http.Request) {
	p.mu.Lock()
	p.calls[r.URL.Path]++
	p.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError answers in the OAuth endpoints' shape.
func oauthError(w http.ResponseWriter, code int, desc string) {
	writeJSON(w, map[string]any{"data": map[string]any{"error_code": code, "description": desc}, "message": "error"})
}

// apiError answers in the OpenAPI shape.
func (p *Platform) apiError(w http.ResponseWriter, code int, desc string) {
	writeJSON(w, map[string]any{"data": map[string]any{}, "extra": map[string]any{
		"error_code": code, "description": desc, "sub_error_code": 0, "sub_description": "", "logid": "fake", "now": p.now().Unix(),
	}})
}

func (p *Platform) clientToken(w http.ResponseWriter, r *http.Request) {
	p.count(r)
	var req struct {
		ClientKey    string `json:"client_key"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.GrantType != "client_credential" {
		oauthError(w, 20010002, "参数错误")
		return
	}
	if req.ClientKey != p.ClientKey || req.ClientSecret != p.ClientSecret {
		oauthError(w, CodeBadClient, "client_key 或者 client_secret 报错")
		return
	}
	p.mu.Lock()
	p.nextID++
	tok := fmt.Sprintf("clt.fake%08d", p.nextID)
	p.clientTokens = append(p.clientTokens, tok)
	p.clientExp[tok] = p.now().Add(ClientTTL)
	if len(p.clientTokens) > 2 {
		// A new token leaves the previous one valid (briefly); older ones
		// are gone.
		for _, old := range p.clientTokens[:len(p.clientTokens)-2] {
			delete(p.clientExp, old)
		}
		p.clientTokens = p.clientTokens[len(p.clientTokens)-2:]
	}
	p.mu.Unlock()
	writeJSON(w, map[string]any{"data": map[string]any{"access_token": tok, "description": "", "error_code": 0, "expires_in": int(ClientTTL.Seconds())}, "message": "success"})
}

// ClientTokenValid reports whether a client_token would be accepted now.
func (p *Platform) ClientTokenValid(tok string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	exp, ok := p.clientExp[tok]
	return ok && p.now().Before(exp)
}

// refreshToken implements /oauth/refresh_token/: an unexpired access token
// is kept (its expiry extended); an expired one is replaced.
func (p *Platform) refreshToken(w http.ResponseWriter, r *http.Request) {
	p.count(r)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		oauthError(w, 10005, "参数缺失")
		return
	}
	if r.PostForm.Get("client_key") != p.ClientKey {
		oauthError(w, CodeBadClient, "client_key 错误")
		return
	}
	if r.PostForm.Get("refresh_token") != p.RefreshToken {
		oauthError(w, CodeRefreshGone, "refresh_token 已过期")
		return
	}
	p.mu.Lock()
	now := p.now()
	if exp, ok := p.access[p.current]; !ok || !now.Before(exp) {
		p.nextID++
		p.current = fmt.Sprintf("act.fake%08d", p.nextID)
	}
	p.access[p.current] = now.Add(p.accessTTL)
	tok, ttl := p.current, p.accessTTL
	p.mu.Unlock()
	writeJSON(w, map[string]any{"data": map[string]any{
		"access_token": tok, "description": "", "error_code": 0, "expires_in": strconv.Itoa(int(ttl.Seconds())),
		"open_id": p.OpenID, "refresh_expires_in": "2592000", "refresh_token": p.RefreshToken, "scope": "im.direct_message",
	}, "message": "success"})
}

func (p *Platform) sendMsg(w http.ResponseWriter, r *http.Request) {
	p.count(r)
	p.mu.Lock()
	now := p.now()
	switch {
	case p.fail5xx > 0:
		p.fail5xx--
		p.mu.Unlock()
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	case p.failBusy > 0:
		p.failBusy--
		p.mu.Unlock()
		p.apiError(w, CodeBusy, "系统繁忙,此时请开发者稍候再试")
		return
	case p.rateLimited > 0:
		p.rateLimited--
		p.mu.Unlock()
		p.apiError(w, CodeTooFrequent, "请求频率过高")
		return
	}
	exp, ok := p.access[r.Header.Get("access-token")]
	p.mu.Unlock()
	if !ok || !now.Before(exp) {
		p.apiError(w, CodeTokenExpired, "access_token过期,请刷新或重新授权")
		return
	}
	if r.URL.Query().Get("open_id") != p.OpenID {
		p.apiError(w, CodeTokenOpenID, "请求参数 access_token 和 openId不匹配")
		return
	}
	var req struct {
		MsgID          string `json:"msg_id"`
		ConversationID string `json:"conversation_id"`
		ToUserID       string `json:"to_user_id"`
		Scene          string `json:"scene"`
		Content        struct {
			MsgType int `json:"msg_type"`
			Text    struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"content"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.ToUserID == "" || req.ConversationID == "" ||
		req.Content.MsgType != 1 || req.Content.Text.Text == "" {
		p.apiError(w, CodeBadParam, "参数不合法")
		return
	}
	p.mu.Lock()
	created, known := p.msgs[req.MsgID]
	if !known || !now.Before(created.Add(ReplyWindow)) {
		p.mu.Unlock()
		p.apiError(w, CodeBadParam, "参数不合法: msg_id 不存在或已过期")
		return
	}
	p.nextID++
	id := fmt.Sprintf("@sent%08d==", p.nextID)
	p.sent = append(p.sent, Sent{OpenID: p.OpenID, ToUserID: req.ToUserID, ConversationID: req.ConversationID,
		MsgID: req.MsgID, Scene: req.Scene, Text: req.Content.Text.Text})
	p.mu.Unlock()
	writeJSON(w, map[string]any{"data": map[string]any{"msg_id": id}, "extra": map[string]any{
		"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": "fake", "now": now.Unix(),
	}})
}
