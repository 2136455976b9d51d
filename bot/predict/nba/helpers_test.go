package nba_test

import "time"

var simNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return simNow }
