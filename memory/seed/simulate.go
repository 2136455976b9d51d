package seed

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Event types, as memory/profile names them.
const (
	evPageView     = "page_view"
	evProductView  = "product_view"
	evSearch       = "search"
	evCartAdd      = "cart_add"
	evOrderPlaced  = "order_placed"
	evDelivered    = "order_delivered"
	evRefundReq    = "refund_requested"
	evRefundSubmit = "refund_submitted"
	evUsage        = "subscription_usage"
	evBill         = "bill_generated"
	evSurvey       = "survey"
	evTier         = "tier_changed"
)

// sim is one customer's simulation.
type sim struct {
	cfg Config
	idx int
	rng *rand.Rand
	// alt draws the behaviours added after the first seeds were in use
	// (abandoned carts), so they do not shift rng's sequence: the same seed
	// still generates the same orders, refunds, churn and outcomes.
	alt   *rand.Rand
	c     Customer
	start time.Time
	n     int // events generated, for ids

	segment  string
	joinDay  int
	churnDay int     // -1: never
	activity float64 // sessions per week
	baseCSAT float64
	spend    float64 // lifetime, including before the window (for tiers)
	tier     string
	app      bool    // reports app usage
	appBase  float64 // minutes per week
	payLater bool
	size     string
	cycle    float64 // days per reorder of the segment's consumable
	tins     int     // baby: tins per order
	babyAge  float64 // baby: months at the start
	orders   []order
	monthly  map[int]float64 // day index of a month's first day → spend
}

type order struct {
	id    string
	day   int
	at    time.Time
	items []item
	total float64
}

type item struct {
	SKU             string  `json:"sku"`
	Name            string  `json:"name,omitempty"`
	Qty             int     `json:"qty"`
	Price           float64 `json:"price"`
	ConsumptionDays int     `json:"consumption_days,omitempty"`
	Option          string  `json:"option,omitempty"` // stage, size
}

func simulate(cfg Config, idx int) Customer {
	s := &sim{
		cfg: cfg, idx: idx, start: cfg.Start(),
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(idx)^0x9e3779b97f4a7c15)),
		alt:     rand.New(rand.NewPCG(uint64(cfg.Seed)^0xca47ab4d, uint64(idx))),
		monthly: map[int]float64{},
	}
	s.c.Key = fmt.Sprintf("%d-%06d", cfg.Seed, idx)
	s.traits()
	s.identities()
	s.history()
	s.outcomes()
	slices.SortStableFunc(s.c.Events, func(a, b memory.Event) int { return a.At.Compare(b.At) })
	s.c.Truth = Truth{Segment: s.segment, Churned: s.churnDay >= 0, ChurnDay: s.churnDay,
		CycleDays: math.Round(s.cycle*10) / 10, Orders: len(s.orders)}
	if s.churnDay >= 0 {
		s.c.Truth.ChurnAt = s.dayStart(s.churnDay)
	}
	return s.c
}

func (s *sim) chance(p float64) bool { return s.rng.Float64() < p }

func (s *sim) between(lo, hi float64) float64 { return lo + s.rng.Float64()*(hi-lo) }

func pick[T any](s *sim, xs []T) T { return xs[s.rng.IntN(len(xs))] }

func (s *sim) dayStart(day int) time.Time { return s.start.AddDate(0, 0, day) }

