package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// script is a test server answering each call with the next status.
func script(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		st := statuses[min(n, len(statuses))-1]
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"call":%d,"echo":%s}`, n, orNull(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func orNull(b []byte) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}

// noSleep records the backoff waits instead of waiting.
type noSleep struct{ waits []time.Duration }

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int32
		wantErr   bool
		temporary bool
	}{
		{"ok", []int{200}, 1, false, false},
		{"5xx then ok", []int{502, 503, 200}, 3, false, false},
		{"5xx until attempts run out", []int{500}, 4, true, true},
		{"4xx is final", []int{400}, 1, true, false},
		{"429 is final by default", []int{429, 200}, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := script(t, tt.statuses...)
			s := &noSleep{}
			c := &Client{Sleep: s.sleep}
			var out struct {
				Call int            `json:"call"`
				Echo map[string]int `json:"echo"`
			}
			err := c.JSON(context.Background(), Request{URL: srv.URL, Body: map[string]int{"a": 1}, Op: "test"}, &out, nil)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if IsTemporary(err) != tt.temporary {
					t.Errorf("IsTemporary(%v) = %v", err, !tt.temporary)
				}
				var he *HTTPError
				if !errors.As(err, &he) || he.Status != tt.statuses[len(tt.statuses)-1] && he.Status != tt.statuses[0] {
					t.Errorf("err %v does not carry the status", err)
				}
				return
			}
			if out.Call != int(tt.wantCalls) || out.Echo["a"] != 1 {
				t.Errorf("decoded %+v", out)
			}
			if len(s.waits) != int(tt.wantCalls)-1 {
				t.Errorf("waited %d times, want %d", len(s.waits), tt.wantCalls-1)
			}
		})
	}
}

func TestClientBackoffGrowsWithJitter(t *testing.T) {
	c := &Client{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt := 1; attempt <= 8; attempt++ {
		ceiling := min(time.Second, 100*time.Millisecond<<(attempt-1))
		seen := map[time.Duration]bool{}
		for range 200 {
			d := c.backoff(attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: backoff %s outside [0, %s]", attempt, d, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d distinct waits: no jitter", attempt, len(seen))
		}
	}
}

func TestClientBusinessErrors(t *testing.T) {
	srv, calls := script(t, 200)
	busy := errors.New("system busy")
	bad := errors.New("bad parameter")
	for _, tt := range []struct {
		name      string
		err       error
		wantCalls int32
	}{
		{"final", bad, 1},
		{"temporary", Temporary(busy), 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			c := &Client{Attempts: 3, Sleep: (&noSleep{}).sleep}
			_, err := c.Do(context.Background(), Request{URL: srv.URL}, func(*Response) error { return tt.err })
			if !errors.Is(err, errors.Unwrap(tt.err)) && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestClientNetworkErrorRetried(t *testing.T) {
	srv, calls := script(t, 200)
	url := srv.URL
	var n atomic.Int32
	c := &Client{Sleep: (&noSleep{}).sleep, HTTP: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return nil, errors.New("connection reset")
		}
		return http.DefaultTransport.RoundTrip(r)
	})}}
	if _, err := c.Do(context.Background(), Request{URL: url}, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || n.Load() != 2 {
		t.Fatalf("server calls %d, attempts %d", calls.Load(), n.Load())
	}
}

func TestClientTimeoutRetried(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	defer close(release)
	c := &Client{AttemptTimeout: 50 * time.Millisecond, Sleep: (&noSleep{}).sleep}
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2", calls.Load())
	}
}

func TestClientStopsWhenCallerGivesUp(t *testing.T) {
	srv, calls := script(t, 503)
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }}
	_, err := c.Do(ctx, Request{URL: srv.URL}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
}

func TestClientOversizeResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"x": string(make([]byte, 2000))})
	}))
	defer srv.Close()
	c := &Client{MaxResponseBytes: 1000}
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}, nil); err == nil || IsTemporary(err) {
		t.Fatalf("err = %v, want a final error", err)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
