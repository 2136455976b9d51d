package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The insights dashboard (/console/insights) shows the outcome figures of
// the gateway's admin API (GET /api/v1/outcomes, docs/metrics.md) as
// charts. Only admins see it: the figures are about the whole service.

// forbiddenPage is what an agent (not an admin) gets for the dashboard.
const forbiddenPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kairos — 403</title><link rel="stylesheet" href="assets/console.css"></head>
<body><main class="forbidden"><h1>403</h1>
<p lang="zh-CN">数据看板仅限管理员查看。</p>
<p lang="en">The insights dashboard is for admins only.</p>
<p><a href="./">← Kairos 客服台 / console</a></p></main></body></html>
`

// serveInsights serves the dashboard page to admins; without a session it
// sends the browser to the login (which comes back here), and an agent
// gets 403.
func (c *Console) serveInsights(w http.ResponseWriter, r *http.Request) {
	a, status, code := c.authenticate(r)
	switch {
	case status == http.StatusUnauthorized:
		http.Redirect(w, r, c.cfg.Prefix+"#insights", http.StatusSeeOther)
		return
	case status != 0:
		writeErr(w, status, code, statusText(code))
		return
	case !a.agent.IsAdmin():
		h := w.Header()
		securityHeaders(h)
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(forbiddenPage))
		return
	}
	serve(w, r, c.assets.insights)
}

// insightsParams checks the dashboard's query before it reaches the
// gateway: from and to are dates (YYYY-MM-DD) or RFC 3339 times, by and
// interval one of the API's values. The gateway validates the period
// itself (order, length) and its answer is passed on.
func insightsParams(q url.Values) (url.Values, string) {
	out := url.Values{}
	for _, k := range []string{"from", "to"} {
		v := strings.TrimSpace(q.Get(k))
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return nil, k + ": want a date (YYYY-MM-DD) or an RFC 3339 time"
			}
		}
		out.Set(k, v)
	}
	switch by := q.Get("by"); by {
	case "", "none":
	case "trigger", "channel", "segment":
		out.Set("by", by)
	default:
		return nil, "by: want trigger, channel or segment"
	}
	switch iv := q.Get("interval"); iv {
	case "":
	case "day", "week", "month":
		out.Set("interval", iv)
	default:
		return nil, "interval: want day, week or month"
	}
	return out, ""
}

// insightsData answers the dashboard's figures: GET /api/v1/outcomes of
// the gateway, passed through (a 400 of the gateway becomes the console's
// error shape with the gateway's message).
func (c *Console) insightsData(w http.ResponseWriter, r *http.Request, _ authedRequest) {
	if c.cfg.APIBase == "" {
		writeErr(w, http.StatusServiceUnavailable, "no_api", "no admin API is configured for the outcome figures")
		return
	}
	q, bad := insightsParams(r.URL.Query())
	if bad != "" {
		writeErr(w, http.StatusBadRequest, "invalid", bad)
		return
	}
	status, data, err := c.apiCall(r.Context(), http.MethodGet, "/api/v1/outcomes?"+q.Encode(), nil)
	switch {
	case err != nil:
		c.logger.Warn("outcomes API", "err", err)
		writeErr(w, http.StatusBadGateway, "api_unavailable", "the outcomes API did not answer")
	case status == http.StatusBadRequest:
		var e struct {
			Error string `json:"error"`
		}
		msg := "the outcomes API refused the period"
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		writeErr(w, http.StatusBadRequest, "invalid", msg)
	case status != http.StatusOK:
		c.logger.Warn("outcomes API", "status", status, "body", clipBytes(data, 300))
		writeErr(w, http.StatusBadGateway, "api_error", "the outcomes API answered with an error")
	case !json.Valid(data):
		writeErr(w, http.StatusBadGateway, "api_invalid", "the outcomes API answered with something other than JSON")
	default:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
	}
}

func clipBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
