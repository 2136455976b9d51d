// Package wecomtest is an in-process fake of WeCom customer service
// (微信客服) for tests: gettoken, the kf callback (kf_msg_or_event, signed
// and encrypted with the corp id as receive id), sync_msg with cursors,
// callback tokens and has_more, send_msg and send_msg_on_event with the
// session-state and 48-hour rules, and service_state get/trans.
//
// Documented rules it enforces:
//   - gettoken returns the current token while it is valid (expires_in
//     7200); an unknown token is 40014, an expired one 42001. Set Reissue
//     to issue a new token on every fetch and invalidate the old one.
//   - sync_msg: limit 1-1000 (default 1000); a cursor resumes after the
//     last message returned; the callback token is valid 10 minutes.
//   - send_msg: allowed while the session is new (0) or with the bot (1),
//     within 48 hours of the customer's last message, at most 5 messages
//     per customer message; otherwise 95018 (session state invalid; the
//     fake uses it for the window and quota too). Text at most 2048 bytes.
//   - service states: 0 new, 1 bot, 2 queued for a human, 3 with a human
//     (needs servicer_userid), 4 ended.
package wecomtest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kairoscx/kairos/channels/wxcrypt"
)

// Documented limits and codes.
const (
	TokenTTL         = 7200 * time.Second
	CallbackTokenTTL = 10 * time.Minute
	WelcomeCodeTTL   = 20 * time.Second
	Window           = 48 * time.Hour
	Quota            = 5
	MaxTextBytes     = 2048
	CodeBadToken     = 40014
	CodeExpired      = 42001
	CodeSessionState = 95018
	CodeBadMsgToken  = 95007
	CodeBadCursor    = 95000
	CodeBadCode      = 40029
)

// Service states.
const (
	StateNew = iota
	StateBot
	StateQueued
	StateHuman
	StateEnded
)

// Sent is a message the fake accepted from the developer.
type Sent struct {
	MsgID, ToUser, OpenKfID, Text string
	Welcome                       bool
}

type session struct {
	state    int
	servicer string
	until    time.Time
	left     int
}

type callbackToken struct{ expires time.Time }

// Platform is the fake; safe for concurrent use.
type Platform struct {
	CorpID, Secret string
	// Reissue: every gettoken issues a new token and invalidates the
	// previous one.
	Reissue bool

	srv *httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	tokens    map[string]time.Time // token -> expiry
	current   string
	seq       int
	fetches   int
	log       map[string][]json.RawMessage // open_kfid -> messages
	cbTokens  map[string]callbackToken
	sessions  map[string]*session // kfid/user
	codes     map[string]time.Time
	sent      []Sent
	syncCalls int
	failNext  map[string][]int
}

// New starts the fake.
func New(corpID, secret string) *Platform {
	p := &Platform{CorpID: corpID, Secret: secret, now: time.Now, tokens: map[string]time.Time{},
		log: map[string][]json.RawMessage{}, cbTokens: map[string]callbackToken{}, sessions: map[string]*session{},
		codes: map[string]time.Time{}, failNext: map[string][]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", p.serveToken)
	mux.HandleFunc("POST /cgi-bin/kf/sync_msg", p.serveSync)
	mux.HandleFunc("POST /cgi-bin/kf/send_msg", p.serveSend)
	mux.HandleFunc("POST /cgi-bin/kf/send_msg_on_event", p.serveSendOnEvent)
	mux.HandleFunc("POST /cgi-bin/kf/service_state/get", p.serveStateGet)
	mux.HandleFunc("POST /cgi-bin/kf/service_state/trans", p.serveStateTrans)
	p.srv = httptest.NewServer(mux)
	return p
}

// URL is the api_base to configure.
func (p *Platform) URL() string { return p.srv.URL }

// Close stops the fake.
func (p *Platform) Close() { p.srv.Close() }

// SetClock replaces the clock.
func (p *Platform) SetClock(now func() time.Time) {
	p.mu.Lock()
	p.now = now
	p.mu.Unlock()
}

// FailNext makes the next calls to path return the given errcodes.
func (p *Platform) FailNext(path string, codes ...int) {
	p.mu.Lock()
	p.failNext[path] = append(p.failNext[path], codes...)
	p.mu.Unlock()
}

// RevokeTokens invalidates every issued token.
func (p *Platform) RevokeTokens() {
	p.mu.Lock()
	p.tokens = map[string]time.Time{}
	p.current = ""
	p.mu.Unlock()
}

func (p *Platform) sessionLocked(kfid, user string) *session {
	k := kfid + "/" + user
	s := p.sessions[k]
	if s == nil {
		s = &session{state: StateNew}
		p.sessions[k] = s
	}
	return s
}

// CustomerSays appends a customer's text message to the kf account's log
// and returns its msgid. It opens the 48-hour window.
func (p *Platform) CustomerSays(kfid, user, text string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	id := fmt.Sprintf("msg%06d", p.seq)
	now := p.now()
	s := p.sessionLocked(kfid, user)
	if s.state == StateEnded {
		s.state = StateNew
	}
	s.until, s.left = now.Add(Window), Quota
	m, _ := json.Marshal(map[string]any{"msgid": id, "open_kfid": kfid, "external_userid": user, "send_time": now.Unix(),
		"origin": 3, "msgtype": "text", "text": map[string]string{"content": text}})
	p.log[kfid] = append(p.log[kfid], m)
	return id
}

// EnterSession appends an enter_session event with a welcome code and
// returns the code.
func (p *Platform) EnterSession(kfid, user, scene string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	id := fmt.Sprintf("msg%06d", p.seq)
	code := fmt.Sprintf("WELCOME%06d", p.seq)
	now := p.now()
	p.codes[code] = now.Add(WelcomeCodeTTL)
	m, _ := json.Marshal(map[string]any{"msgid": id, "send_time": now.Unix(), "origin": 4, "msgtype": "event",
		"event": map[string]any{"event_type": "enter_session", "open_kfid": kfid, "external_userid": user, "scene": scene, "welcome_code": code}})
	p.log[kfid] = append(p.log[kfid], m)
	return code
}

// Sent returns what the developer sent, oldest first.
func (p *Platform) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// TokenFetches is how many times gettoken issued a token.
func (p *Platform) TokenFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetches
}

