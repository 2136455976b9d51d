package handoff

import (
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RecentWaitWindow is how far back kairos_handoff_wait_seconds looks for
// claimed handoffs.
const RecentWaitWindow = time.Hour

// NewMetrics registers the human-handoff gauges with reg. They are read
// from the node's mirror of the shared handoff state at scrape time, so
// every node reports the same, cluster-wide values: aggregate them across
// nodes with max(), not sum().
//
//	kairos_handoff_queue_depth{queue,status}      open handoffs: waiting, callback, claimed
//	kairos_handoff_oldest_wait_seconds{queue}     age of the longest-waiting unclaimed handoff
//	kairos_handoff_wait_estimate_seconds{queue}   the wait a new handoff would be told
//	kairos_handoff_free_capacity{queue}           free chat slots of the online agents serving it
//	kairos_handoff_agents_online
//	kairos_handoff_wait_seconds{queue,quantile}   queue wait (created → claimed) of the handoffs
//	                                             claimed in the last hour: quantiles 0.5, 0.9, 1
//	kairos_handoff_claimed_recent{queue}          how many handoffs that is
//
// The queue label takes the configured queues (Routing.Queues); a record
// in any other queue counts as "other".
func NewMetrics(reg prometheus.Registerer, s *Service) error {
	if reg == nil || s == nil {
		return errors.New("handoff: metrics: a registerer and a service are required")
	}
	if err := reg.Register(&collector{s: s}); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return err
		}
	}
	return nil
}

var (
	descDepth    = prometheus.NewDesc("kairos_handoff_queue_depth", "Open handoffs by queue and status (waiting, callback, claimed); cluster-wide, the same on every node.", []string{"queue", "status"}, nil)
	descOldest   = prometheus.NewDesc("kairos_handoff_oldest_wait_seconds", "Age of the longest-waiting unclaimed handoff of a queue (0 when none waits).", []string{"queue"}, nil)
	descEstimate = prometheus.NewDesc("kairos_handoff_wait_estimate_seconds", "The wait a handoff entering the queue now would be told.", []string{"queue"}, nil)
	descFree     = prometheus.NewDesc("kairos_handoff_free_capacity", "Free chat slots of the online agents serving a queue.", []string{"queue"}, nil)
	descOnline   = prometheus.NewDesc("kairos_handoff_agents_online", "Agents online (presence heartbeats seen by this node).", nil, nil)
	descWait     = prometheus.NewDesc("kairos_handoff_wait_seconds", "Queue wait (created to claimed) of the handoffs claimed in the last hour, by quantile (0.5, 0.9, 1 = the longest).", []string{"queue", "quantile"}, nil)
	descRecent   = prometheus.NewDesc("kairos_handoff_claimed_recent", "Handoffs claimed in the last hour.", []string{"queue"}, nil)
)

type collector struct{ s *Service }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDepth, descOldest, descEstimate, descFree, descOnline, descWait, descRecent} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	queues := s.cfg.Routing.Queues
	label := func(q string) string {
		if slices.Contains(queues, q) {
			return q
		}
		return "other"
	}
	now := s.now()
	depth := map[[2]string]int{}
	waits := map[string][]float64{}
	s.mu.RLock()
	for _, r := range s.records {
		q := label(r.Queue)
		if open(r.Status) {
			depth[[2]string{q, r.Status}]++
		}
		if r.ClaimedAt != nil && now.Sub(*r.ClaimedAt) <= RecentWaitWindow && !r.ClaimedAt.Before(r.CreatedAt) {
			waits[q] = append(waits[q], r.ClaimedAt.Sub(r.CreatedAt).Seconds())
		}
	}
	s.mu.RUnlock()

	all := append(slices.Clone(queues), "other")
	for _, q := range all {
		for _, st := range []string{StatusWaiting, StatusCallback, StatusClaimed} {
			n, ok := depth[[2]string{q, st}]
			if q == "other" && !ok {
				continue // the configured queues always report; "other" only when used
			}
			ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(n), q, st)
		}
		w := waits[q]
		if q != "other" || len(w) > 0 {
			ch <- prometheus.MustNewConstMetric(descRecent, prometheus.GaugeValue, float64(len(w)), q)
		}
		if len(w) > 0 {
			sort.Float64s(w)
			for _, p := range []struct {
				label string
				q     float64
			}{{"0.5", 0.5}, {"0.9", 0.9}, {"1", 1}} {
				ch <- prometheus.MustNewConstMetric(descWait, prometheus.GaugeValue, quantile(w, p.q), q, p.label)
			}
		}
	}
	// queueStats takes the lock itself: called after it was released.
	for _, q := range queues {
		st := s.queueStats(q)
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, float64(st.OldestWaitS), q)
		ch <- prometheus.MustNewConstMetric(descEstimate, prometheus.GaugeValue, float64(st.WaitEstimateS), q)
		ch <- prometheus.MustNewConstMetric(descFree, prometheus.GaugeValue, float64(st.FreeCapacity), q)
	}
	ch <- prometheus.MustNewConstMetric(descOnline, prometheus.GaugeValue, float64(s.AgentsOnline()))
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}
