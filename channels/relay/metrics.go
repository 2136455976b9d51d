package relay

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// NewNATSCollector exports a NATS connection's health and traffic, read at
// scrape time:
//
//	kairos_nats_connected                 1 while connected, else 0
//	kairos_nats_reconnects_total          reconnections since the connection was made
//	kairos_nats_messages_total{direction}  messages in / out
//	kairos_nats_bytes_total{direction}     payload bytes in / out
//	kairos_nats_rtt_seconds               a flush round trip to the server (only while
//	                                      connected and when it answers within timeout)
//
// timeout bounds the round trip (default 1 s), so a stuck server does not
// stall a scrape. Register it once per connection:
// reg.MustRegister(relay.NewNATSCollector(nc, 0)).
func NewNATSCollector(nc *nats.Conn, timeout time.Duration) prometheus.Collector {
	if timeout <= 0 {
		timeout = time.Second
	}
	return &natsCollector{nc: nc, timeout: timeout}
}

var (
	descNATSConnected  = prometheus.NewDesc("kairos_nats_connected", "1 while the node's NATS connection is connected, else 0.", nil, nil)
	descNATSReconnects = prometheus.NewDesc("kairos_nats_reconnects_total", "NATS reconnections since the connection was made.", nil, nil)
	descNATSMsgs       = prometheus.NewDesc("kairos_nats_messages_total", "NATS messages by direction (in, out).", []string{"direction"}, nil)
	descNATSBytes      = prometheus.NewDesc("kairos_nats_bytes_total", "NATS payload bytes by direction (in, out).", []string{"direction"}, nil)
	descNATSRTT        = prometheus.NewDesc("kairos_nats_rtt_seconds", "Round trip of a flush to the NATS server at scrape time.", nil, nil)
)

type natsCollector struct {
	nc      *nats.Conn
	timeout time.Duration
}

func (c *natsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNATSConnected, descNATSReconnects, descNATSMsgs, descNATSBytes, descNATSRTT} {
		ch <- d
	}
}

func (c *natsCollector) Collect(ch chan<- prometheus.Metric) {
	connected := c.nc != nil && c.nc.IsConnected()
	ch <- prometheus.MustNewConstMetric(descNATSConnected, prometheus.GaugeValue, b2f(connected))
	if c.nc == nil {
		return
	}
	st := c.nc.Stats()
	ch <- prometheus.MustNewConstMetric(descNATSReconnects, prometheus.CounterValue, float64(st.Reconnects))
	ch <- prometheus.MustNewConstMetric(descNATSMsgs, prometheus.CounterValue, float64(st.InMsgs), "in")
	ch <- prometheus.MustNewConstMetric(descNATSMsgs, prometheus.CounterValue, float64(st.OutMsgs), "out")
	ch <- prometheus.MustNewConstMetric(descNATSBytes, prometheus.CounterValue, float64(st.InBytes), "in")
	ch <- prometheus.MustNewConstMetric(descNATSBytes, prometheus.CounterValue, float64(st.OutBytes), "out")
	if !connected {
		return
	}
	start := time.Now()
	if err := c.nc.FlushTimeout(c.timeout); err == nil {
		ch <- prometheus.MustNewConstMetric(descNATSRTT, prometheus.GaugeValue, time.Since(start).Seconds())
	}
}

// NewHealthCollector exports whether a dependency answers a ping, checked
// at scrape time within timeout (default 2 s):
//
//	kairos_dependency_up{component}            1 when ping returned nil, else 0
//	kairos_dependency_ping_seconds{component}  how long the ping took
//
// component is a fixed name the caller chooses ("store", "nats", ...);
// register one collector per component. For the store:
// reg.MustRegister(relay.NewHealthCollector("store", store.Ping, 0)).
func NewHealthCollector(component string, ping func(context.Context) error, timeout time.Duration) prometheus.Collector {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	labels := prometheus.Labels{"component": component}
	return &healthCollector{
		ping:    ping,
		timeout: timeout,
		up:      prometheus.NewDesc("kairos_dependency_up", "1 when the dependency answered its health ping at scrape time, else 0.", nil, labels),
		took:    prometheus.NewDesc("kairos_dependency_ping_seconds", "How long the dependency's health ping took at scrape time.", nil, labels),
	}
}

type healthCollector struct {
	ping     func(context.Context) error
	timeout  time.Duration
	up, took *prometheus.Desc
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.took
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	start := time.Now()
	err := errors.New("no ping")
	if c.ping != nil {
		err = c.ping(ctx)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(err == nil))
	ch <- prometheus.MustNewConstMetric(c.took, prometheus.GaugeValue, time.Since(start).Seconds())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