// SyncCalls is how many sync_msg calls were made.
func (p *Platform) SyncCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.syncCalls
}

// State is a session's service state and servicer.
func (p *Platform) State(kfid, user string) (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sessionLocked(kfid, user)
	return s.state, s.servicer
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

// begin takes the lock, answers injected failures and checks the token.
func (p *Platform) begin(w http.ResponseWriter, r *http.Request, auth bool) bool {
	if codes := p.failNext[r.URL.Path]; len(codes) > 0 {
		p.failNext[r.URL.Path] = codes[1:]
		writeErr(w, codes[0], "injected failure")
		return false
	}
	if !auth {
		return true
	}
	exp, ok := p.tokens[r.URL.Query().Get("access_token")]
	switch {
	case !ok:
		writeErr(w, CodeBadToken, "invalid access_token")
		return false
	case !p.now().Before(exp):
		writeErr(w, CodeExpired, "access_token expired")
		return false
	}
	return true
}

func (p *Platform) serveToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, false) {
		return
	}
	q := r.URL.Query()
	if q.Get("corpid") != p.CorpID || q.Get("corpsecret") != p.Secret {
		writeErr(w, 40001, "invalid secret")
		return
	}
	now := p.now()
	if exp, ok := p.tokens[p.current]; ok && now.Before(exp) && !p.Reissue {
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": p.current, "expires_in": int(exp.Sub(now) / time.Second)})
		return
	}
	if p.Reissue {
		delete(p.tokens, p.current)
	}
	p.fetches++
	p.seq++
	p.current = fmt.Sprintf("WWTOKEN%d", p.seq)
	p.tokens[p.current] = now.Add(TokenTTL)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": p.current, "expires_in": int(TokenTTL / time.Second)})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeErr(w, 47001, "data format error")
		return false
	}
	return true
}

func (p *Platform) serveSync(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, true) {
		return
	}
	p.syncCalls++
	var b struct {
		Cursor   string `json:"cursor"`
		Token    string `json:"token"`
		Limit    int    `json:"limit"`
		OpenKfID string `json:"open_kfid"`
	}
	if !decode(w, r, &b) {
		return
	}
	if b.Token != "" {
		if t, ok := p.cbTokens[b.Token]; !ok || !p.now().Before(t.expires) {
			writeErr(w, CodeBadMsgToken, "invalid msg token")
			return
		}
	}
	if b.Limit <= 0 {
		b.Limit = 1000
	}
	if b.Limit > 1000 {
		writeErr(w, 44004, "limit out of range")
		return
	}
	start := 0
	if b.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(b.Cursor, "CUR"))
		if err != nil || !strings.HasPrefix(b.Cursor, "CUR") || n < 0 || n > len(p.log[b.OpenKfID]) {
			writeErr(w, CodeBadCursor, "invalid cursor")
			return
		}
		start = n
	}
	all := p.log[b.OpenKfID]
	end := min(start+b.Limit, len(all))
	more := 0
	if end < len(all) {
		more = 1
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": fmt.Sprintf("CUR%d", end), "has_more": more, "msg_list": all[start:end]})
}

