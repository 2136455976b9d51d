package bot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/kairoscx/kairos/memory"
)

// NextBest chooses the next best action for a turn and learns from the
// customer's response (bot/predict/nba's Bandit).
type NextBest interface {
	Decide(ctx context.Context, s nba.Situation) (nba.Decision, error)
	Feedback(ctx context.Context, customerID, decisionID, outcome string) (recorded bool, err error)
}

// ChurnModel scores a customer's churn risk (bot/predict/churn's Model).
type ChurnModel interface {
	Risk(x churn.Vector) float64
}

// factsWindow is how far back a turn reads the customer's events for the
// action's eligibility facts (consumables, open bills, past coupons).
const (
	factsWindow = 60 * 24 * time.Hour
	factsLimit  = 500
)

// offerBook remembers, per conversation, the action offered in the last
// reply, so the customer's next message can be read as their response.
type offerBook struct {
	mu     sync.Mutex
	offers map[string]nba.Decision
}

func (b *offerBook) swap(conversationID string, d *nba.Decision) (nba.Decision, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	prev, ok := b.offers[conversationID]
	if d == nil {
		delete(b.offers, conversationID)
	} else {
		if b.offers == nil {
			b.offers = map[string]nba.Decision{}
		}
		if len(b.offers) >= trackedConversations && !ok {
			for k := range b.offers { // drop an arbitrary old offer
				delete(b.offers, k)
				break
			}
		}
		b.offers[conversationID] = *d
	}
	return prev, ok
}

// decideNext reads the customer's response to the previous offer, if any,
// and chooses this turn's action. It returns "" when there is no decision
// (no bandit, unknown customer, or a failure, which is logged: the turn is
// answered without an offer).
func (e *Engine) decideNext(ctx context.Context, log *slog.Logger, convID string, who customer, in insight.Insight, text string) (nba.Decision, bool) {
	if e.cfg.NextBest == nil || who.id == "" || who.full == nil {
		return nba.Decision{}, false
	}
	if prev, ok := e.offers.swap(convID, nil); ok {
		outcome := responseTo(prev.Action, in, text)
		if _, err := e.cfg.NextBest.Feedback(ctx, who.id, prev.ID, outcome); err != nil {
			log.Warn("record offer outcome", "decision", prev.ID, "err", err)
		}
	}
	now := e.now()
	var facts nba.Facts
	evs, err := e.cfg.Store.Events(ctx, who.id, memory.EventQuery{Since: now.Add(-factsWindow), Limit: factsLimit, Desc: true})
	if err != nil {
		log.Warn("read events for next best action", "err", err)
	} else {
		facts = nba.FactsFromEvents(evs, now)
	}
	risk := 0.0
	if e.cfg.Churn != nil {
		risk = e.cfg.Churn.Risk(churn.Features(churn.Input{Profile: *who.full, Events: evs}, now))
	}
	d, err := e.cfg.NextBest.Decide(ctx, nba.Situation{CustomerID: who.id, Insight: in, Profile: *who.full, ChurnRisk: risk, Facts: facts})
	if err != nil {
		log.Warn("next best action", "err", err)
		return nba.Decision{}, false
	}
	if offered(d.Action) || d.Action == nba.AnswerOnly {
		e.offers.swap(convID, &d)
	}
	return d, true
}

// offered reports whether the reply shows the action to the customer as an
// offer they can take up (answer_only and do_nothing are not offers).
func offered(action string) bool {
	switch action {
	case nba.Coupon, nba.Tutorial, nba.Replenishment, nba.Instalment, nba.Exchange, nba.HumanAgent:
		return true
	}
	return false
}

// responseTo reads the customer's next message as their response to the
// previous action. An offer is accepted by a yes (or by asking for a human
// after a human was offered), declined by a no, otherwise ignored. A plain
// answer is accepted when the customer moves on, declined when they ask
// again or their mood turns for the worse.
func responseTo(action string, in insight.Insight, text string) string {
	if action == nba.AnswerOnly {
		if in.Trajectory.Signals.Asked > 1 || in.Trajectory.Trend == insight.TrendWorsening || in.Trajectory.Escalate() {
			return nba.Declined
		}
		return nba.Accepted
	}
	if action == nba.HumanAgent && in.Intent == insight.IntentHumanRequest {
		return nba.Accepted
	}
	switch yesNo(text) {
	case 1:
		return nba.Accepted
	case -1:
		return nba.Declined
	}
	return nba.Ignored
}

// yesNo is 1 for an agreeing reply, -1 for a refusal, 0 for neither. Only
// short replies count: a long message is about something else.
func yesNo(text string) int {
	t := strings.ToLower(strings.TrimSpace(text))
	if len([]rune(t)) > 24 {
		return 0
	}
	for _, no := range []string{"不用", "不要", "不需要", "算了", "没兴趣", "no", "nope", "not now", "no thanks", "don't"} {
		if strings.HasPrefix(t, no) || strings.Contains(t, " "+no) {
			return -1
		}
	}
	for _, yes := range []string{"好", "可以", "行", "要", "嗯", "需要", "麻烦", "yes", "yeah", "sure", "ok", "okay", "please", "great"} {
		if strings.HasPrefix(t, yes) {
			return 1
		}
	}
	return 0
}
