//go:build race

package fit

// raceEnabled skips the full retrain under the race detector: it is one
// goroutine of arithmetic (nothing to race) and takes minutes there.
const raceEnabled = true
