package web_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/channels/web"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(c *web.Config) { c.Metrics = reg })
	ws, _ := e.dial(t, nil)
	send(t, ws, `not json`)
	readUntil(t, ws, "error")
	roundTrip(t, ws)

	want := map[string]float64{
		"kairos_ws_connections":                                 1,
		`kairos_ws_errors_total{code="invalid_json"}`:           1,
		`kairos_ws_frames_total{direction="in",type="ping"}`:    1,
		`kairos_ws_frames_total{direction="out",type="hello"}`:  1,
		`kairos_ws_frames_total{direction="out",type="pong"}`:   1,
		`kairos_ws_frames_total{direction="in",type="invalid"}`: 1,
	}
	// Outgoing frames are counted just after they are written.
	eventually(t, "metrics", func() bool {
		got := gather(t, reg)
		for k, v := range want {
			if got[k] != v {
				return false
			}
		}
		return true
	})
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			if len(m.GetLabel()) > 0 {
				name += "{"
				for i, l := range m.GetLabel() {
					if i > 0 {
						name += ","
					}
					name += l.GetName() + `="` + l.GetValue() + `"`
				}
				name += "}"
			}
			switch {
			case m.Gauge != nil:
				got[name] = m.GetGauge().GetValue()
			case m.Counter != nil:
				got[name] = m.GetCounter().GetValue()
			}
		}
	}
	return got
}
