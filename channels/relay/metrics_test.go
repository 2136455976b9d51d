package relay_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/channels/relay"
)

// samples gathers reg into "name{label=value}" → value.
func samples(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName() + "{"
			for _, l := range m.GetLabel() {
				key += l.GetName() + "=" + l.GetValue()
			}
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			out[key+"}"] = v
		}
	}
	return out
}

// TestNATSCollector: connected with traffic counted and a round trip
// measured; after the server goes away, connected is 0 and no round trip
// is reported (and the scrape does not hang).
func TestNATSCollector(t *testing.T) {
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ns.Connect("metrics-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	reg := prometheus.NewRegistry()
	reg.MustRegister(relay.NewNATSCollector(nc, 0))
	for range 5 {
		if err := nc.Publish("kairos.test.metrics", []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	got := samples(t, reg)
	if got["kairos_nats_connected{}"] != 1 {
		t.Fatalf("connected = %v, want 1", got["kairos_nats_connected{}"])
	}
	if got["kairos_nats_messages_total{direction=out}"] < 5 || got["kairos_nats_bytes_total{direction=out}"] < 25 {
		t.Errorf("out traffic %v msgs %v bytes, want at least 5 and 25", got["kairos_nats_messages_total{direction=out}"], got["kairos_nats_bytes_total{direction=out}"])
	}
	if _, ok := got["kairos_nats_rtt_seconds{}"]; !ok {
		t.Error("no round trip while connected")
	}

	ns.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for nc.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got = samples(t, reg)
	if got["kairos_nats_connected{}"] != 0 {
		t.Errorf("connected = %v after the server stopped, want 0", got["kairos_nats_connected{}"])
	}
	if _, ok := got["kairos_nats_rtt_seconds{}"]; ok {
		t.Error("a round trip reported while disconnected")
	}
}

// TestHealthCollector: one series per component; up follows the ping,
// and a ping that hangs is cut off by the timeout and counts as down.
func TestHealthCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	var storeErr error
	reg.MustRegister(relay.NewHealthCollector("store", func(context.Context) error { return storeErr }, 0))
	reg.MustRegister(relay.NewHealthCollector("search", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 20*time.Millisecond))
	got := samples(t, reg)
	if got["kairos_dependency_up{component=store}"] != 1 {
		t.Errorf("store up = %v, want 1", got["kairos_dependency_up{component=store}"])
	}
	if got["kairos_dependency_up{component=search}"] != 0 {
		t.Errorf("hanging dependency up = %v, want 0", got["kairos_dependency_up{component=search}"])
	}
	if _, ok := got["kairos_dependency_ping_seconds{component=store}"]; !ok {
		t.Error("no ping duration for the store")
	}
	storeErr = errors.New("disk gone")
	if got := samples(t, reg); got["kairos_dependency_up{component=store}"] != 0 {
		t.Errorf("store up = %v after its ping failed, want 0", got["kairos_dependency_up{component=store}"])
	}
}
