package ingest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// cpuMeter measures the CPU time a benchmark spends: this process's
// (Kairos, the in-process NATS server and the senders) and, for the
// PostgreSQL store, that of the server backends serving this process
// (found by application name, read from /proc, so only on Linux with the
// server on this machine). Wall-clock rates on a shared machine swing with
// its load; CPU per event much less.
type cpuMeter struct {
	pg         *pgx.Conn // nil: no PostgreSQL figure
	app        string
	self0      time.Duration
	backends0  map[int32]time.Duration
	pgReadable bool
}

func startCPU(b *testing.B, pgURL, app string) *cpuMeter {
	m := &cpuMeter{app: app}
	if pgURL != "" {
		conn, err := pgx.Connect(context.Background(), pgURL)
		if err == nil {
			m.pg = conn
			b.Cleanup(func() { conn.Close(context.Background()) })
		}
	}
	m.self0 = selfCPU()
	if m.pg != nil {
		m.backends0, m.pgReadable = m.backends()
	}
	return m
}

// report adds the CPU per event since start as metrics.
func (m *cpuMeter) report(b *testing.B, events int) {
	self := selfCPU() - m.self0
	b.ReportMetric(float64(self.Microseconds())/float64(events), "cpu-µs/event")
	if m.pg == nil || !m.pgReadable {
		return
	}
	now, ok := m.backends()
	if !ok {
		return
	}
	var pg time.Duration
	for pid, t := range now {
		pg += t - m.backends0[pid] // a backend started since began at zero
	}
	b.ReportMetric(float64(pg.Microseconds())/float64(events), "pg-cpu-µs/event")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backends returns the CPU time of the backends of app's connections.
func (m *cpuMeter) backends() (map[int32]time.Duration, bool) {
	rows, err := m.pg.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", m.app)
	if err != nil {
		return nil, false
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, false
	}
	out := make(map[int32]time.Duration, len(pids))
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil, false
		}
		// Fields after the command (which may hold spaces): utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		var u, st int64
		if len(f) < 13 {
			return nil, false
		}
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &st)
		out[pid] = time.Duration(u+st) * 10 * time.Millisecond
	}
	return out, true
}
