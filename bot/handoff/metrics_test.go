package handoff

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gather returns the registry's samples as "name{label=value,...}" → value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			out[key+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestMetricsQueueDepthAndWait opens three handoffs, claims one, and reads
// the queue depth, the claimed handoff's wait and the configured queues
// (always reported, zero when empty) from the collector.
func TestMetricsQueueDepthAndWait(t *testing.T) {
	srv := startNATS(t)
	store := openStore(t)
	n := startNode(t, srv, store, nil)
	reg := prometheus.NewRegistry()
	if err := NewMetrics(reg, n.svc); err != nil {
		t.Fatal(err)
	}
	if err := NewMetrics(nil, n.svc); err == nil {
		t.Fatal("NewMetrics without a registerer: no error")
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, open1(t, n, conversation(t, store, fmt.Sprintf("mv%d", i)), "转人工").HandoffID)
	}
	queue := n.svc.cfg.Routing.DefaultQueue
	got := gather(t, reg)
	if v := got["kairos_handoff_queue_depth{queue="+queue+",status=waiting}"]; v != 3 {
		t.Fatalf("waiting depth %v, want 3 (%v)", v, got)
	}
	if _, ok := got["kairos_handoff_queue_depth{queue=refunds,status=waiting}"]; !ok {
		t.Error("a configured queue without handoffs is not reported")
	}
	if _, ok := got["kairos_handoff_wait_seconds{quantile=0.5,queue="+queue+"}"]; ok {
		t.Error("a wait is reported before any claim")
	}
	claimed, err := n.svc.Claim(context.Background(), ids[0], "alice")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "claim mirrored", func() bool {
		r, ok := n.svc.cached(ids[0])
		return ok && r.Status == StatusClaimed
	})
	got = gather(t, reg)
	if got["kairos_handoff_queue_depth{queue="+queue+",status=waiting}"] != 2 || got["kairos_handoff_queue_depth{queue="+queue+",status=claimed}"] != 1 {
		t.Errorf("depth after a claim: %v", got)
	}
	if got["kairos_handoff_claimed_recent{queue="+queue+"}"] != 1 {
		t.Errorf("claimed_recent %v, want 1", got["kairos_handoff_claimed_recent{queue="+queue+"}"])
	}
	want := claimed.ClaimedAt.Sub(claimed.CreatedAt).Seconds()
	for _, q := range []string{"0.5", "0.9", "1"} {
		if v, ok := got["kairos_handoff_wait_seconds{quantile="+q+",queue="+queue+"}"]; !ok || v != want {
			t.Errorf("wait quantile %s = %v (%v), want the claimed handoff's %v", q, v, ok, want)
		}
	}
	if _, ok := got["kairos_handoff_agents_online{}"]; !ok {
		t.Error("agents_online missing")
	}
}

func TestQuantileNearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ q, want float64 }{{0.5, 5}, {0.9, 9}, {1, 10}, {0, 1}} {
		if got := quantile(v, c.q); got != c.want {
			t.Errorf("quantile %v = %v, want %v", c.q, got, c.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing")
	}
}
