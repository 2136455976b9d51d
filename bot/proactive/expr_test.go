package proactive

import "testing"

func TestURLPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://shop.example.com/demo/Refund-Policy.html?x=1#top": "/demo/refund-policy.html",
		"/demo/refund-policy.html":                                 "/demo/refund-policy.html",
		"https://shop.example.com":                                 "/",
		"":                                                         "",
		"/a%2Fb/REFUND":                                            "/a/b/refund",
	} {
		if got := urlPath(in); got != want {
			t.Errorf("urlPath(%q) = %q, want %q", in, got, want)
		}
	}
}
