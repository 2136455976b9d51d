package web

import (
	"net/http"
	"net/url"
	"strings"
)

// origins is the allow-list of page origins that may open /ws.
type origins struct {
	any   bool
	exact map[string]bool
}

func newOrigins(list []string) origins {
	o := origins{exact: make(map[string]bool, len(list))}
	for _, s := range list {
		s = normalizeOrigin(s)
		if s == "*" {
			o.any = true
			continue
		}
		if s != "" {
			o.exact[s] = true
		}
	}
	return o
}

func normalizeOrigin(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}

// checkOrigin allows requests without an Origin (non-browser clients), from
// pages on the gateway's own host, and from the allow-list. Anything else is
// refused so other sites cannot drive a visitor's chat from their pages.
func (h *Handler) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if h.origins.any || h.origins.exact[normalizeOrigin(origin)] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
