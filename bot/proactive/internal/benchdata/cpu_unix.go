//go:build unix

package benchdata

import (
	"syscall"
	"time"
)

// CPUTime is the process's user + system CPU time so far: benchmarks
// report CPU per event, which a machine shared with other work disturbs
// far less than wall-clock rates.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
