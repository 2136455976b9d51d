package douyin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// Platform error codes the channel acts on (both the current 2800xxxx
// codes and the older ones some endpoints still return).
const (
	CodeBusy           = 28001005 // system busy: retry
	CodeNetwork        = 28001006 // network error: retry
	CodeBadParam       = 28001007 // invalid parameter
	CodeTokenExpired   = 28001008 // access_token expired: refresh or re-authorize
	CodeNoScope        = 28001012 // the user did not grant the API's scope
	CodeQuotaUsed      = 28003017 // quota used up
	CodeTooFrequent    = 28003018 // request rate too high
	CodeBusyOld        = 2100004  // system busy (older code)
	CodeTokenOld       = 2190008  // access_token expired (older code)
	CodeTokenOldShort  = 10008    // access_token expired (OAuth endpoints)
	CodeRefreshExpired = 10010    // refresh_token expired: the account must authorize again
)

// APIError is a business error the platform returned.
type APIError struct {
	Op          string
	Code        int
	Description string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("douyin: %s: error %d: %s", e.Op, e.Code, e.Description)
}

// Code returns the platform error code carried by err, or 0.
func Code(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

func tokenExpired(code int) bool {
	return code == CodeTokenExpired || code == CodeTokenOld || code == CodeTokenOldShort
}

// envelope covers the platform's response shapes: {"data": {...,
// "error_code", "description"}, "extra": {"error_code", "description"}}
// and {"err_no", "err_msg", "data"}.
type envelope struct {
	Data  json.RawMessage `json:"data"`
	Extra *struct {
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
	} `json:"extra"`
	ErrNo  *int   `json:"err_no"`
	ErrMsg string `json:"err_msg"`
}

type dataCode struct {
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
}

// check reads the business error out of a 2xx response; transient codes
// are marked for retry.
func check(op string) outbound.Check {
	return func(r *outbound.Response) error {
		var env envelope
		if err := json.Unmarshal(r.Body, &env); err != nil {
			return fmt.Errorf("douyin: %s: response is not JSON: %w", op, err)
		}
		code, desc := 0, ""
		switch {
		case env.ErrNo != nil && *env.ErrNo != 0:
			code, desc = *env.ErrNo, env.ErrMsg
		case env.Extra != nil && env.Extra.ErrorCode != 0:
			code, desc = env.Extra.ErrorCode, env.Extra.Description
		default:
			var dc dataCode
			if len(env.Data) > 0 && env.Data[0] == '{' && json.Unmarshal(env.Data, &dc) == nil && dc.ErrorCode != 0 {
				code, desc = dc.ErrorCode, dc.Description
			}
		}
		if code == 0 {
			return nil
		}
		err := &APIError{Op: op, Code: code, Description: desc}
		switch code {
		case CodeBusy, CodeNetwork, CodeBusyOld, CodeTooFrequent:
			return outbound.Temporary(err)
		}
		return err
	}
}

// account is one configured app and business account.
type account struct {
	cfg      Account
	base     string
	client   *outbound.Client
	tokens   *wxapi.TokenSource
	splitter outbound.Splitter
	store    *wxapi.Store
}

func (c *Channel) newAccount(ac Account) *account {
	base := strings.TrimRight(ac.APIBase, "/")
	if base == "" {
		base = DefaultAPIBase
	}
	client := outbound.Client{HTTP: c.o.HTTP, Logger: c.logger}
	if c.o.Client != nil {
		client = *c.o.Client
	}
	client.Limiter = outbound.NewLimiter(c.o.Rate, max(int(c.o.Rate), 1), outbound.LimiterOptions{})
	a := &account{cfg: ac, base: base, client: &client, store: c.store,
		splitter: Capabilities(ac.MaxText).Splitter()}
	a.tokens = wxapi.NewTokenSource(c.store.Tokens, wxapi.Key(ChannelName, ac.Name), a.fetchToken, c.now)
	return a
}

func refreshKey(name string) string { return wxapi.Key(ChannelName, name, "refresh") }

// fetchToken gets an access token with the refresh token. The platform
// keeps the refresh token's own expiry; when it hands back another
// refresh token that one is kept (in the shared state) for next time.
func (a *account) fetchToken(ctx context.Context) (string, time.Duration, error) {
	refresh := a.cfg.RefreshToken
	if e, err := a.store.State.Get(ctx, refreshKey(a.cfg.Name)); err == nil && len(e.Value()) > 0 {
		refresh = string(e.Value())
	} else if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", 0, fmt.Errorf("douyin: load refresh token: %w", err)
	}
	form := url.Values{"client_key": {a.cfg.ClientKey}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	var resp struct {
		Data struct {
			AccessToken  string          `json:"access_token"`
			ExpiresIn    json.RawMessage `json:"expires_in"`
			RefreshToken string          `json:"refresh_token"`
			OpenID       string          `json:"open_id"`
		} `json:"data"`
	}
	err := a.client.JSON(ctx, outbound.Request{
		Method: "POST", URL: a.base + "/oauth/refresh_token/", Op: "douyin refresh token",
		Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
		Body:   []byte(form.Encode()),
	}, &resp, check("refresh token"))
	if err != nil {
		return "", 0, err
	}
	if resp.Data.OpenID != "" && resp.Data.OpenID != a.cfg.OpenID {
		return "", 0, fmt.Errorf("douyin: refresh token belongs to open_id %s, not the configured %s", resp.Data.OpenID, a.cfg.OpenID)
	}
	if nr := resp.Data.RefreshToken; nr != "" && nr != refresh {
		if _, err := a.store.State.Put(ctx, refreshKey(a.cfg.Name), []byte(nr)); err != nil {
			return "", 0, fmt.Errorf("douyin: keep new refresh token: %w", err)
		}
	}
	// expires_in is documented both as a number and as a string.
	secs, err := strconv.ParseInt(strings.Trim(string(resp.Data.ExpiresIn), `"`), 10, 64)
	if err != nil || secs <= 0 {
		return "", 0, fmt.Errorf("douyin: refresh token: bad expires_in %s", resp.Data.ExpiresIn)
	}
	return resp.Data.AccessToken, time.Duration(secs) * time.Second, nil
}

// Send scenes.
const (
	sceneReply = "im_replay_msg"       // answering a received message (the platform's spelling)
	sceneEnter = "im_enter_direct_msg" // greeting a user who opened the message page
)

// sendRequest is the body of /im/send/msg/.
type sendRequest struct {
	MsgID          string      `json:"msg_id"`
	ConversationID string      `json:"conversation_id"`
	ToUserID       string      `json:"to_user_id"`
	Scene          string      `json:"scene"`
	Content        sendContent `json:"content"`
}

type sendContent struct {
	MsgType int      `json:"msg_type"` // 1: text
	Text    sendText `json:"text"`
}

type sendText struct {
	Text string `json:"text"`
}

// sendText sends text to the user of rt as one or more messages and returns
// how many pieces went out. An expired token is refreshed once.
func (a *account) sendText(ctx context.Context, rt route, st userState, text string) (int, error) {
	pieces := a.splitter.Split(text)
	for i, p := range pieces {
		req := sendRequest{
			MsgID: st.MsgID, ConversationID: st.ConversationShortID, ToUserID: rt.OpenID, Scene: st.Scene,
			Content: sendContent{MsgType: 1, Text: sendText{Text: p}},
		}
		if err := a.send(ctx, req); err != nil {
			return i, err
		}
	}
	return len(pieces), nil
}

func (a *account) send(ctx context.Context, req sendRequest) error {
	tok, err := a.tokens.Token(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err = a.client.JSON(ctx, outbound.Request{
			Method: "POST", URL: a.base + "/im/send/msg/?open_id=" + url.QueryEscape(a.cfg.OpenID),
			Header: map[string][]string{"access-token": {tok}}, Body: req, Op: "douyin send",
		}, nil, check("send message"))
		if err == nil || attempt > 0 || !tokenExpired(Code(err)) {
			return err
		}
		if tok, err = a.tokens.Invalidate(ctx, tok); err != nil {
			return err
		}
	}
}
