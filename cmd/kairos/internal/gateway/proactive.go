package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/bot/llm"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/memory"
)

// proactiveParts is the trigger engine of a node: the engine, its JetStream
// runner (events partitioned by customer, timers as scheduled messages),
// the watcher that hot-reloads the trigger folder, and its admin API.
type proactiveParts struct {
	state   *stream.State
	engine  *proactive.Engine
	runner  *stream.Runner
	watcher *proactive.Watcher // nil with the built-in sample matrix
	handler http.Handler
}

// openProactive builds the trigger engine. The sample matrix runs when no
// folder is configured; a folder that does not compile is an error at
// start (later, while running, a bad edit keeps the previous matrix).
func openProactive(ctx context.Context, cfg config.Config, reg prometheus.Registerer, nc *nats.Conn, js jetstream.JetStream, store memory.Store, out outbox,
	model *churn.Model, drafter *llm.Reasoner, human proactive.Handoff, logger *slog.Logger) (*proactiveParts, error) {
	st, err := stream.NewState(ctx, js, 1)
	if err != nil {
		return nil, fmt.Errorf("gateway: proactive state: %w", err)
	}
	tz, err := time.LoadLocation(cfg.Triggers.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("gateway: triggers.time_zone: %w", err)
	}
	quietStart, quietEnd := cfg.Triggers.QuietStart, cfg.Triggers.QuietEnd
	if quietStart == quietEnd {
		// The engine reads 0/0 as "use the default"; any other equal pair
		// means no quiet hours.
		quietStart, quietEnd = 1, 1
	}
	metrics, err := proactive.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("gateway: proactive metrics: %w", err)
	}
	pcfg := proactive.Config{
		State:         metrics.State(st),
		History:       store,
		Insights:      profileInsights{store},
		Churn:         churnSource{store: store, model: model},
		Deliverer:     &deliverer{store: store, out: out, idle: cfg.ConversationIdle.D(), nc: nc},
		Guard:         proactive.Guard{PerDay: cfg.Triggers.PerDay, PerWeek: cfg.Triggers.PerWeek, QuietStart: quietStart, QuietEnd: quietEnd, TimeZone: tz},
		Handoff:       human,
		DefaultSecret: cfg.Triggers.WebhookSecret,
		DefaultLang:   cfg.Triggers.DefaultLang,
		NoHoldout:     cfg.Triggers.NoHoldout || cfg.Triggers.Dir == "",
		Logger:        logger,
	}
	if drafter != nil {
		pcfg.Drafter = llmDrafter{r: drafter}
	}
	var timers timerProxy
	pcfg.Timers = &timers
	p := &proactiveParts{state: st}
	var matrix *proactive.Matrix
	if cfg.Triggers.Dir == "" {
		if matrix, err = sample.Matrix(); err != nil {
			return nil, fmt.Errorf("gateway: sample triggers: %w", err)
		}
	}
	if p.engine, err = proactive.New(pcfg, matrix); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	metrics.Watch(p.engine)
	if cfg.Triggers.Dir != "" {
		p.watcher = &proactive.Watcher{Dir: cfg.Triggers.Dir, Apply: p.engine.SetMatrix, Logger: logger}
		if err := p.watcher.Load(); err != nil {
			return nil, fmt.Errorf("gateway: triggers: %w", err)
		}
	}
	if p.runner, err = stream.New(stream.Config{JS: js, Engine: p.engine, Resolver: store, Partitions: cfg.Triggers.Partitions, Logger: logger}); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	timers.r = p.runner
	loadErr := func() error { return nil }
	if p.watcher != nil {
		loadErr = p.watcher.Err
	}
	p.handler = proactive.NewHandler(p.engine, loadErr)
	return p, nil
}

// run runs the runner (and the watcher) until ctx is done.
func (p *proactiveParts) run(ctx context.Context) error {
	if p.watcher != nil {
		go p.watcher.Run(ctx)
	}
	err := p.runner.Run(ctx)
	p.engine.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	// Firing records are published asynchronously: wait for the last.
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ferr := p.state.Flush(fctx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("flush firing records: %w", ferr))
	}
	return err
}

// timerProxy breaks the construction cycle engine → timers → runner →
// engine.
type timerProxy struct{ r *stream.Runner }

func (t *timerProxy) Arm(ctx context.Context, tm proactive.Timer, ifIdle bool) error {
	return t.r.Arm(ctx, tm, ifIdle)
}

// outbox publishes outbound messages (channels/relay).
type outbox interface {
	Publish(ctx context.Context, out channels.Outbound) error
}

// liveFor is how recently a customer must have been seen for a proactive
// message to count as delivered now rather than kept for the next visit.
const liveFor = 30 * time.Minute

// deliverer sends a proactive message on the customer's most recently used
// channel: it is stored in that channel's current conversation (so it is
// never lost and is replayed at the next visit) and published to the
// conversation, where the node holding the customer's connection (web) or
// the platform adapter's delivery group (WeChat, WeCom, Douyin, which apply
// their own reply windows and keep what they may not send yet) delivers it.
type deliverer struct {
	store memory.Store
	out   outbox
	idle  time.Duration
	// nc receives the platform adapters' delivery reports (nil: not
	// waited for).
	nc *nats.Conn
}

// reportWait is how long a proactive message on a platform channel waits
// for the adapter's delivery report, to record whether it reached the
// customer or is kept for their next interaction (WeChat's 48-hour
// window).
const reportWait = 3 * time.Second

// channelOf maps identity kinds to the channel that reaches them.
var channelOf = map[string]string{
	"web_visitor": "web", "site_user": "web",
	"wechat_openid": "wechat", "wecom_external_userid": "wecom", "douyin_open_id": "douyin",
}

