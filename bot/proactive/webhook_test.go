package proactive

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWebhookSignedRetriedAndCutOff(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls++
		n := calls
		keys = append(keys, r.Header.Get(HeaderIdempotency))
		mu.Unlock()
		if got, want := r.Header.Get(HeaderSignature), Sign([]byte("s3cret"), r.Header.Get(HeaderTimestamp), body); got != want {
			t.Errorf("signature %q, want %q", got, want)
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/hang"):
			<-r.Context().Done() // never answers
		case strings.HasSuffix(r.URL.Path, "/flaky") && n == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case strings.HasSuffix(r.URL.Path, "/bad"):
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	h := newWebhooks(srv.Client(), func(string) string { return "s3cret" }, "")
	h.sleep = func(context.Context, time.Duration) error { return nil }
	step := func(path string) step {
		return step{Action: Action{Type: ActWebhook, URL: srv.URL + path, SecretEnv: "X", Timeout: Duration(100 * time.Millisecond), Retries: 2},
			customer: "cus_1", idemKey: "k-" + path, data: map[string]any{"sku": "SN-LTD"}}
	}
	reset := func() { mu.Lock(); calls, keys = 0, nil; mu.Unlock() }

	r := h.send(context.Background(), "t", step("/flaky"))
	if !r.OK || r.Attempts != 2 || keys[0] != keys[1] {
		t.Errorf("flaky: %+v, keys %v: want success on the second attempt with one idempotency key", r, keys)
	}
	reset()
	started := time.Now()
	r = h.send(context.Background(), "t", step("/hang"))
	if r.OK || r.Attempts != 3 || !strings.Contains(r.Error, "timed out") {
		t.Errorf("hang: %+v, want 3 attempts cut off by the timeout", r)
	}
	if time.Since(started) > 20*time.Second {
		t.Errorf("a hanging webhook held the caller for %s", time.Since(started))
	}
	reset()
	r = h.send(context.Background(), "t", step("/bad"))
	if r.OK || r.Attempts != 1 {
		t.Errorf("400: %+v, want one attempt, not retried", r)
	}
	noSecret := newWebhooks(srv.Client(), func(string) string { return "" }, "")
	if r := noSecret.send(context.Background(), "t", step("/ok")); r.OK || !strings.Contains(r.Error, "secret") {
		t.Errorf("without a secret: %+v, want refused", r)
	}
}
