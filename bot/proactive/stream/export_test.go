package stream

// SetHooks installs test hooks on r before Run: beforeEval runs before a
// ticket is evaluated (false drops it), beforeAck after (false skips the
// acknowledgement of its source). Either may be nil.
func SetHooks(r *Runner, beforeEval func(p int) bool, beforeAck func(p int, err error) bool) {
	r.beforeEval = beforeEval
	r.beforeAck = beforeAck
}
