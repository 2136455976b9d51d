package gateway

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", g.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{Registry: g.registry}))
	mux.Handle("/api/v1/knowledge/", g.adminOnly(g.knowledge.Handler()))
	mux.Handle("/api/v1/events", g.adminOnly(g.ingest.Handler()))
	mux.Handle("/api/v1/customers/", g.adminOnly(g.customers))
	mux.Handle("/api/v1/outcomes", g.adminOnly(g.outcomes))
	mux.Handle("/api/v1/outcomes/", g.adminOnly(g.outcomes))
	if g.proactive != nil {
		mux.Handle("/api/v1/triggers", g.adminOnly(g.proactive.handler))
		mux.Handle("/api/v1/triggers/", g.adminOnly(g.proactive.handler))
		mux.Handle("/api/v1/proactive/", g.adminOnly(g.proactive.handler))
	}
	mux.Handle("/api/v1/", g.adminOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API endpoint")
	})))
	g.web.Register(mux)
	mux.Handle("/console/", g.console.Handler())
	for _, p := range g.platforms {
		mux.Handle(p.path, p.handler)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/demo/", http.StatusFound)
	})
	return mux
}

// ready answers 200 only when the store and NATS can serve.
func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	problems := map[string]string{}
	if err := g.store.Ping(ctx); err != nil {
		problems["store"] = err.Error()
	}
	if !g.nc.IsConnected() {
		problems["nats"] = g.nc.Status().String()
	}
	w.Header().Set("Content-Type", "application/json")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"ready": false, "problems": problems})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ready": true})
}

// adminOnly guards the admin API: a bearer key when one is configured,
// otherwise direct loopback connections only. A request that came through a
// proxy (forwarding headers) is never taken for a local one.
func (g *Gateway) adminOnly(next http.Handler) http.Handler {
	key := []byte(g.cfg.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(key) > 0 {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), key) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kairos"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", "a valid Authorization: Bearer <KAIROS_API_KEY> header is required")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if !directLoopback(r) {
			writeError(w, http.StatusForbidden, "forbidden", "no API key is configured (KAIROS_API_KEY), so the admin API answers only direct loopback connections")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func directLoopback(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
