package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CookieName is the session cookie.
const CookieName = "kairos_console"

const maxJSONBody = 16 << 10

func (c *Console) routes() *http.ServeMux {
	p := c.cfg.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"{$}", c.serveIndex)
	mux.HandleFunc("GET "+p+"assets/{file}", c.serveAsset)
	mux.HandleFunc("GET "+p+"assets/vendor/{file}", c.serveVendor)
	mux.HandleFunc("GET "+p+"insights", c.serveInsights)
	mux.HandleFunc("GET "+p+"api/insights", c.authed(false, c.adminOnly(c.insightsData)))
	mux.HandleFunc("POST "+p+"api/login", c.login)
	mux.HandleFunc("POST "+p+"api/logout", c.authed(true, c.logout))
	mux.HandleFunc("GET "+p+"api/me", c.authed(false, c.me))
	mux.HandleFunc("GET "+p+"api/approvals", c.authed(false, c.adminOnly(c.approvals)))
	mux.HandleFunc("POST "+p+"api/approvals/{id}/{verb}", c.authed(true, c.adminOnly(c.decide)))
	mux.HandleFunc("GET "+p+"ws", c.serveWS)
	return mux
}

// apiError is the JSON error body of every console API answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		// A form post from another site cannot set this content type
		// without a CORS preflight, which we never answer.
		writeErr(w, http.StatusUnsupportedMediaType, "want_json", "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid_json", "the body is not the JSON expected")
		return false
	}
	return true
}

// sameOrigin allows requests without an Origin (non-browser clients, which
// carry no ambient cookie), from pages on the console's own host, and from
// Config.AllowedOrigins. It guards the WebSocket upgrade and every POST.
func (c *Console) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	if c.origins.allowed(origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

type origins map[string]bool

func newOrigins(list []string) origins {
	o := origins{}
	for _, s := range list {
		if s = normalizeOrigin(s); s != "" {
			o[s] = true
		}
	}
	return o
}

func normalizeOrigin(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}

func (o origins) allowed(origin string) bool { return o[normalizeOrigin(origin)] }

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type ctxKey struct{}

// authedRequest is what an authenticated handler gets.
type authedRequest struct {
	sess  Session
	agent Agent
}

// authed checks the session cookie (and, for state-changing requests, the
// origin and the CSRF token) before calling h. The account is read afresh
// on every request, so a deleted account or changed role takes effect at
// once.
func (c *Console) authed(changes bool, h func(http.ResponseWriter, *http.Request, authedRequest)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, status, code := c.authenticate(r)
		if status != 0 {
			writeErr(w, status, code, statusText(code))
			return
		}
		if changes {
			if !c.sameOrigin(r) {
				writeErr(w, http.StatusForbidden, "bad_origin", "request from another site refused")
				return
			}
			if !a.sess.CheckCSRF(r.Header.Get("X-CSRF-Token")) {
				writeErr(w, http.StatusForbidden, "bad_csrf", "missing or wrong CSRF token")
				return
			}
		}
		h(w, r, a)
	}
}

func statusText(code string) string {
	switch code {
	case "unauthenticated":
		return "log in first"
	case "unavailable":
		return "the account store is unavailable"
	}
	return code
}

func (c *Console) authenticate(r *http.Request) (authedRequest, int, string) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return authedRequest{}, http.StatusUnauthorized, "unauthenticated"
	}
	sess, err := c.sessions.Get(r.Context(), ck.Value)
	if errors.Is(err, ErrNotFound) {
		return authedRequest{}, http.StatusUnauthorized, "unauthenticated"
	}
	if err != nil {
		c.logger.Warn("session lookup failed", "err", err)
		return authedRequest{}, http.StatusServiceUnavailable, "unavailable"
	}
	agent, err := c.accounts.Get(r.Context(), sess.Agent)
	if errors.Is(err, ErrNotFound) {
		return authedRequest{}, http.StatusUnauthorized, "unauthenticated"
	}
	if err != nil {
		c.logger.Warn("account lookup failed", "err", err)
		return authedRequest{}, http.StatusServiceUnavailable, "unavailable"
	}
	return authedRequest{sess: sess, agent: agent}, 0, ""
}

func (c *Console) adminOnly(h func(http.ResponseWriter, *http.Request, authedRequest)) func(http.ResponseWriter, *http.Request, authedRequest) {
	return func(w http.ResponseWriter, r *http.Request, a authedRequest) {
		if !a.agent.IsAdmin() {
			writeErr(w, http.StatusForbidden, "forbidden", "admins only")
			return
		}
		h(w, r, a)
	}
}

// agentView is an account as the browser sees it: never the hash.
type agentView struct {
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Queues   []string `json:"queues"`
	MaxChats int      `json:"max_chats"`
}

