package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	openai "github.com/sashabaranov/go-openai"
)

// forcedCall makes one non-streamed request that must call tool and returns
// the call with the tokens the request used, as the API reported them.
func forcedCall(ctx context.Context, c *openai.Client, model string, msgs []openai.ChatCompletionMessage, tool openai.Tool, maxTokens int) (openai.ToolCall, openai.Usage, error) {
	resp, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:      model,
		Messages:   msgs,
		MaxTokens:  maxTokens,
		Tools:      []openai.Tool{tool},
		ToolChoice: openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: tool.Function.Name}},
	})
	if err != nil {
		return openai.ToolCall{}, openai.Usage{}, fmt.Errorf("chat completion: %w", err)
	}
	for _, ch := range resp.Choices {
		for _, tc := range ch.Message.ToolCalls {
			if tc.Function.Name == tool.Function.Name {
				if tc.ID == "" {
					tc.ID = "call_0"
				}
				return tc, resp.Usage, nil
			}
		}
	}
	// Not calling the function is an invalid answer, worth the retry.
	return openai.ToolCall{}, resp.Usage, &Error{Err: fmt.Errorf("%w: the model did not call %s", errInvalid, tool.Function.Name)}
}

// failure wraps a call's error with the API status it carries and logs it;
// a done ctx wins, so callers see the deadline rather than the read error
// it caused. Errors already wrapped pass through.
func failure(ctx context.Context, log *slog.Logger, op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("llm: %s: %w", op, ctxErr)
	}
	e = &Error{Err: fmt.Errorf("%s: %w", op, err)}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		e.Status = apiErr.HTTPStatusCode
		e.Code, _ = apiErr.Code.(string)
	case errors.As(err, &reqErr):
		e.Status = reqErr.HTTPStatusCode
	}
	log.Warn("chat completion failed", "op", op, "status", e.Status, "code", e.Code, "err", err)
	return e
}

// retryMessages show the model its invalid call (when it made one) and what
// was wrong with it.
func retryMessages(call openai.ToolCall, tool string, verr error) []openai.ChatCompletionMessage {
	again := "Call " + tool + " again with arguments that follow the schema."
	if call.ID == "" {
		return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "You did not call " + tool + ". " + again}}
	}
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{call}},
		{Role: openai.ChatMessageRoleTool, ToolCallID: call.ID, Content: "invalid arguments: " + verr.Error() + ". " + again},
	}
}
