package proactive

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers.
const (
	HeaderSignature   = "X-Kairos-Signature"   // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderTimestamp   = "X-Kairos-Timestamp"   // Unix seconds
	HeaderIdempotency = "Idempotency-Key"      // the same for every retry of one firing's action
	HeaderTrigger     = "X-Kairos-Trigger"     // the trigger id
	defaultHookWait   = 5 * time.Second        // per attempt
	maxHookBody       = 64 << 10               // request body bound
	hookBackoff       = 500 * time.Millisecond // first retry delay, doubled each time
)

// WebhookPayload is the JSON body of a webhook call.
type WebhookPayload struct {
	V          int            `json:"v"`
	Trigger    string         `json:"trigger"`
	CustomerID string         `json:"customer_id"`
	At         time.Time      `json:"at"`
	Event      Event          `json:"event"`
	Data       map[string]any `json:"data,omitempty"`
}

// Sign computes the signature header value of a webhook body, for
// receivers to verify.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

type webhooks struct {
	client        *http.Client
	secret        func(string) string
	defaultSecret string
	sleep         func(context.Context, time.Duration) error
}

func newWebhooks(c *http.Client, secret func(string) string, def string) *webhooks {
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &webhooks{client: c, secret: secret, defaultSecret: def, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// send posts the webhook, retrying transport errors, timeouts, 429 and
// 5xx with exponential backoff; each attempt is cut off by the action's
// timeout.
func (h *webhooks) send(ctx context.Context, trigger string, s step) ActionResult {
	r := ActionResult{Type: ActWebhook}
	secret := h.defaultSecret
	if s.SecretEnv != "" {
		secret = h.secret(s.SecretEnv)
	}
	if secret == "" {
		r.Error = "no signing secret (set " + cmp.Or(s.SecretEnv, "the engine's default webhook secret") + ")"
		return r
	}
	ev := s.event
	body, err := json.Marshal(WebhookPayload{V: 1, Trigger: trigger, CustomerID: s.customer, At: s.at, Event: ev, Data: s.data})
	if err != nil {
		r.Error = "encode: " + err.Error()
		return r
	}
	if len(body) > maxHookBody {
		r.Error = fmt.Sprintf("body of %d bytes exceeds %d", len(body), maxHookBody)
		return r
	}
	wait := cmp.Or(s.Timeout.D(), defaultHookWait)
	attempts := 1 + s.Retries
	if s.Retries == 0 {
		attempts = 4 // default: 3 retries
	}
	for i := range attempts {
		r.Attempts = i + 1
		retry, err := h.attempt(ctx, trigger, s, secret, body, wait)
		if err == nil {
			r.OK, r.Error = true, ""
			return r
		}
		r.Error = err.Error()
		if !retry || i == attempts-1 {
			break
		}
		d := hookBackoff << i
		d += time.Duration(rand.Int64N(int64(d) / 2))
		if h.sleep(ctx, min(d, 30*time.Second)) != nil {
			break
		}
	}
	return r
}

func (h *webhooks) attempt(ctx context.Context, trigger string, s step, secret string, body []byte, wait time.Duration) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kairos-proactive/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign([]byte(secret), ts, body))
	req.Header.Set(HeaderIdempotency, s.idemKey)
	req.Header.Set(HeaderTrigger, trigger)
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			return true, fmt.Errorf("timed out after %s", wait)
		}
		return ctx.Err() == nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("status %d", resp.StatusCode)
	}
	return false, fmt.Errorf("status %d (not retried)", resp.StatusCode)
}
