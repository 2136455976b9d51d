package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func client(s *Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = s.URL()
	return openai.NewClientWithConfig(cfg)
}

func chatReq(text string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessage{{Role: "system", Content: "be brief"}, {Role: "user", Content: text}},
	}
}

// drain reads a stream to its end and returns the content, the finish
// reason, the tool calls assembled from their fragments, and the usage.
func drain(t *testing.T, st *openai.ChatCompletionStream) (string, string, []openai.ToolCall, *openai.Usage, error) {
	t.Helper()
	defer st.Close()
	var text strings.Builder
	var finish string
	var calls []openai.ToolCall
	var usage *openai.Usage
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return text.String(), finish, calls, usage, nil
		}
		if err != nil {
			return text.String(), finish, calls, usage, err
		}
		if c.Usage != nil {
			usage = c.Usage
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
			if ch.FinishReason != "" {
				finish = string(ch.FinishReason)
			}
			for _, tc := range ch.Delta.ToolCalls {
				i := *tc.Index
				for len(calls) <= i {
					calls = append(calls, openai.ToolCall{})
				}
				if tc.ID != "" {
					calls[i].ID, calls[i].Type = tc.ID, tc.Type
				}
				calls[i].Function.Name += tc.Function.Name
				calls[i].Function.Arguments += tc.Function.Arguments
			}
		}
	}
}

func TestChat(t *testing.T) {
	s := NewServer(t)
	c := client(s, s.Key())
	ctx := context.Background()

	t.Run("plain", func(t *testing.T) {
		resp, err := c.CreateChatCompletion(ctx, chatReq("你好 world"))
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Choices[0].Message.Content; got != "echo: 你好 world" {
			t.Errorf("content = %q", got)
		}
		if resp.Choices[0].FinishReason != "stop" || resp.Usage.TotalTokens == 0 || resp.Object != "chat.completion" {
			t.Errorf("finish %q, usage %+v, object %q", resp.Choices[0].FinishReason, resp.Usage, resp.Object)
		}
	})
	t.Run("stream", func(t *testing.T) {
		req := chatReq("stream me please, 一段中文。")
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		st, err := c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		text, finish, _, usage, err := drain(t, st)
		if err != nil {
			t.Fatal(err)
		}
		if text != "echo: stream me please, 一段中文。" || finish != "stop" {
			t.Errorf("text %q finish %q", text, finish)
		}
		if usage == nil || usage.CompletionTokens < 5 {
			t.Errorf("usage = %+v, want a final usage chunk counting several tokens", usage)
		}
	})
	rec := s.ChatRequests()
	if len(rec) != 2 || rec[1].Messages[1].Text() != "stream me please, 一段中文。" || !rec[1].Stream {
		t.Errorf("recorded %+v", rec)
	}
}

func TestToolCalls(t *testing.T) {
	args := `{"order_id":"A-1001","reason":"size too small"}`
	s := NewServer(t, WithResponder(func(*ChatRequest) Response {
		return Response{ToolCalls: []ToolCall{{Function: FunctionCall{Name: "create_return", Arguments: args}}}}
	}))
	c := client(s, s.Key())
	req := chatReq("return order A-1001")
	req.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "create_return"}}}

	resp, err := c.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "create_return" || calls[0].Function.Arguments != args || calls[0].ID == "" || calls[0].Type != "function" {
		t.Errorf("tool calls = %+v", calls)
	}
	if resp.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("finish = %q", resp.Choices[0].FinishReason)
	}

	st, err := c.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, finish, streamed, _, err := drain(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed) != 1 || streamed[0].Function.Arguments != args || streamed[0].Function.Name != "create_return" || streamed[0].ID == "" || finish != "tool_calls" {
		t.Errorf("streamed calls = %+v, finish %q", streamed, finish)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		key    string
		resp   Responder
		status int
		code   string
	}{
		{"wrong key", "nope", Echo, 401, "invalid_api_key"},
		{"rate limited", "", Fail(429, "rate_limit_exceeded"), 429, "rate_limit_exceeded"},
		{"server error", "", Fail(500, ""), 500, ""},
	}
	for _, c := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", c.name, stream), func(t *testing.T) {
				s := NewServer(t, WithResponder(c.resp))
				key := c.key
				if key == "" {
					key = s.Key()
				}
				cl := client(s, key)
				var err error
				if stream {
					_, err = cl.CreateChatCompletionStream(context.Background(), chatReq("x"))
				} else {
					_, err = cl.CreateChatCompletion(context.Background(), chatReq("x"))
				}
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err = %v, want an APIError", err)
				}
				if apiErr.HTTPStatusCode != c.status {
					t.Errorf("status = %d, want %d", apiErr.HTTPStatusCode, c.status)
				}
				if code, _ := apiErr.Code.(string); code != c.code {
					t.Errorf("code = %v, want %q", apiErr.Code, c.code)
				}
			})
		}
	}
}

