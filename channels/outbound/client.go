package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Defaults for Client fields left zero.
const (
	DefaultAttempts         = 4
	DefaultBaseDelay        = 200 * time.Millisecond
	DefaultMaxDelay         = 5 * time.Second
	DefaultAttemptTimeout   = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20
)

// Client sends JSON requests to a platform API. A request is retried, with
// exponential backoff and full jitter, when it failed for a reason that may
// pass: a 5xx status, a timeout, a network error, or a business error the
// caller's Check marked Temporary. A 4xx status or any other business error
// is returned at once, so a refused request is never repeated.
//
// A zero Client is usable; it is safe for concurrent use once in use.
type Client struct {
	// HTTP sends the requests (default http.DefaultClient).
	HTTP *http.Client
	// Limiter, when set, is waited on before every attempt, retries
	// included, so the platform's quota is respected.
	Limiter *Limiter
	// Attempts is how many times a request is tried in all (default 4).
	Attempts int
	// BaseDelay is the backoff before the first retry; it doubles with each
	// retry up to MaxDelay (defaults 200ms and 5s). The actual wait is
	// drawn uniformly from [0, backoff] (full jitter), so nodes retrying the
	// same failure do not hit the platform in step; a Retry-After header on
	// a 503 is honoured as a lower bound.
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt (default 10s); the caller's context
	// bounds them all.
	AttemptTimeout time.Duration
	// MaxResponseBytes bounds a response body read (default 1 MiB).
	MaxResponseBytes int64
	// RetryTooManyRequests also retries 429 responses (honouring
	// Retry-After). Off by default: a platform that says 429 usually means
	// a quota the Limiter should have kept.
	RetryTooManyRequests bool
	// Logger receives one line per retried attempt; nil discards them.
	Logger *slog.Logger
	// Sleep waits d or until ctx is done (default: a timer). Tests replace
	// it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Request is one API call.
type Request struct {
	Method string // default POST when Body is set, GET otherwise
	URL    string
	Header http.Header
	// Body is encoded as JSON; nil sends no body. A []byte or
	// json.RawMessage is sent as it is.
	Body any
	// Op names the call in errors and logs ("douyin send").
	Op string
}

// Response is a platform's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// HTTPError is a response with a status outside 2xx.
type HTTPError struct {
	Status     int
	Body       []byte // at most the first 512 bytes
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("http status %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// Check inspects a 2xx response and returns the platform's business error,
// if any. Wrap the error with Temporary to have it retried.
type Check func(*Response) error

// Do sends req until it succeeds, fails for good, or the attempts or ctx
// run out. check, when not nil, runs on every 2xx response. The returned
// error wraps the last failure and ErrTemporary when that one was
// transient.
func (c *Client) Do(ctx context.Context, req Request, check Check) (*Response, error) {
	body, err := encodeBody(req.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", req.op(), err)
	}
	attempts := c.attempts()
	var last error
	for attempt := 1; ; attempt++ {
		if c.Limiter != nil {
			if err := c.Limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("%s: rate limit: %w", req.op(), errors.Join(err, last))
			}
		}
		resp, err := c.once(ctx, req, body)
		if err == nil && check != nil {
			err = check(resp)
		}
		if err == nil {
			return resp, nil
		}
		last = err
		if !IsTemporary(err) || attempt >= attempts || ctx.Err() != nil {
			return resp, fmt.Errorf("%s: attempt %d of %d: %w", req.op(), attempt, attempts, err)
		}
		wait := c.backoff(attempt)
		if ra := retryAfterOf(err); ra > wait {
			wait = min(ra, c.maxDelay()*4)
		}
		c.logger().Debug("retrying platform call", "op", req.op(), "attempt", attempt, "wait", wait, "err", err)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: waiting to retry: %w", req.op(), errors.Join(err, last))
		}
	}
}

// JSON sends req like Do and decodes a successful response body into out
// (when out is not nil). A body that is not JSON is a final error.
func (c *Client) JSON(ctx context.Context, req Request, out any, check Check) error {
	resp, err := c.Do(ctx, req, check)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", req.op(), err)
	}
	return nil
}

// once makes one attempt. Transport failures and 5xx are Temporary.
func (c *Client) once(ctx context.Context, req Request, body []byte) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout())
	defer cancel()
	method := req.Method
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(actx, method, req.URL, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range req.Header {
		hr.Header[k] = append([]string(nil), vs...)
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	hresp, err := c.httpClient().Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller gave up: not ours to retry
		}
		return nil, Temporary(err) // network error or attempt timeout
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.maxResponse()+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, Temporary(fmt.Errorf("read response: %w", err))
	}
	if int64(len(data)) > c.maxResponse() {
		return nil, fmt.Errorf("response larger than %d bytes", c.maxResponse())
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data}
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		return resp, nil
	}
	he := &HTTPError{Status: hresp.StatusCode, Body: data[:min(len(data), 512)], RetryAfter: parseRetryAfter(hresp.Header.Get("Retry-After"))}
	if hresp.StatusCode >= 500 || hresp.StatusCode == http.StatusTooManyRequests && c.RetryTooManyRequests {
		return resp, Temporary(he)
	}
	return resp, he
}

func encodeBody(b any) ([]byte, error) {
	switch v := b.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(b)
}

// backoff is the wait before retry number attempt (1-based): uniform in
// [0, min(MaxDelay, BaseDelay·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.maxDelay()
	if d := c.baseDelay() << min(attempt-1, 30); d > 0 && d < ceiling {
		ceiling = d
	}
	return rand.N(ceiling + 1)
}

func retryAfterOf(err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header in seconds; dates are rare
// on APIs and ignored.
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, 3600)) * time.Second
}

func (r Request) op() string {
	if r.Op != "" {
		return r.Op
	}
	return "outbound " + r.Method
}

func (c *Client) attempts() int {
	if c.Attempts <= 0 {
		return DefaultAttempts
	}
	return c.Attempts
}

func (c *Client) baseDelay() time.Duration {
	if c.BaseDelay <= 0 {
		return DefaultBaseDelay
	}
	return c.BaseDelay
}

func (c *Client) maxDelay() time.Duration {
	if c.MaxDelay <= 0 {
		return DefaultMaxDelay
	}
	return c.MaxDelay
}

func (c *Client) attemptTimeout() time.Duration {
	if c.AttemptTimeout <= 0 {
		return DefaultAttemptTimeout
	}
	return c.AttemptTimeout
}

func (c *Client) maxResponse() int64 {
	if c.MaxResponseBytes <= 0 {
		return DefaultMaxResponseBytes
	}
	return c.MaxResponseBytes
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return SleepContext(ctx, d)
}

// SleepContext waits d or until ctx is done, whichever comes first.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