func (d *deliverer) Deliver(ctx context.Context, m proactive.Message) (proactive.Delivery, error) {
	now := time.Now()
	ids, err := d.store.Identities(ctx, m.Customer)
	if err != nil {
		return proactive.Delivery{}, fmt.Errorf("deliver: identities: %w", err)
	}
	// The most recently active conversation among the customer's channels.
	var best memory.Conversation
	seen := map[string]bool{}
	for _, id := range ids {
		ch := channelOf[id.Kind]
		if ch == "" || seen[ch] {
			continue
		}
		seen[ch] = true
		conv, err := d.store.CurrentConversation(ctx, m.Customer, ch, now.Add(-d.idle))
		if err != nil {
			return proactive.Delivery{}, fmt.Errorf("deliver: conversation: %w", err)
		}
		if best.ID == "" || conv.UpdatedAt.After(best.UpdatedAt) {
			best = conv
		}
	}
	if best.ID == "" {
		return proactive.Delivery{Stored: true}, errors.New("deliver: the customer has no channel to reach them on")
	}
	msg, _, err := d.store.AppendMessage(ctx, memory.Message{ConversationID: best.ID, Role: memory.RoleBot, Text: m.Text,
		ClientID: "proactive:" + m.Trigger + ":" + m.Occurrence, CreatedAt: now})
	if err != nil {
		return proactive.Delivery{}, fmt.Errorf("deliver: store: %w", err)
	}
	del := proactive.Delivery{Channel: best.Channel, ConversationID: best.ID}
	if p, err := d.store.Profile(ctx, m.Customer); err == nil && now.Sub(p.Behaviour.LastSeen) > liveFor && now.Sub(p.Interaction.LastContact) > liveFor {
		del.Stored = true
	}
	out := channels.Outbound{V: channels.Version, Kind: channels.OutMessage, ConversationID: msg.ConversationID,
		Seq: msg.Seq, Role: string(msg.Role), Text: msg.Text, At: msg.CreatedAt}
	var reports chan *nats.Msg
	if best.Channel != "web" && d.nc != nil {
		reports = make(chan *nats.Msg, 16)
		sub, err := d.nc.ChanSubscribe(channels.DeliverySubject(best.Channel), reports)
		if err == nil {
			defer sub.Unsubscribe()
		} else {
			reports = nil
		}
	}
	if err := d.out.Publish(ctx, out); err != nil {
		// Stored: the customer gets it by replay at their next connection.
		del.Stored = true
		return del, nil
	}
	if reports != nil {
		del.Stored = d.awaitReport(ctx, reports, msg.ConversationID, msg.Seq, del.Stored)
	}
	return del, nil
}

// awaitReport waits for the platform adapter's report on the message and
// returns whether it was kept for later (pending, failed); without a
// report in time it keeps the guess it was given.
func (d *deliverer) awaitReport(ctx context.Context, reports <-chan *nats.Msg, conv string, seq int64, guess bool) bool {
	timer := time.NewTimer(reportWait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return guess
		case <-timer.C:
			return guess
		case m := <-reports:
			var r channels.DeliveryReport
			if json.Unmarshal(m.Data, &r) != nil || r.ConversationID != conv || r.Seq != seq {
				continue
			}
			return r.Status == channels.DeliveryPending || r.Status == channels.DeliveryFailed
		}
	}
}

// profileInsights gives triggers the customer's latest mood from the
// profile's sentiment history, which every node's turns update, so the
// partition owner sees turns answered on any node.
type profileInsights struct{ store memory.Store }

func (s profileInsights) LatestInsight(ctx context.Context, customerID string) (proactive.Insight, bool, error) {
	p, err := s.store.Profile(ctx, customerID)
	if errors.Is(err, memory.ErrNotFound) {
		return proactive.Insight{}, false, nil
	}
	if err != nil {
		return proactive.Insight{}, false, err
	}
	pts := p.Interaction.Sentiment
	if len(pts) == 0 {
		return proactive.Insight{}, false, nil
	}
	last := pts[len(pts)-1]
	in := proactive.Insight{Mood: last.Mood, Valence: last.Valence, At: last.At, Trend: "stable"}
	if n := len(pts); n >= 3 {
		switch d := last.Valence - (pts[n-2].Valence+pts[n-3].Valence)/2; {
		case d <= -0.2:
			in.Trend = "worsening"
		case d >= 0.2:
			in.Trend = "improving"
		}
	}
	return in, true, nil
}

// churnSource scores a customer with the churn model from their profile.
type churnSource struct {
	store memory.Store
	model *churn.Model
}

func (c churnSource) ChurnRisk(ctx context.Context, customerID string) (float64, error) {
	p, err := c.store.Profile(ctx, customerID)
	if err != nil {
		return 0, err
	}
	return c.model.Risk(churn.Features(churn.Input{Profile: p}, time.Now())), nil
}

// llmDrafter writes proactive messages with slow thinking: the template is
// the draft, checked against policy and tone and revised; a version that
// does not pass is not used (the engine then sends the template).
type llmDrafter struct{ r *llm.Reasoner }

func (d llmDrafter) Draft(ctx context.Context, r proactive.DraftRequest) (string, error) {
	res, err := d.r.Deliberate(ctx, reason.Request{CustomerID: r.Customer, Lang: r.Lang}, r.Template)
	if err != nil {
		return "", err
	}
	if !res.Verified {
		return "", errors.New("the draft did not pass the self-check")
	}
	return res.Reply.Text, nil
}
