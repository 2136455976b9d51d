package console

import (
	"sync"
	"time"
)

// Login limits: after this many failures within the window, further
// attempts for the account (or from the address) are refused until the
// oldest failure leaves the window. Per account stops guessing one
// password from many addresses; per address stops trying many accounts.
const (
	DefaultLoginWindow     = 15 * time.Minute
	DefaultAccountFailures = 5
	DefaultIPFailures      = 20
)

// loginLimiter counts failed logins per key in a sliding window. It is per
// process: several console processes each allow their own budget, which
// still bounds guessing to a handful of tries a minute.
type loginLimiter struct {
	mu     sync.Mutex
	window time.Duration
	max    map[string]int // by key kind
	fails  map[string][]time.Time
	now    func() time.Time
}

func newLoginLimiter(window time.Duration, perAccount, perIP int, now func() time.Time) *loginLimiter {
	return &loginLimiter{window: window, max: map[string]int{"a": perAccount, "ip": perIP},
		fails: map[string][]time.Time{}, now: now}
}

// allowed reports whether a login for account from ip may be tried, and
// if not, how long until it may.
func (l *loginLimiter) allowed(account, ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for kind, key := range map[string]string{"a": "a:" + account, "ip": "ip:" + ip} {
		f := l.pruneLocked(key, now)
		if len(f) >= l.max[kind] {
			if w := f[len(f)-l.max[kind]].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait == 0, wait
}

// failed records a failed login.
func (l *loginLimiter) failed(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range []string{"a:" + account, "ip:" + ip} {
		l.fails[key] = append(l.pruneLocked(key, now), now)
	}
	if len(l.fails) > 100_000 { // a flood of names: drop the idle ones
		for k := range l.fails {
			if len(l.pruneLocked(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

// succeeded clears the account's failures (not the address's: one good
// password must not reset guessing at other accounts).
func (l *loginLimiter) succeeded(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "a:"+account)
}

func (l *loginLimiter) pruneLocked(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && !f[i].After(now.Add(-l.window)) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = f
	return f
}
