// Package llmtest is an in-process fake of the OpenAI HTTP API for tests and
// benchmarks: chat completions (plain and streamed, with tool calls),
// embeddings and the model list.
//
// A test scripts the fake's behaviour per request with a Responder: the text
// or tool calls to return, an API error, a delay per token, a hang, or a
// stream that breaks off. The fake validates requests the way the real API
// does and records them so tests can assert on what a client sent.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Response is what the fake answers one chat request with.
type Response struct {
	// Text is the assistant's reply.
	Text string
	// ToolCalls are function calls the assistant makes (ids are made up
	// when empty).
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when ToolCalls is set and
	// "stop" otherwise.
	FinishReason string

	// Status, when not zero, makes the request fail with that HTTP status
	// and an OpenAI error body carrying Code (e.g. "rate_limit_exceeded")
	// and Message.
	Status  int
	Code    string
	Message string

	// TokenDelay is slept before each streamed chunk (and once per token
	// before a non-streamed reply), so clients see a realistic pace.
	TokenDelay time.Duration
	// FirstDelay is slept once before the first token (time to first
	// token: the model reading the prompt), on top of TokenDelay.
	FirstDelay time.Duration
	// Hang makes the fake wait, sending nothing, until the client gives up
	// or the test ends.
	Hang bool
	// BreakAfter, when positive, streams that many content chunks and then
	// drops the connection without finishing the stream.
	BreakAfter int
	// Usage, when set, is the usage reported instead of the fake's own
	// count (about four characters of English or one Chinese character a
	// token), so tests can look for known figures downstream.
	Usage *Usage
}

// Usage is a scripted token count.
type Usage struct{ PromptTokens, CompletionTokens int }

// Delay is the time the fake sleeps scripting resp as a streamed reply:
// FirstDelay, then TokenDelay per content token and per tool-call argument
// fragment. Benchmarks subtract it from a call's duration to get the
// client's own overhead.
func Delay(resp Response) time.Duration {
	n := len(tokens(resp.Text))
	for _, c := range resp.ToolCalls {
		n += len(fragments(c.Function.Arguments, 8))
	}
	return resp.FirstDelay + resp.TokenDelay*time.Duration(n)
}

// Responder decides the response to one chat request. It runs on the
// server's goroutines, so it must be safe for concurrent use.
type Responder func(req *ChatRequest) Response

// Echo is the default responder: it answers with the last user message,
// prefixed by "echo: ".
func Echo(req *ChatRequest) Response {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			return Response{Text: "echo: " + req.Messages[i].Text()}
		}
	}
	return Response{Text: "echo"}
}

// Reply returns a responder that always answers text.
func Reply(text string) Responder {
	return func(*ChatRequest) Response { return Response{Text: text} }
}

// Fail returns a responder that always fails with status and code.
func Fail(status int, code string) Responder {
	return func(*ChatRequest) Response { return Response{Status: status, Code: code} }
}

// Option configures a Server.
type Option func(*Server)

// WithKey sets the API key clients must send (default "test-key").
func WithKey(key string) Option { return func(s *Server) { s.key = key } }

// WithResponder sets how chat requests are answered (default Echo).
func WithResponder(r Responder) Option { return func(s *Server) { s.responder = r } }

// WithModels sets the models the fake knows; a request naming another is
// answered 404 model_not_found. By default every model name is accepted.
func WithModels(ids ...string) Option { return func(s *Server) { s.models = ids } }

// WithEmbeddingDim sets the vector length when a request gives no
// "dimensions" (default 1536, as text-embedding-3-small).
func WithEmbeddingDim(n int) Option { return func(s *Server) { s.embedDim = n } }

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	srv       *httptest.Server
	key       string
	models    []string
	embedDim  int
	stop      chan struct{} // closed at test end to release hung requests
	mu        sync.Mutex
	responder Responder
	requests  []Recorded
	seq       int
}

// Recorded is a request the fake received.
type Recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Chat is the parsed body of a valid chat completion request.
	Chat *ChatRequest
}

// NewServer starts a fake and stops it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	s := &Server{key: "test-key", embedDim: 1536, responder: Echo, stop: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("GET /v1/models", s.listModels)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path))
	})
	s.srv = httptest.NewServer(s.authorize(mux))
	t.Cleanup(func() {
		close(s.stop)
		s.srv.Close()
	})
	return s
}

// URL is the API base URL, ending in /v1, as clients expect it.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Key is the API key clients must send.
func (s *Server) Key() string { return s.key }

// SetResponder changes how later chat requests are answered.
func (s *Server) SetResponder(r Responder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responder = r
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ChatRequests returns the valid chat completion requests received so far.
func (s *Server) ChatRequests() []ChatRequest {
	var out []ChatRequest
	for _, r := range s.Requests() {
		if r.Chat != nil {
			out = append(out, *r.Chat)
		}
	}
	return out
}

// record stores a request and returns its index.
func (s *Server) record(r *http.Request, body []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	return len(s.requests) - 1
}

func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s%06d", prefix, s.seq)
}

func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.key {
			body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
			s.record(r, body)
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				"Incorrect API key provided. You can find your API key in your account settings.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	s.record(r, nil)
	ids := s.models
	if len(ids) == 0 {
		ids = []string{"gpt-4o-mini", "text-embedding-3-small"}
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, id := range ids {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: 1700000000, OwnedBy: "llmtest"})
	}
	writeJSON(w, http.StatusOK, list)
}

// knowsModel reports whether id may be used.
func (s *Server) knowsModel(id string) bool {
	return len(s.models) == 0 || slices.Contains(s.models, id)
}

// maxBody bounds request bodies, as a real API does.
const maxBody = 8 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the OpenAI error envelope.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	body := apiErrorBody{Message: msg, Type: typ}
	if code != "" {
		body.Code = &code
	}
	writeJSON(w, status, apiError{Error: body})
}

// errorType is the "type" the real API gives errors of a status.
func errorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "requests"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}
