package ingest_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// cpuMeter measures the CPU time a benchmark spends: this process's
// (Kairos, the in-process NATS server and the senders) and, for the
// PostgreSQL store on this machine, that of the server backends serving
// this process (by application name). Wall-clock rates on a shared
// machine swing with its load; CPU per event much less.
type cpuMeter struct {
	pg    *pgx.Conn // nil: no PostgreSQL figure
	app   string
	self0 time.Duration
	pg0   map[int32]time.Duration
	pgOK  bool
}

func startCPU(b *testing.B, pgURL, app string) *cpuMeter {
	m := &cpuMeter{app: app}
	if pgURL != "" {
		if conn, err := pgx.Connect(context.Background(), pgURL); err == nil {
			m.pg = conn
			b.Cleanup(func() { conn.Close(context.Background()) })
			m.pg0, m.pgOK = pgtest.BackendCPU(context.Background(), conn, app)
		}
	}
	m.self0 = selfCPU()
	return m
}

// report adds the CPU per event since start as metrics.
func (m *cpuMeter) report(b *testing.B, events int) {
	self := selfCPU() - m.self0
	b.ReportMetric(float64(self.Microseconds())/float64(events), "cpu-µs/event")
	if !m.pgOK {
		return
	}
	if now, ok := pgtest.BackendCPU(context.Background(), m.pg, m.app); ok {
		b.ReportMetric(float64(pgtest.CPUSince(m.pg0, now).Microseconds())/float64(events), "pg-cpu-µs/event")
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
