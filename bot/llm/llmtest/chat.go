package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var validRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true, "function": true}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	i := s.record(r, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "could not read the request body")
		return
	}
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "", "request body too large")
		return
	}
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	if msg := validateChat(&req); msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", msg)
		return
	}
	if !s.knowsModel(req.Model) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model))
		return
	}
	s.mu.Lock()
	s.requests[i].Chat = &req
	responder := s.responder
	s.mu.Unlock()

	resp := responder(&req)
	switch {
	case resp.Hang:
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	case resp.Status != 0:
		msg := resp.Message
		if msg == "" {
			msg = http.StatusText(resp.Status)
		}
		writeError(w, resp.Status, errorType(resp.Status), resp.Code, msg)
		return
	}
	for k := range resp.ToolCalls {
		if resp.ToolCalls[k].ID == "" {
			resp.ToolCalls[k].ID = s.nextID("call_")
		}
		resp.ToolCalls[k].Type = "function"
	}
	if resp.FinishReason == "" {
		resp.FinishReason = "stop"
		if len(resp.ToolCalls) > 0 {
			resp.FinishReason = "tool_calls"
		}
	}
	if req.Stream {
		s.stream(w, r, &req, resp)
		return
	}
	s.complete(w, r, &req, resp)
}

// validateChat returns what is wrong with req in the real API's words, or "".
func validateChat(req *ChatRequest) string {
	if req.Model == "" {
		return "you must provide a model parameter"
	}
	if len(req.Messages) == 0 {
		return "[] is too short - 'messages'"
	}
	for i, m := range req.Messages {
		if !validRoles[m.Role] {
			return fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'. - 'messages.%d.role'", m.Role, i)
		}
		if m.Role == "tool" && m.ToolCallID == "" {
			return fmt.Sprintf("Missing required parameter: 'messages[%d].tool_call_id'.", i)
		}
		if len(m.Content) == 0 && len(m.ToolCalls) == 0 {
			return fmt.Sprintf("Missing required parameter: 'messages[%d].content'.", i)
		}
	}
	if req.StreamOptions != nil && !req.Stream {
		return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
	}
	if req.N > 1 {
		return "llmtest supports only n=1"
	}
	return ""
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, req *ChatRequest, resp Response) {
	toks := tokens(resp.Text)
	if !sleep(r, s.stop, resp.FirstDelay+resp.TokenDelay*time.Duration(len(toks))) {
		return
	}
	msg := replyMessage{Role: "assistant", ToolCalls: resp.ToolCalls}
	if resp.Text != "" || len(resp.ToolCalls) == 0 {
		msg.Content = &resp.Text
	}
	writeJSON(w, http.StatusOK, completion{
		ID: s.nextID("chatcmpl-"), Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model,
		Choices: []completionChoice{{Message: msg, FinishReason: resp.FinishReason}},
		Usage:   resp.usage(req, len(toks)+len(resp.ToolCalls)),
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *ChatRequest, resp Response) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	id, created := s.nextID("chatcmpl-"), time.Now().Unix()
	withUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	send := func(c chunk) bool {
		c.ID, c.Object, c.Created, c.Model = id, "chat.completion.chunk", created, req.Model
		if withUsage && c.Usage == nil {
			c.Usage = json.RawMessage("null")
		}
		b, _ := json.Marshal(c)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	one := func(d delta, finish *string) chunk {
		return chunk{Choices: []chunkChoice{{Delta: d, FinishReason: finish}}}
	}
	if !send(one(delta{Role: "assistant"}, nil)) {
		return
	}
	if !sleep(r, s.stop, resp.FirstDelay) {
		return
	}
	toks := tokens(resp.Text)
	for n, tok := range toks {
		if resp.BreakAfter > 0 && n == resp.BreakAfter {
			// Abort the response without the chunked-encoding terminator:
			// the client sees the connection drop mid-stream.
			panic(http.ErrAbortHandler)
		}
		if !sleep(r, s.stop, resp.TokenDelay) || !send(one(delta{Content: tok}, nil)) {
			return
		}
	}
	for k, call := range resp.ToolCalls {
		idx := k
		head := ToolCall{Index: &idx, ID: call.ID, Type: "function", Function: FunctionCall{Name: call.Function.Name}}
		if !send(one(delta{ToolCalls: []ToolCall{head}}, nil)) {
			return
		}
		for _, frag := range fragments(call.Function.Arguments, 8) {
			part := ToolCall{Index: &idx, Function: FunctionCall{Arguments: frag}}
			if !sleep(r, s.stop, resp.TokenDelay) || !send(one(delta{ToolCalls: []ToolCall{part}}, nil)) {
				return
			}
		}
	}
	finish := resp.FinishReason
	if !send(one(delta{}, &finish)) {
		return
	}
	if withUsage {
		u, _ := json.Marshal(resp.usage(req, len(toks)+len(resp.ToolCalls)))
		if !send(chunk{Choices: []chunkChoice{}, Usage: u}) {
			return
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// sleep waits d, reporting false when the client went away or the test
// ended first.
func sleep(r *http.Request, stop <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-stop:
		return false
	}
}

// tokens cuts text the way a model streams it: a word with the space before
// it, or one or two Chinese characters at a time.
func tokens(text string) []string {
	var out []string
	var b strings.Builder
	han := 0
	for _, r := range text {
		isHan := unicode.Is(unicode.Han, r)
		if b.Len() > 0 && (unicode.IsSpace(r) && !endsSpace(b.String()) || isHan && han == 0 || !isHan && han > 0 || han == 2) {
			out = append(out, b.String())
			b.Reset()
			han = 0
		}
		b.WriteRune(r)
		if isHan {
			han++
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func endsSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}

// fragments cuts s into pieces of up to n runes.
func fragments(s string, n int) []string {
	rs := []rune(s)
	var out []string
	for len(rs) > n {
		out = append(out, string(rs[:n]))
		rs = rs[n:]
	}
	return append(out, string(rs))
}

// usage is what the response reports: the scripted Usage, or the count.
func (resp Response) usage(req *ChatRequest, completionTokens int) usage {
	if u := resp.Usage; u != nil {
		return usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.PromptTokens + u.CompletionTokens}
	}
	return countUsage(req, completionTokens)
}

// countUsage estimates tokens like the real API reports them: roughly four
// characters of English or one Chinese character per token.
func countUsage(req *ChatRequest, completionTokens int) usage {
	prompt := 0
	for _, m := range req.Messages {
		prompt += 4 + len(tokens(m.Text()))
	}
	return usage{PromptTokens: prompt, CompletionTokens: completionTokens, TotalTokens: prompt + completionTokens}
}
