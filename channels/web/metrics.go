package web

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the channel's Prometheus collectors; a nil *metrics records
// nothing, so callers never check.
type metrics struct {
	conns  prometheus.Gauge
	frames *prometheus.CounterVec
	errors *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kairos_ws_connections",
			Help: "Open website-channel WebSocket connections.",
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kairos_ws_frames_total",
			Help: "WebSocket frames by direction (in, out) and frame type.",
		}, []string{"direction", "type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kairos_ws_errors_total",
			Help: "WebSocket errors by code (error frame codes, slow_consumer, origin_rejected, ...).",
		}, []string{"code"}),
	}
	for _, c := range []prometheus.Collector{m.conns, m.frames, m.errors} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) connections(delta float64) {
	if m != nil {
		m.conns.Add(delta)
	}
}

func (m *metrics) frame(direction, typ string) {
	if m != nil {
		m.frames.WithLabelValues(direction, typ).Inc()
	}
}

func (m *metrics) error(code string) {
	if m != nil {
		m.errors.WithLabelValues(code).Inc()
	}
}
