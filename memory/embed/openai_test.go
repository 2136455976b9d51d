package embed

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEmbeddings serves POST /embeddings as the OpenAI API documents it:
// bearer auth, a JSON body with model, input (array of strings), optional
// dimensions and encoding_format, and a list of {object, embedding, index}
// in the reply. It answers in reverse order to prove indexes are honoured.
type fakeEmbeddings struct {
	mu        sync.Mutex
	nativeDim int
	honourDim bool // whether the "model" shortens vectors on request
	batches   [][]string
	dims      []int
	status    int           // when non-zero, fail with this status
	block     chan struct{} // when set, requests wait until it is closed
}

func (f *fakeEmbeddings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.block != nil {
		select {
		case <-r.Context().Done():
		case <-f.block:
		}
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer sk-test" {
		writeAPIError(w, http.StatusUnauthorized, "Incorrect API key provided")
		return
	}
	if f.status != 0 {
		writeAPIError(w, f.status, "simulated failure")
		return
	}
	var req struct {
		Model          string   `json:"model"`
		Input          []string `json:"input"`
		Dimensions     int      `json:"dimensions"`
		EncodingFormat string   `json:"encoding_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || len(req.Input) == 0 {
		writeAPIError(w, http.StatusBadRequest, "bad request")
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, req.Input)
	f.dims = append(f.dims, req.Dimensions)
	f.mu.Unlock()
	dim := f.nativeDim
	if f.honourDim && req.Dimensions > 0 {
		dim = req.Dimensions
	}
	type item struct {
		Object    string    `json:"object"`
		Embedding []float32 `json:"embedding"`
		Index     int       `json:"index"`
	}
	var data []item
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float32, dim)
		// Encode the text's length so tests can check the order.
		v[0] = float32(len(req.Input[i]))
		v[1] = 1
		data = append(data, item{"embedding", v, i})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1},
	})
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": nil},
	})
}

func newFake(t *testing.T, f *fakeEmbeddings) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1/"
}

func TestOpenAIEmbedBatchesAndOrder(t *testing.T) {
	f := &fakeEmbeddings{nativeDim: 1536, honourDim: true}
	e := NewOpenAI(OpenAIConfig{BaseURL: newFake(t, f), APIKey: "sk-test", Model: "text-embedding-3-small", Dim: 8, BatchSize: 2})
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(f.batches) != 3 {
		t.Fatalf("sent %d requests, want 3 batches of at most 2", len(f.batches))
	}
	for i, d := range f.dims {
		if d != 8 {
			t.Fatalf("request %d dimensions = %d, want 8", i, d)
		}
	}
	for i, v := range vs {
		if len(v) != 8 {
			t.Fatalf("vector %d len %d, want 8", i, len(v))
		}
		// Unnormalized (len, 1) → after normalization v0/v1 = len.
		if got := math.Round(float64(v[0] / v[1])); int(got) != len(texts[i]) {
			t.Fatalf("vector %d belongs to a text of length %v, want %d (order lost)", i, got, len(texts[i]))
		}
		if n := math.Sqrt(cosine(v, v)); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d norm %v, want 1", i, n)
		}
	}
}

func TestOpenAIDimensionsOnlyForModelsThatTakeIt(t *testing.T) {
	f := &fakeEmbeddings{nativeDim: 1024}
	e := NewOpenAI(OpenAIConfig{BaseURL: newFake(t, f), APIKey: "sk-test", Model: "bge-m3", Dim: 1024})
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if f.dims[0] != 0 {
		t.Fatalf("sent dimensions=%d to a model not known to support it", f.dims[0])
	}
}

func TestOpenAIErrors(t *testing.T) {
	tests := []struct {
		name string
		fake *fakeEmbeddings
		cfg  OpenAIConfig
		want []string
	}{
		{"wrong dim", &fakeEmbeddings{nativeDim: 1536}, OpenAIConfig{APIKey: "sk-test", Model: "text-embedding-ada-002", Dim: 256},
			[]string{"length 1536", "configured for 256"}},
		{"bad key", &fakeEmbeddings{nativeDim: 4}, OpenAIConfig{APIKey: "sk-wrong", Model: "m"},
			[]string{"HTTP 401", "Incorrect API key"}},
		{"rate limited", &fakeEmbeddings{nativeDim: 4, status: http.StatusTooManyRequests}, OpenAIConfig{APIKey: "sk-test", Model: "m"},
			[]string{"HTTP 429"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.BaseURL = newFake(t, tt.fake)
			_, err := NewOpenAI(tt.cfg).Embed(context.Background(), []string{"hello"})
			if err == nil {
				t.Fatal("Embed succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestOpenAITimeout(t *testing.T) {
	f := &fakeEmbeddings{block: make(chan struct{})}
	url := newFake(t, f)
	t.Cleanup(func() { close(f.block) }) // runs before the server closes
	e := NewOpenAI(OpenAIConfig{BaseURL: url, APIKey: "sk-test", Model: "m", Timeout: 20 * time.Millisecond})
	_, err := e.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestOpenAIEmptyInput(t *testing.T) {
	f := &fakeEmbeddings{nativeDim: 4}
	vs, err := NewOpenAI(OpenAIConfig{BaseURL: newFake(t, f), APIKey: "sk-test"}).Embed(context.Background(), nil)
	if err != nil || len(vs) != 0 || len(f.batches) != 0 {
		t.Fatalf("Embed(nil) = %v, %v after %d requests; want nothing sent", vs, err, len(f.batches))
	}
}
