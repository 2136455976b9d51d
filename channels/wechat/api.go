package wechat

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// fetchToken calls /cgi-bin/token.
func fetchToken(ctx context.Context, c *wxapi.Caller, ac AccountConfig) (string, time.Duration, error) {
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {ac.AppID}, "secret": {ac.AppSecret}}
	if err := c.Get(ctx, "wechat token", "/cgi-bin/token", q, &out); err != nil {
		return "", 0, err
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

type textBody struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
}

// splitter cuts answers to the platform's text limit.
var splitter = outbound.Splitter{Max: MaxTextBytes, Unit: outbound.Bytes}

// sendText sends text to openid through the customer-service API, split
// into messages of at most 2048 bytes. It returns how many pieces were
// sent before an error.
func (a *account) sendText(ctx context.Context, openid, text string) (int, error) {
	pieces := splitter.Split(text)
	for i, p := range pieces {
		var b textBody
		b.ToUser, b.MsgType, b.Text.Content = openid, "text", p
		if err := a.api.Post(ctx, "wechat custom send", "/cgi-bin/message/custom/send", b, nil); err != nil {
			return i, err
		}
	}
	return len(pieces), nil
}

// typing shows ("Typing") or hides ("CancelTyping") the typing indicator.
func (a *account) typing(ctx context.Context, openid, command string) error {
	return a.api.Post(ctx, "wechat typing", "/cgi-bin/message/custom/typing",
		map[string]string{"touser": openid, "command": command}, nil)
}

// unionID asks /cgi-bin/user/info for the user's unionid ("" when the
// account is not bound to an Open Platform account).
func (a *account) unionID(ctx context.Context, openid string) (string, error) {
	tok, err := a.api.Tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	var out struct {
		UnionID string `json:"unionid"`
	}
	q := url.Values{"access_token": {tok}, "openid": {openid}, "lang": {"zh_CN"}}
	if err := a.api.Get(ctx, "wechat user info", "/cgi-bin/user/info", q, &out); err != nil {
		if code := wxapi.Code(err); code == wxapi.CodeInvalidToken || code == wxapi.CodeTokenExpired {
			if tok, err = a.api.Tokens.Invalidate(ctx, tok); err != nil {
				return "", err
			}
			q.Set("access_token", tok)
			err = a.api.Get(ctx, "wechat user info", "/cgi-bin/user/info", q, &out)
		}
		if err != nil {
			return "", fmt.Errorf("wechat: user info: %w", err)
		}
	}
	return out.UnionID, nil
}
