package outcomes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// fake is an in-memory EventScanner, CustomerLister and ProfileReader.
type fake struct {
	events   []memory.Event
	profiles map[string]memory.Profile
	fail     error
}

func (f *fake) ScanEvents(_ context.Context, q outcomes.Scan, fn func(memory.Event) error) error {
	if f.fail != nil {
		return f.fail
	}
	for _, ev := range f.events {
		if ev.At.Before(q.From) || !ev.At.Before(q.To) || (len(q.Types) > 0 && !slices.Contains(q.Types, ev.Type)) ||
			(len(q.Customers) > 0 && !slices.Contains(q.Customers, ev.CustomerID)) {
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) CustomerIDs(context.Context) ([]string, error) {
	set := map[string]bool{}
	for _, ev := range f.events {
		set[ev.CustomerID] = true
	}
	var out []string
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fake) Profiles(_ context.Context, ids []string) (map[string]memory.Profile, error) {
	out := map[string]memory.Profile{}
	for _, id := range ids {
		if p, ok := f.profiles[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

var t0 = time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)

func (f *fake) add(customer, typ string, at time.Time, props any) {
	b, _ := json.Marshal(props)
	f.events = append(f.events, memory.Event{ID: fmt.Sprintf("e%d", len(f.events)), CustomerID: customer, Type: typ, At: at, Props: b, Source: "test"})
}

func turn(conv, ch, mood string, val float64, extra map[string]any) map[string]any {
	m := map[string]any{"conversation_id": conv, "channel": ch, "mood": mood, "valence": val, "intent": "other"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func handCase() *fake {
	f := &fake{profiles: map[string]memory.Profile{
		"c1": {Business: memory.BusinessProfile{Tier: "gold", Stage: "active"}},
		"c2": {Business: memory.BusinessProfile{Stage: "new"}},
	}}
	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	// A (c1, web): negative at turn 2, the bot intervenes at turn 3,
	// recovered at turn 4; one repeat; first response 1.5 s.
	f.add("c1", "conversation.turn", min(0), turn("A", "web", "neutral", 0.1, map[string]any{"response_ms": 1500}))
	f.add("c1", "conversation.turn", min(1), turn("A", "web", "angry", -0.7, nil))
	f.add("c1", "conversation.turn", min(2), turn("A", "web", "frustrated", -0.5, map[string]any{"intervened": true, "repeats": 1}))
	f.add("c1", "conversation.turn", min(3), turn("A", "web", "satisfied", 0.5, nil))
	// B (c1, web) a day later: A's customer came back within 72 h. B is
	// handed over: waits 60 s, resolved 5 min after the claim, transferred.
	f.add("c1", "conversation.turn", min(24*60), turn("B", "web", "neutral", 0, nil))
	f.add("c1", "conversation.turn", min(24*60+1), turn("B", "web", "neutral", 0, nil))
	created := min(24*60 + 2)
	claimed, resolved := created.Add(60*time.Second), created.Add(6*time.Minute)
	f.add("c1", "handoff.record", resolved, map[string]any{"handoff_id": "h1", "conversation_id": "B", "created_at": created,
		"claimed_at": claimed, "resolved_at": resolved, "status": "resolved", "transferred_from": "billing", "updated_at": resolved})
	// C (c2, wechat): three turns with tokens, resolved by the bot.
	for i := range 3 {
		f.add("c2", "conversation.turn", min(i), turn("C", "wechat", "neutral", 0.2, map[string]any{"tokens": 100, "cost": 0.01, "response_ms": 2000}))
	}
	// Surveys: CSAT 5, 3, 4 (mean 4); CES 2, 6 (mean 4).
	f.add("c1", "survey", min(10), map[string]any{"csat": 5, "ces": 2})
	f.add("c2", "survey", min(10), map[string]any{"csat": 3, "ces": 6})
	f.add("c2", "survey", min(20), map[string]any{"csat": 4})
	f.add("c2", "survey", min(21), map[string]any{"csat": 9}) // out of range: ignored
	// NBA: coupon accepted once of 2, tutorial offered without feedback.
	f.add("c1", "nba_offered", min(5), map[string]any{"decision_id": "d1", "action": "coupon"})
	f.add("c1", "nba_feedback", min(6), map[string]any{"decision_id": "d1", "outcome": "accepted"})
	f.add("c2", "nba_offered", min(5), map[string]any{"decision_id": "d2", "action": "coupon"})
	f.add("c2", "nba_feedback", min(6), map[string]any{"decision_id": "d2", "outcome": "declined"})
	f.add("c2", "nba_offered", min(7), map[string]any{"decision_id": "d3", "action": "tutorial"})
	// Trigger "pay": c1 and c3 treated, c4 held out. c1 pays within the
	// 3-day window (value 120), c3 after 4 days (too late), c4 never; c1
	// asked about billing afterwards, c4 too.
	fire := func(c, outcome string, at time.Time) {
		group := proactive.GroupTreatment
		if outcome == proactive.OutcomeHoldout {
			group = proactive.GroupHoldout
		}
		f.add(c, "proactive.firing", at, map[string]any{"id": "f-" + c, "trigger": "pay", "at": at, "group": group, "outcome": outcome, "channel": "web"})
	}
	fire("c1", proactive.OutcomeSent, min(30))
	fire("c3", proactive.OutcomeSent, min(30))
	fire("c4", proactive.OutcomeHoldout, min(30))
	f.add("c1", "bill_paid", min(30+60), map[string]any{"amount": 120})
	f.add("c3", "bill_paid", min(30+4*24*60), map[string]any{"amount": 80})
	f.add("c1", "conversation.turn", min(40), turn("D", "web", "neutral", 0, map[string]any{"intent": "payment_billing"}))
	f.add("c4", "conversation.turn", min(45), turn("E", "web", "neutral", 0, map[string]any{"intent": "payment_billing"}))
	f.add("c1", "proactive.firing", min(50), map[string]any{"trigger": "pay"}) // malformed: no time
	return f
}

func num(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s: %v, want %v", name, deref(got), want)
	}
}

func deref(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}

func specs() []proactive.Spec {
	s := proactive.Spec{ID: "pay"}
	s.Outcome.Events = []string{"bill_paid"}
	s.Outcome.Within = proactive.Duration(72 * time.Hour)
	return []proactive.Spec{s}
}

func TestComputeHandCase(t *testing.T) {
	f := handCase()
	p := outcomes.Params{From: t0.Add(-time.Hour), To: t0.Add(31 * 24 * time.Hour), Now: t0.Add(60 * 24 * time.Hour), MinGroup: 1,
		Issues: map[string][]string{"pay": {"payment_billing"}}}
	rep, err := outcomes.Compute(context.Background(), outcomes.Sources{Events: f, Profiles: f, Triggers: specs()}, p)
	if err != nil {
		t.Fatal(err)
	}
	x, o := rep.Overall.Experience, rep.Overall.Operations
	num(t, "CSAT", x.CSAT.Value, 4)
	num(t, "CES", x.CES.Value, 4)
	if x.CSAT.N != 3 || x.CES.N != 2 {
		t.Errorf("survey counts %d, %d; want 3, 2", x.CSAT.N, x.CES.N)
	}
	if o.Conversations != 5 {
		t.Errorf("%d conversations, want 5 (A-E)", o.Conversations)
	}
	num(t, "turns", x.Turns.Value, (4+2+3+1+1)/5.0)
	num(t, "repeats", x.Repeats.Value, 1/5.0)
	num(t, "transfers", x.Transfers.Value, 1)
	// Resolved by the bot: C and E (A and D: their customer came back
	// with B within 72 h; B: handed over).
	num(t, "bot resolution", o.BotResolution.Value, 2/5.0)
	num(t, "handoff rate", o.HandoffRate.Value, 1/5.0)
	num(t, "queue wait", o.QueueWait.MedianS, 60)
	// First responses: A 1.5 s, C 2 s, B the 60 s wait (D, E record none).
	num(t, "first response median", o.FirstResponse.MedianS, 2)
	if o.FirstResponse.N != 3 {
		t.Errorf("first responses %d, want 3", o.FirstResponse.N)
	}
	num(t, "tokens per resolved", o.TokensPerResolved, 300)
	num(t, "cost per resolved", o.CostPerResolved, 0.03)
	num(t, "recovery", x.Recovery.Value, 1)
	num(t, "bot recovery", x.RecoveryBot.Value, 1)
	if x.RecoveryAgent.Value != nil || x.NegativeTurned != 1 {
		t.Errorf("agent recovery %v, %d negative; want null and 1", deref(x.RecoveryAgent.Value), x.NegativeTurned)
	}
	// B: first turn to the handoff's resolution = 1 min + 2 min… created
	// 2 min after B's first turn, resolved 6 min after that.
	if x.TimeToResolution.N != 5 {
		t.Errorf("time to resolution over %d conversations, want 5", x.TimeToResolution.N)
	}

	nba := rep.Overall.Prediction.NBA
	if len(nba) != 2 || nba[0].Action != "coupon" || nba[0].Offered != 2 || nba[0].Accepted != 1 || nba[0].Declined != 1 || nba[1].Offered != 1 || nba[1].Accepted != 0 {
		t.Fatalf("NBA %+v", nba)
	}
	num(t, "coupon adoption", nba[0].Rate.Value, 0.5)
	num(t, "tutorial adoption", nba[1].Rate.Value, 0)

	if len(rep.Overall.Proactive) != 1 {
		t.Fatalf("effects %+v", rep.Overall.Proactive)
	}
	e := rep.Overall.Proactive[0]
	if e.Treatment.Customers != 2 || e.Holdout.Customers != 1 || e.Treatment.Conversion.K != 1 || e.Holdout.Conversion.K != 0 {
		t.Errorf("effect %+v", e)
	}
	num(t, "uplift", e.Conversion.Diff, 0.5)
	if e.Conversion.Verdict != outcomes.VerdictNoEvidence {
		t.Errorf("1/2 vs 0/1: verdict %q, want no evidence", e.Conversion.Verdict)
	}
	// Issue: treatment 1/2 raised it, holdout 1/1 → ratio 1 − 0.5/1.
	num(t, "prevention ratio", e.Prevention.Ratio, 0.5)
	num(t, "prevented", e.Prevention.Prevented.Value, 0.5)
	if e.Retention.Verdict == "" || e.Treatment.Retention.N != 2 {
		t.Errorf("retention %+v %+v", e.Retention, e.Treatment.Retention)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "1 malformed") }) {
		t.Errorf("notes %q: want the malformed firing counted", rep.Notes)
	}
	l := rep.Ledger
	if l.ProactiveActions != 2 || l.Conversions != 1 || l.ConversionValue != 120 || l.Resolutions != 2 || l.AgentMinutesSaved != 12 {
		t.Errorf("ledger %+v", l)
	}

	// By channel: web holds A, B, D, E; wechat C.
	p.By = outcomes.ByChannel
	rep, err = outcomes.Compute(context.Background(), outcomes.Sources{Events: f, Profiles: f, Triggers: specs()}, p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, g := range rep.Groups {
		got[g.Key] = g.Figures.Operations.Conversations
	}
	if got["web"] != 4 || got["wechat"] != 1 {
		t.Errorf("by channel %v", got)
	}
	// By segment: c1 gold/active, c2 none/new.
	p.By = outcomes.BySegment
	rep, _ = outcomes.Compute(context.Background(), outcomes.Sources{Events: f, Profiles: f, Triggers: specs()}, p)
	keys := []string{}
	for _, g := range rep.Groups {
		keys = append(keys, g.Key)
	}
	if !slices.Contains(keys, "gold/active") || !slices.Contains(keys, "none/new") {
		t.Errorf("segments %v", keys)
	}
	// By trigger: D and B follow c1's contact by "pay" within a week.
	p.By = outcomes.ByTrigger
	rep, _ = outcomes.Compute(context.Background(), outcomes.Sources{Events: f, Profiles: f, Triggers: specs()}, p)
	for _, g := range rep.Groups {
		if g.Key == "pay" && (g.Figures.Operations.Conversations != 2 || len(g.Figures.Proactive) != 1) {
			t.Errorf("pay group: %d conversations, %d effects", g.Figures.Operations.Conversations, len(g.Figures.Proactive))
		}
	}
}

func TestEmptyPeriodIsNoData(t *testing.T) {
	f := handCase()
	p := outcomes.Params{From: t0.AddDate(-1, 0, 0), To: t0.AddDate(-1, 0, 7), Now: t0}
	rep, err := outcomes.Compute(context.Background(), outcomes.Sources{Events: f, Profiles: f, Triggers: specs()}, p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	s := string(b)
	if strings.Contains(s, "NaN") || !strings.Contains(s, `"ces":{"value":null,"low":null,"high":null,"n":0}`) ||
		!strings.Contains(s, `"bot_resolution":{"value":null`) || !strings.Contains(s, `"verdict":"no data"`) || !strings.Contains(s, `"auc":null`) {
		t.Errorf("empty period JSON:\n%s", s)
	}
	if len(rep.Series) != 8 { // 10:00 to 10:00 seven days later: 8 UTC days
		t.Errorf("%d daily buckets, want 8", len(rep.Series))
	}
}

func TestParamsValidation(t *testing.T) {
	f := &fake{}
	for _, p := range []outcomes.Params{
		{},
		{From: t0, To: t0},
		{From: t0, To: t0.Add(-time.Hour)},
		{From: t0, To: t0.AddDate(2, 0, 0)},
		{From: t0, To: t0.Add(time.Hour), By: "planet"},
		{From: t0, To: t0.Add(time.Hour), Interval: "hour"},
		{From: t0, To: t0.Add(time.Hour), K: -1},
		{From: t0, To: t0.Add(time.Hour), ChurnSample: -1},
	} {
		if _, err := outcomes.Compute(context.Background(), outcomes.Sources{Events: f}, p); !errors.Is(err, outcomes.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", p, err)
		}
	}
	if _, err := outcomes.Compute(context.Background(), outcomes.Sources{}, outcomes.Params{From: t0, To: t0.Add(time.Hour)}); !errors.Is(err, outcomes.ErrInvalid) {
		t.Errorf("no event source: %v", err)
	}
	boom := errors.New("store down")
	if _, err := outcomes.Compute(context.Background(), outcomes.Sources{Events: &fake{fail: boom}}, outcomes.Params{From: t0, To: t0.Add(time.Hour)}); !errors.Is(err, boom) {
		t.Errorf("failing source: %v", err)
	}
}

func TestHandler(t *testing.T) {
	f := handCase()
	h := outcomes.NewHandler(func() outcomes.Sources { return outcomes.Sources{Events: f, Profiles: f, Triggers: specs()} })
	get := func(url string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
		return w
	}
	w := get("/api/v1/outcomes?from=2026-09-30&to=2026-10-30&by=channel")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var rep outcomes.Report
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || rep.By != "channel" || len(rep.Groups) == 0 || rep.Interval != "day" {
		t.Fatalf("%v %+v", err, rep)
	}
	for _, bad := range []string{"?by=planet", "?from=yesterday", "?from=2026-10-02&to=2026-10-01", "?from=2020-01-01&to=2026-01-01", "?interval=hour", "?k=-3", "?k=x"} {
		if w := get("/api/v1/outcomes" + bad); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s", bad, w.Code, w.Body)
		}
	}
	w = get("/api/v1/outcomes/ledger?from=2026-09-30&to=2026-10-30&format=csv")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !bytes.HasPrefix(w.Body.Bytes(), []byte("kind,id,at")) {
		t.Errorf("ledger csv: %d %s %s", w.Code, w.Header(), w.Body)
	}
	if w := get("/api/v1/outcomes/ledger?format=xml"); w.Code != http.StatusBadRequest {
		t.Errorf("ledger xml: %d", w.Code)
	}
	hf := outcomes.NewHandler(func() outcomes.Sources { return outcomes.Sources{Events: &fake{fail: errors.New("down")}} })
	w = httptest.NewRecorder()
	hf.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/outcomes", nil))
	if w.Code != http.StatusBadGateway {
		t.Errorf("failing source: %d", w.Code)
	}
}

func TestLedgerCSVEscapesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := outcomes.WriteLedgerCSV(&b, []outcomes.Entry{{Kind: "proactive", ID: "=HYPERLINK(\"x\")", Customer: "c,1", At: t0}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(b.String(), `"c,1"`) {
		t.Errorf("csv:\n%s", b.String())
	}
}
