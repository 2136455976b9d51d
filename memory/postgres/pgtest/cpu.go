package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// BackendCPU returns the CPU time the server has spent so far in the
// backends serving connections whose application_name is app, by backend
// pid, read from /proc: ok is false unless the server runs on this
// machine (and this is Linux). Benchmarks report server CPU per operation
// with it, as a shared machine's wall-clock rates swing with its load: the
// difference of two readings, a backend started between them counting
// from zero.
func BackendCPU(ctx context.Context, conn *pgx.Conn, app string) (cpu map[int32]time.Duration, ok bool) {
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		return nil, false
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, false
	}
	cpu = make(map[int32]time.Duration, len(pids))
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil, false
		}
		// After the command in parentheses (which may hold spaces), utime
		// and stime are the 12th and 13th fields, in clock ticks of 10 ms.
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			return nil, false
		}
		var user, sys int64
		if _, err := fmt.Sscan(f[11], &user); err != nil {
			return nil, false
		}
		if _, err := fmt.Sscan(f[12], &sys); err != nil {
			return nil, false
		}
		cpu[pid] = time.Duration(user+sys) * 10 * time.Millisecond
	}
	return cpu, true
}

// CPUSince is the CPU time of the backends in now beyond before.
func CPUSince(before, now map[int32]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range now {
		d += t - before[pid]
	}
	return d
}