// traits picks who the customer is.
func (s *sim) traits() {
	s.c.Lang = "zh"
	if s.chance(0.3) {
		s.c.Lang = "en"
	}
	switch r := s.rng.Float64(); {
	case r < 0.30:
		s.segment = SegmentWater
		s.cycle = s.between(80, 100)
	case r < 0.55:
		s.segment = SegmentBaby
		s.tins = 1 + s.rng.IntN(3)
		s.cycle = float64(formula.ConsumptionDays*s.tins) * s.between(0.95, 1.05)
		s.babyAge = s.between(0, 24)
	case r < 0.80:
		s.segment = SegmentFashion
		s.size = pick(s, jacketSizes)
	default:
		s.segment = SegmentBrowser
	}
	// Most customers were already customers when the window opens.
	if !s.chance(0.65) {
		s.joinDay = s.rng.IntN(max(1, s.cfg.Days*4/5))
	}
	s.activity = s.between(0.3, 3)
	s.baseCSAT = s.between(3.8, 5)
	if s.joinDay == 0 && s.chance(0.4) {
		s.spend = s.between(0, 6000)
	}
	s.app = s.chance(0.15)
	s.appBase = s.between(60, 400)
	s.payLater = s.chance(0.1)
	s.churnDay = -1
	if s.chance(s.cfg.ChurnRate) {
		lo := max(s.joinDay+21, s.cfg.Days/4)
		hi := s.cfg.Days - s.cfg.Days/10
		if lo < hi {
			s.churnDay = lo + s.rng.IntN(hi-lo)
		}
	}
}

// identities gives every customer a web visitor id and some of them a site
// account, a WeChat openid and a phone number.
func (s *sim) identities() {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	ids := []memory.Identity{{Kind: memory.IdentityWebVisitor, Value: "vis_" + hex.EncodeToString(b[:])}}
	if s.chance(0.6) {
		ids = append(ids, memory.Identity{Kind: memory.IdentitySiteUser, Value: "u" + s.c.Key})
	}
	if s.chance(0.3) {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		id := []byte("o")
		for range 27 {
			id = append(id, alphabet[s.rng.IntN(len(alphabet))])
		}
		ids = append(ids, memory.Identity{Kind: memory.IdentityWeChatOpenID, Value: string(id)})
	}
	if s.chance(0.4) {
		// Unique per index (7919 is coprime with 10^8), so no two seeded
		// customers share a phone and get merged.
		n := (uint64(s.idx)*7919 + uint64(s.cfg.Seed)) % 100_000_000
		ids = append(ids, memory.Identity{Kind: memory.IdentityPhone, Value: fmt.Sprintf("+86139%08d", n)})
	}
	s.c.Identities = ids
}

func (s *sim) hasIdentity(kind string) bool {
	return slices.ContainsFunc(s.c.Identities, func(id memory.Identity) bool { return id.Kind == kind })
}

// emit adds an event.
func (s *sim) emit(typ string, at time.Time, props any) {
	raw, err := json.Marshal(props)
	if err != nil {
		panic(err) // only maps and structs of plain values are passed
	}
	s.n++
	s.c.Events = append(s.c.Events, memory.Event{
		ID:   fmt.Sprintf("seed-%s-%d", s.c.Key, s.n),
		Type: typ, Source: "seed", Props: raw, At: at,
	})
}

// active reports whether the customer still does things on day.
func (s *sim) active(day int) bool { return s.churnDay < 0 || day < s.churnDay }

// activeAt reports whether the customer may act at t: before the end of
// the history and, for churners, before the churn day.
func (s *sim) activeAt(t time.Time) bool {
	if t.After(s.cfg.End) {
		return false
	}
	return s.churnDay < 0 || t.Before(s.dayStart(s.churnDay))
}

// souring is how far into the month before churning the customer is on
// day: 0 outside that window, rising to 1 at the churn day.
func (s *sim) souring(day int) float64 {
	if s.churnDay < 0 || day >= s.churnDay || day < s.churnDay-30 {
		return 0
	}
	return 1 - float64(s.churnDay-day)/30
}

// history walks the days of the window.
func (s *sim) history() {
	if s.spend > 0 {
		s.promote(s.dayStart(s.joinDay).Add(time.Hour))
	}
	next := s.firstOrderDay()
	for day := s.joinDay; day < s.cfg.Days; day++ {
		if s.active(day) {
			if day >= next {
				s.placeOrder(day)
				next = s.nextOrderDay(day)
			} else if s.chance(s.activity / 7 * (1 - 0.6*s.souring(day))) {
				s.session(day, nil)
			}
			s.maybeUsage(day)
		}
		s.maybeBill(day)
	}
	s.churnSignals()
}
