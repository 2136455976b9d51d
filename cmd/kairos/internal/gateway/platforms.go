package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/bot"
	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/channels/douyin"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat"
	"github.com/kairoscx/kairos/channels/wecom"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
)

// platform is a messaging platform's channel: its callbacks and its share
// of delivering outbound messages.
type platform struct {
	path    string // mux pattern of its callbacks
	handler http.Handler
	closer  io.Closer
}

// openPlatforms starts the channels of every configured messaging account
// (WeChat Official Accounts, WeCom customer service, Douyin private
// messages); a channel with no accounts is not started.
func openPlatforms(ctx context.Context, cfg config.Channels, engine *bot.Engine, rel *relay.Relay, nc *nats.Conn, logger *slog.Logger) ([]platform, error) {
	var out []platform
	fail := func(err error) ([]platform, error) {
		closePlatforms(out)
		return nil, err
	}
	if len(cfg.Wechat.Accounts) > 0 {
		c, err := wechat.New(ctx, cfg.Wechat, wechat.Options{Engine: engine, Relay: rel, NATS: nc, Logger: logger, ReplyBudget: cfg.WechatReplyBudget.D()})
		if err != nil {
			return fail(fmt.Errorf("gateway: wechat: %w", err))
		}
		out = append(out, platform{path: "/channels/wechat/{name}", handler: c, closer: c})
	}
	if len(cfg.Wecom.Accounts) > 0 {
		c, err := wecom.New(ctx, cfg.Wecom, wecom.Options{Engine: engine, Relay: rel, NATS: nc, Logger: logger})
		if err != nil {
			return fail(fmt.Errorf("gateway: wecom: %w", err))
		}
		p := platform{path: "/channels/wecom/{name}", handler: c, closer: c}
		if cfg.Wecom.RoutesHumans() {
			// One node of the group moves each handed-over WeCom customer
			// to WeCom's own human queue.
			sub, err := nc.QueueSubscribe(handoff.SubjectRequested, "kairos-wecom-handoff", func(m *nats.Msg) {
				var r struct {
					ConversationID string `json:"conversation_id"`
					Channel        string `json:"channel"`
				}
				if json.Unmarshal(m.Data, &r) != nil || r.Channel != wecom.ChannelName {
					return
				}
				hctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				if moved, err := c.HandoffToWeCom(hctx, r.ConversationID); err != nil {
					logger.Warn("wecom: move the customer to the human queue", "conversation", r.ConversationID, "err", err)
				} else if moved {
					logger.Info("wecom: customer moved to WeCom's human queue", "conversation", r.ConversationID)
				}
			})
			if err != nil {
				_ = c.Close()
				return fail(fmt.Errorf("gateway: wecom handoff: %w", err))
			}
			p.closer = closers{subCloser{sub}, c}
		}
		out = append(out, p)
	}
	if len(cfg.Douyin.Accounts) > 0 {
		c, err := douyin.New(ctx, cfg.Douyin, douyin.Options{Engine: engine, Relay: rel, NATS: nc, Logger: logger})
		if err != nil {
			return fail(fmt.Errorf("gateway: douyin: %w", err))
		}
		out = append(out, platform{path: "/channels/douyin/{name}", handler: c, closer: c})
	}
	return out, nil
}

// closers closes several in order.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

type subCloser struct{ s *nats.Subscription }

func (s subCloser) Close() error { return s.s.Unsubscribe() }

func closePlatforms(ps []platform) error {
	var errs []error
	for _, p := range ps {
		if err := p.closer.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
