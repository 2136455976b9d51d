package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/kairoscx/kairos/channels/outbound"
)

// Error codes both platforms document and the adapters act on.
const (
	CodeBusy              = -1    // system busy: retry later
	CodeInvalidToken      = 40001 // invalid credential / access_token
	CodeInvalidTokenWeCom = 40014 // WeCom: invalid access_token
	CodeTokenExpired      = 42001 // access_token expired
	CodeOutOfWindow       = 45015 // Official Account: reply time limit exceeded (48 h)
	CodeOutOfQuota        = 45047 // Official Account: customer-service message quota exceeded
	CodeSessionState      = 95018 // WeCom kf: session state does not allow sending
)

// APIError is a business error a platform returned with HTTP 200.
type APIError struct {
	Op   string
	Code int
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: errcode %d: %s", e.Op, e.Code, e.Msg)
}

// Code returns the platform error code inside err, or 0.
func Code(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// tokenInvalid reports whether code says the access token must be replaced.
func tokenInvalid(code int) bool {
	return code == CodeInvalidToken || code == CodeTokenExpired || code == CodeInvalidTokenWeCom
}

// envelope is the part of every response that carries the error.
type envelope struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// check turns errcode into an APIError; system busy is worth retrying.
func check(op string) outbound.Check {
	return func(r *outbound.Response) error {
		var e envelope
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return fmt.Errorf("%s: response is not JSON: %w", op, err)
		}
		if e.ErrCode == 0 {
			return nil
		}
		ae := &APIError{Op: op, Code: e.ErrCode, Msg: e.ErrMsg}
		if e.ErrCode == CodeBusy {
			return outbound.Temporary(ae)
		}
		return ae
	}
}

// Caller makes API calls that need an access token.
type Caller struct {
	// Base is the API host, e.g. "https://api.weixin.qq.com".
	Base   string
	Client *outbound.Client
	Tokens *TokenSource
}

// Get sends a GET to path with query (no access token) and decodes the
// JSON answer into out. Used to fetch tokens.
func (c *Caller) Get(ctx context.Context, op, path string, query url.Values, out any) error {
	u := c.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return c.Client.JSON(ctx, outbound.Request{Method: "GET", URL: u, Op: op}, out, check(op))
}

// Post sends body as JSON to path with the account's access token and
// decodes the answer into out (nil: discard). When the platform refuses
// the token (40001, 40014, 42001) the token is replaced once and the call
// repeated; a second refusal is returned.
func (c *Caller) Post(ctx context.Context, op, path string, body, out any) error {
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = c.post(ctx, op, path, tok, body, out)
	if !tokenInvalid(Code(err)) {
		return err
	}
	tok, terr := c.Tokens.Invalidate(ctx, tok)
	if terr != nil {
		return fmt.Errorf("%s: %w", op, errors.Join(err, terr))
	}
	return c.post(ctx, op, path, tok, body, out)
}

func (c *Caller) post(ctx context.Context, op, path, tok string, body, out any) error {
	u := c.Base + path + "?access_token=" + url.QueryEscape(tok)
	return c.Client.JSON(ctx, outbound.Request{Method: "POST", URL: u, Body: body, Op: op}, out, check(op))
}