type textBody struct {
	ToUser   string `json:"touser"`
	OpenKfID string `json:"open_kfid"`
	MsgID    string `json:"msgid"`
	MsgType  string `json:"msgtype"`
	Code     string `json:"code"`
	Text     struct {
		Content string `json:"content"`
	} `json:"text"`
}

func (p *Platform) serveSend(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, true) {
		return
	}
	var b textBody
	if !decode(w, r, &b) {
		return
	}
	if b.MsgType != "text" || b.Text.Content == "" || b.ToUser == "" || b.OpenKfID == "" {
		writeErr(w, 40008, "invalid message")
		return
	}
	if len(b.Text.Content) > MaxTextBytes {
		writeErr(w, 45002, "content size out of limit")
		return
	}
	s := p.sessionLocked(b.OpenKfID, b.ToUser)
	if (s.state != StateNew && s.state != StateBot) || !p.now().Before(s.until) || s.left <= 0 {
		writeErr(w, CodeSessionState, "send msg session status invalid")
		return
	}
	s.left--
	if s.state == StateNew {
		s.state = StateBot
	}
	p.sent = append(p.sent, Sent{MsgID: b.MsgID, ToUser: b.ToUser, OpenKfID: b.OpenKfID, Text: b.Text.Content})
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": b.MsgID})
}

func (p *Platform) serveSendOnEvent(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, true) {
		return
	}
	var b textBody
	if !decode(w, r, &b) {
		return
	}
	exp, ok := p.codes[b.Code]
	if !ok || !p.now().Before(exp) {
		writeErr(w, CodeBadCode, "invalid code")
		return
	}
	delete(p.codes, b.Code)
	p.sent = append(p.sent, Sent{MsgID: b.MsgID, Text: b.Text.Content, Welcome: true})
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": b.MsgID})
}

func (p *Platform) serveStateGet(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, true) {
		return
	}
	var b struct {
		OpenKfID string `json:"open_kfid"`
		User     string `json:"external_userid"`
	}
	if !decode(w, r, &b) {
		return
	}
	s := p.sessionLocked(b.OpenKfID, b.User)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "service_state": s.state, "servicer_userid": s.servicer})
}

func (p *Platform) serveStateTrans(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.begin(w, r, true) {
		return
	}
	var b struct {
		OpenKfID string `json:"open_kfid"`
		User     string `json:"external_userid"`
		State    int    `json:"service_state"`
		Servicer string `json:"servicer_userid"`
	}
	if !decode(w, r, &b) {
		return
	}
	if b.State < StateBot || b.State > StateEnded || (b.State == StateHuman && b.Servicer == "") {
		writeErr(w, 95014, "invalid service state")
		return
	}
	s := p.sessionLocked(b.OpenKfID, b.User)
	s.state, s.servicer = b.State, b.Servicer
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// Notify pushes a kf_msg_or_event callback for kfid to target (the
// handler's URL) as WeCom does, signed and encrypted with token and
// encodingAESKey, and returns the HTTP status.
func (p *Platform) Notify(ctx context.Context, target, token, encodingAESKey, kfid string) (int, error) {
	c, err := wxcrypt.New(token, encodingAESKey, p.CorpID)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	p.seq++
	cbToken := fmt.Sprintf("ENCTOKEN%d", p.seq)
	now := p.now()
	p.cbTokens[cbToken] = callbackToken{expires: now.Add(CallbackTokenTTL)}
	p.mu.Unlock()
	type cd struct {
		Text string `xml:",cdata"`
	}
	inner, _ := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName cd       `xml:"ToUserName"`
		CreateTime int64    `xml:"CreateTime"`
		MsgType    cd       `xml:"MsgType"`
		Event      cd       `xml:"Event"`
		Token      cd       `xml:"Token"`
		OpenKfID   cd       `xml:"OpenKfId"`
	}{ToUserName: cd{p.CorpID}, CreateTime: now.Unix(), MsgType: cd{"event"}, Event: cd{"kf_msg_or_event"}, Token: cd{cbToken}, OpenKfID: cd{kfid}})
	enc, err := c.Encrypt(inner)
	if err != nil {
		return 0, err
	}
	body, _ := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName cd       `xml:"ToUserName"`
		Encrypt    cd       `xml:"Encrypt"`
		AgentID    cd       `xml:"AgentID"`
	}{ToUserName: cd{p.CorpID}, Encrypt: cd{enc}})
	ts := strconv.FormatInt(now.Unix(), 10)
	q := url.Values{"msg_signature": {wxcrypt.Signature(token, ts, "nonce1", enc)}, "timestamp": {ts}, "nonce": {"nonce1"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target+"?"+q.Encode(), strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