func viewOf(a Agent) agentView {
	return agentView{Name: a.Name, Role: a.Role, Queues: a.Queues, MaxChats: a.MaxChats}
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if !c.sameOrigin(r) {
		writeErr(w, http.StatusForbidden, "bad_origin", "request from another site refused")
		return
	}
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	name, ip := NormalizeName(body.Name), clientIP(r)
	if len(name) > 64 {
		name = name[:64]
	}
	if ok, wait := c.limiter.allowed(name, ip); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeErr(w, http.StatusTooManyRequests, "rate_limited", "too many failed logins; try again later")
		return
	}
	agent, err := c.accounts.Verify(r.Context(), name, body.Password)
	if errors.Is(err, ErrUnauthorized) {
		c.limiter.failed(name, ip)
		c.logger.Info("login failed", "agent", name, "ip", ip)
		writeErr(w, http.StatusUnauthorized, "bad_login", "wrong name or password")
		return
	}
	if err != nil {
		c.logger.Warn("login: account store", "err", err)
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "the account store is unavailable")
		return
	}
	c.limiter.succeeded(name)
	sess, err := c.sessions.Create(r.Context(), agent.Name)
	if err != nil {
		c.logger.Warn("login: session store", "err", err)
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "the session store is unavailable")
		return
	}
	http.SetCookie(w, c.cookie(sess.ID, sess.ExpiresAt))
	c.logger.Info("login", "agent", agent.Name)
	writeJSON(w, http.StatusOK, c.meBody(agent, sess))
}

func (c *Console) cookie(value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     c.cfg.Prefix,
		HttpOnly: true,
		Secure:   c.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	return ck
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, a authedRequest) {
	if err := c.sessions.Delete(r.Context(), a.sess.ID); err != nil {
		c.logger.Warn("logout", "err", err)
	}
	c.hub.dropSession(a.sess.ID)
	http.SetCookie(w, c.cookie("", time.Time{}))
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (c *Console) me(w http.ResponseWriter, _ *http.Request, a authedRequest) {
	writeJSON(w, http.StatusOK, c.meBody(a.agent, a.sess))
}

// meBody is what login and api/me tell the browser: who it is, its CSRF
// token, and whether it may use the approval queue and the insights
// dashboard.
func (c *Console) meBody(a Agent, s Session) map[string]any {
	api := c.cfg.APIBase != "" && a.IsAdmin()
	return map[string]any{"agent": viewOf(a), "csrf": s.CSRF, "approvals": api, "insights": api}
}

// apiCall forwards a request to the gateway's admin API.
func (c *Console) apiCall(ctx context.Context, method, path string, body any) (int, []byte, error) {
	if c.cfg.APIBase == "" {
		return 0, nil, errors.New("no admin API configured")
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = strings.NewReader(string(data))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.APIBase+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, data, err
}

func (c *Console) forward(w http.ResponseWriter, status int, data []byte, err error) {
	if err != nil {
		c.logger.Warn("approval API", "err", err)
		writeErr(w, http.StatusBadGateway, "api_unavailable", "the approval API did not answer")
		return
	}
	if !json.Valid(data) {
		writeErr(w, http.StatusBadGateway, "api_invalid", "the approval API answered with something other than JSON")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (c *Console) approvals(w http.ResponseWriter, r *http.Request, _ authedRequest) {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "approved", "rejected", "failed", "all":
	default:
		writeErr(w, http.StatusBadRequest, "invalid_status", "status: want pending, approved, rejected, failed or all")
		return
	}
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	code, data, err := c.apiCall(r.Context(), http.MethodGet, "/api/v1/proactive/approvals?"+q.Encode(), nil)
	c.forward(w, code, data, err)
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, a authedRequest) {
	verb, id := r.PathValue("verb"), r.PathValue("id")
	if verb != "approve" && verb != "edit" && verb != "reject" {
		writeErr(w, http.StatusNotFound, "not_found", "want approve, edit or reject")
		return
	}
	if id == "" || len(id) > 200 {
		writeErr(w, http.StatusBadRequest, "invalid_id", "bad draft id")
		return
	}
	var body struct {
		Text string `json:"text"`
		Note string `json:"note"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if verb == "edit" && strings.TrimSpace(body.Text) == "" {
		writeErr(w, http.StatusBadRequest, "invalid", "an edit needs the new text")
		return
	}
	out := map[string]string{"by": a.agent.Name}
	switch verb {
	case "edit":
		out["text"] = body.Text
	case "reject":
		out["note"] = body.Note
	}
	code, data, err := c.apiCall(r.Context(), http.MethodPost, "/api/v1/proactive/approvals/"+url.PathEscape(id)+"/"+verb, out)
	c.forward(w, code, data, err)
}
