package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	e := newEnv(t, nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pages := []string{"/demo/", "/demo/index.html", "/demo/product-water-purifier.html",
		"/demo/product-water-filter.html", "/demo/product-baby-formula.html", "/demo/product-jacket.html",
		"/demo/product-sneaker-limited.html", "/demo/cart.html", "/demo/refund-policy.html", "/demo/membership.html"}
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			body, resp := get(t, client, e.srv.URL+p)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if !strings.Contains(body, `<script src="/widget.js" async></script>`) {
				t.Fatal("page does not embed the widget")
			}
			if strings.Contains(body, "https://") || strings.Contains(body, "http://") {
				t.Fatal("demo page makes external requests")
			}
		})
	}
	t.Run("widget", func(t *testing.T) {
		body, resp := get(t, client, e.srv.URL+"/widget.js")
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "text/javascript; charset=utf-8" ||
			h.Get("Cache-Control") == "" || h.Get("ETag") == "" || !strings.Contains(body, "attachShadow") {
			t.Fatalf("status %d, headers %v", resp.StatusCode, h)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/widget.js", nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		resp2, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation status %d, want 304", resp2.StatusCode)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		_, resp := get(t, client, e.srv.URL+"/demo")
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/demo/" {
			t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("missing and traversal", func(t *testing.T) {
		for _, p := range []string{"/demo/nope.html", "/demo/../web.go", "/demo/%2e%2e/web.go"} {
			if _, resp := get(t, client, e.srv.URL+p); resp.StatusCode == 200 {
				t.Fatalf("%s served", p)
			}
		}
	})
}

func get(t *testing.T, c *http.Client, url string) (string, *http.Response) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp
}
