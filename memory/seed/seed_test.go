package seed_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/profile"
	"github.com/kairoscx/kairos/memory/seed"
)

var end = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func openStore(t testing.TB) (*embedded.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: dir, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := seed.Config{Customers: 50, Days: 120, Seed: 7, End: end}
	other := cfg
	other.Seed = 8
	differ := 0
	for i := range cfg.Customers {
		a, err := seed.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := seed.Generate(cfg, i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("customer %d differs between two runs with the same seed", i)
		}
		c, _ := seed.Generate(other, i)
		if !reflect.DeepEqual(a.Events, c.Events) {
			differ++
		}
	}
	if differ < cfg.Customers/2 {
		t.Errorf("only %d of %d customers differ with another seed", differ, cfg.Customers)
	}
}

func TestGenerateRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  seed.Config
	}{
		{"no customers", seed.Config{Customers: 0, Days: 10, End: end}},
		{"no days", seed.Config{Customers: 1, Days: 0, End: end}},
		{"too many days", seed.Config{Customers: 1, Days: seed.MaxDays + 1, End: end}},
		{"churn rate above 1", seed.Config{Customers: 1, Days: 10, End: end, ChurnRate: 1.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := seed.Generate(tt.cfg, 0); !errors.Is(err, memory.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestEventsAreValid checks every generated event against the standard
// types' documented props, as ingestion would.
func TestEventsAreValid(t *testing.T) {
	cfg := seed.Config{Customers: 300, Days: 180, Seed: 3, End: end}
	types := map[string]int{}
	for i := range cfg.Customers {
		c, err := seed.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range c.Events {
			ev.CustomerID = "cus_x"
			if err := profile.Validate(ev, end); err != nil {
				t.Fatalf("customer %s event %s %s: %v (%s)", c.Key, ev.ID, ev.Type, err, ev.Props)
			}
			if err := memory.ValidateEvent(ev); err != nil {
				t.Fatalf("customer %s: %v", c.Key, err)
			}
			if ev.At.Before(cfg.Start()) || ev.At.After(end) {
				t.Fatalf("event %s at %v outside the window", ev.ID, ev.At)
			}
			types[ev.Type]++
		}
	}
	for _, typ := range []string{"page_view", "product_view", "search", "cart_add", "order_placed", "order_delivered",
		"refund_requested", "refund_submitted", "subscription_usage", "bill_generated", "survey", "tier_changed"} {
		if types[typ] == 0 {
			t.Errorf("no %s events generated (got %v)", typ, types)
		}
	}
}

// TestChurnersStop checks the ground truth against the events: churners do
// nothing themselves from their churn day, and their satisfaction sours
// before it.
func TestChurnersStop(t *testing.T) {
	cfg := seed.Config{Customers: 1000, Days: 120, Seed: 11, End: end}
	churned := 0
	var souredSum, happySum float64
	var soured, happy int
	for i := range cfg.Customers {
		c, _ := seed.Generate(cfg, i)
		if !c.Truth.Churned {
			for _, ev := range c.Events {
				if ev.Type == "survey" {
					happySum += csat(t, ev)
					happy++
				}
			}
			continue
		}
		churned++
		for _, ev := range c.Events {
			switch ev.Type {
			case "order_delivered", "refund_submitted", "bill_generated":
				continue // the business acts, not the customer
			}
			if !ev.At.Before(c.Truth.ChurnAt) {
				t.Fatalf("churner %s: %s at %v, after churning at %v", c.Key, ev.Type, ev.At, c.Truth.ChurnAt)
			}
			if ev.Type == "survey" && ev.At.After(c.Truth.ChurnAt.AddDate(0, 0, -15)) {
				souredSum += csat(t, ev)
				soured++
			}
		}
		for _, ch := range c.Chats {
			if !ch.Messages[0].At.Before(c.Truth.ChurnAt) {
				t.Fatalf("churner %s chats after churning", c.Key)
			}
		}
	}
	if rate := float64(churned) / float64(cfg.Customers); math.Abs(rate-seed.DefaultChurnRate) > 0.05 {
		t.Errorf("churn rate %.3f, want about %.2f", rate, seed.DefaultChurnRate)
	}
	if soured == 0 || happy == 0 {
		t.Fatalf("surveys: %d before churn, %d of staying customers", soured, happy)
	}
	if s, h := souredSum/float64(soured), happySum/float64(happy); s > h-1 {
		t.Errorf("CSAT shortly before churn %.2f, of staying customers %.2f: want a clear drop", s, h)
	}
}

func csat(t *testing.T, ev memory.Event) float64 {
	t.Helper()
	var v struct {
		CSAT float64 `json:"csat"`
	}
	if err := jsonUnmarshal(ev.Props, &v); err != nil {
		t.Fatal(err)
	}
	return v.CSAT
}
