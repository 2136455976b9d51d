//go:build !unix

package benchdata

import "time"

// CPUTime is not measured on this platform (0).
func CPUTime() time.Duration { return 0 }