func TestHangHonoursClientDeadline(t *testing.T) {
	s := NewServer(t, WithResponder(func(*ChatRequest) Response { return Response{Hang: true} }))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client(s, s.Key()).CreateChatCompletionStream(ctx, chatReq("x"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestStreamBreaksMidway(t *testing.T) {
	s := NewServer(t, WithResponder(func(*ChatRequest) Response {
		return Response{Text: "one two three four five six", BreakAfter: 3}
	}))
	st, err := client(s, s.Key()).CreateChatCompletionStream(context.Background(), chatReq("x"))
	if err != nil {
		t.Fatal(err)
	}
	text, finish, _, _, err := drain(t, st)
	if err == nil {
		t.Fatalf("stream ended cleanly with %q, want an error", text)
	}
	if text != "one two three" || finish != "" {
		t.Errorf("got %q (finish %q) before the break, want the first three tokens", text, finish)
	}
}

func TestValidation(t *testing.T) {
	s := NewServer(t, WithModels("gpt-4o-mini", "text-embedding-3-small"))
	cases := []struct {
		name, body string
		status     int
	}{
		{"not json", `{`, 400},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, 400},
		{"no messages", `{"model":"gpt-4o-mini","messages":[]}`, 400},
		{"bad role", `{"model":"gpt-4o-mini","messages":[{"role":"wizard","content":"hi"}]}`, 400},
		{"tool without id", `{"model":"gpt-4o-mini","messages":[{"role":"tool","content":"42"}]}`, 400},
		{"stream options without stream", `{"model":"gpt-4o-mini","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, 400},
		{"unknown model", `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404},
		{"content parts", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL()+"/chat/completions", strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+s.Key())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status != 200 && !strings.Contains(string(body), `"error":{"message":`) {
				t.Errorf("body is not an OpenAI error: %s", body)
			}
		})
	}
}

func TestEmbeddings(t *testing.T) {
	s := NewServer(t)
	c := client(s, s.Key())
	ctx := context.Background()
	resp, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input: []string{"退货政策", "退货政策", "shipping to Canada"}, Model: "text-embedding-3-small", Dimensions: 64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 3 || len(resp.Data[0].Embedding) != 64 {
		t.Fatalf("got %d vectors of %d", len(resp.Data), len(resp.Data[0].Embedding))
	}
	same, other := resp.Data[0].Embedding, resp.Data[2].Embedding
	for i := range same {
		if same[i] != resp.Data[1].Embedding[i] {
			t.Fatal("same input gave different vectors")
		}
	}
	if dot(same, other) > 0.5 {
		t.Errorf("unrelated texts too similar: %v", dot(same, other))
	}
	if n := dot(same, same); n < 0.99 || n > 1.01 {
		t.Errorf("vector not unit length: %v", n)
	}

	b64, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{
		Input: "退货政策", Model: "text-embedding-3-small", Dimensions: 64, EncodingFormat: openai.EmbeddingEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.Data[0].Embedding; len(got) != 64 || got[5] != same[5] {
		t.Errorf("base64 vector differs from the float one")
	}

	dflt, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: "x", Model: "text-embedding-3-small"})
	if err != nil || len(dflt.Data[0].Embedding) != 1536 {
		t.Errorf("default dimension: %v, %d", err, len(dflt.Data[0].Embedding))
	}
	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: []string{}, Model: "m"}); err == nil {
		t.Error("empty input accepted")
	}
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestModels(t *testing.T) {
	s := NewServer(t, WithModels("m1", "m2"))
	list, err := client(s, s.Key()).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Models) != 2 || list.Models[1].ID != "m2" {
		t.Errorf("models = %+v", list.Models)
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"hello big world", []string{"hello", " big", " world"}},
		{"退款三天到账。", []string{"退款", "三天", "到账", "。"}},
		{"", nil},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := tokens(c.in)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("tokens = %q, want %q", got, c.want)
			}
		})
	}
}

// TestStreamUsageOnTheWire: with stream_options.include_usage every chunk
// carries "usage": null except a last one with no choices and the counts,
// before [DONE]; without it no chunk has a usage field.
func TestStreamUsageOnTheWire(t *testing.T) {
	s := NewServer(t)
	for _, include := range []bool{true, false} {
		body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"count these words"}]}`
		if include {
			body = `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"count these words"}]}`
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.Key())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var chunks []map[string]json.RawMessage
		for _, line := range strings.Split(string(raw), "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var c map[string]json.RawMessage
			if err := json.Unmarshal([]byte(data), &c); err != nil {
				t.Fatalf("chunk %q: %v", data, err)
			}
			chunks = append(chunks, c)
		}
		if len(chunks) < 3 || !strings.HasSuffix(strings.TrimSpace(string(raw)), "data: [DONE]") {
			t.Fatalf("include_usage=%v: %d chunks:\n%s", include, len(chunks), raw)
		}
		for i, c := range chunks {
			u, has := c["usage"]
			last := i == len(chunks)-1
			switch {
			case !include && has:
				t.Errorf("chunk %d has usage %s without include_usage", i, u)
			case include && !last && string(u) != "null":
				t.Errorf("chunk %d: usage %q, want null", i, u)
			case include && last:
				var got struct {
					Prompt     int `json:"prompt_tokens"`
					Completion int `json:"completion_tokens"`
					Total      int `json:"total_tokens"`
				}
				if err := json.Unmarshal(u, &got); err != nil || got.Prompt == 0 || got.Completion == 0 || got.Total != got.Prompt+got.Completion ||
					string(c["choices"]) != "[]" {
					t.Errorf("last chunk: usage %s choices %s", u, c["choices"])
				}
			}
		}
	}
}
