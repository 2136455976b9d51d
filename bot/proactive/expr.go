package proactive

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// Event is an event as conditions see it: event.type, event.at,
// event.props.url, ... Props are the event's JSON props (numbers are
// float64).
type Event struct {
	ID     string         `expr:"id"`
	Type   string         `expr:"type"`
	At     time.Time      `expr:"at"`
	Source string         `expr:"source"`
	Props  map[string]any `expr:"props"`

	// memo holds the results of element predicates evaluated on this
	// event while it sits in a window (see memoize).
	memo memo
	// pathOf and path cache path(.props[pathOf]) (boxed once).
	pathOf string
	path   any
	// live: evaluated live in this window (not only loaded from history).
	live bool
}

// Customer is what conditions see of the customer beyond the profile.
type Customer struct {
	ID   string   `expr:"id"`
	Tags []string `expr:"tags"`
	Lang string   `expr:"lang"`
}

// Env is the environment of every expression. Profile and Insight are the
// JSON forms of memory.Profile and the latest insight (profile.business.tier,
// insight.mood, insight.trajectory.trend); they are loaded only for
// triggers that use them.
type Env struct {
	Event    Event          `expr:"event"`
	Now      time.Time      `expr:"now"`
	Customer Customer       `expr:"customer"`
	Profile  map[string]any `expr:"profile"`
	Insight  map[string]any `expr:"insight"`
	// Churn is the customer's churn risk 0..1 (0 when no model is wired).
	Churn float64 `expr:"churn"`

	win      *window
	item     [1]*Event     // the element a memoized predicate is evaluated on
	itemBox  any           // item[:], boxed once
	cache    []recentCache // recent() results of this evaluation
	cacheBuf [8]recentCache
}

// envs are reused: an Env is most of an evaluation's memory, and nothing
// keeps it after the evaluation (actions copy what they need).
var envs = sync.Pool{New: func() any { return new(Env) }}

// newEnv returns an environment for evaluating at now for customer with
// window w; release it when the evaluation is over.
func newEnv(ev Event, now time.Time, customer string, w *window) *Env {
	env := envs.Get().(*Env)
	env.Event, env.Now, env.Customer.ID, env.win = ev, now, customer, w
	return env
}

// release clears env (it must not keep windows or props alive) and
// returns it to the pool.
func (env *Env) release() {
	*env = Env{}
	envs.Put(env)
}

type recentCache struct {
	typ  string
	d    time.Duration
	list []*Event
	evs  any // list, boxed once
}

// uses records which costly parts of the environment a program reads.
type uses struct{ profile, insight, churn bool }

func (u uses) or(v uses) uses {
	return uses{u.profile || v.profile, u.insight || v.insight, u.churn || v.churn}
}

// windowFuncs take the environment as a hidden first argument (injected at
// compile time), so they can read the customer's recent events.
var windowFuncs = map[string]bool{"recent": true, "then": true, "without": true, "weekly": true}

// inject prepends $env to calls of window functions and notes which parts
// of the environment the expression uses.
type inject struct{ u *uses }

func (v inject) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.MemberNode:
		// x.props.name is read by a direct map lookup instead of two
		// reflective fetches (the hottest path of window predicates);
		// event.props.name reads the environment's event in place.
		inner, ok := x.Node.(*ast.MemberNode)
		if !ok || x.Optional || inner.Optional || x.Method || inner.Method {
			return
		}
		name, ok1 := x.Property.(*ast.StringNode)
		props, ok2 := inner.Property.(*ast.StringNode)
		if !ok1 || !ok2 || props.Value != "props" {
			return
		}
		if id, ok := inner.Node.(*ast.IdentifierNode); ok && id.Value == "event" {
			ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__eprop"},
				Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}, &ast.StringNode{Value: name.Value}}})
			return
		}
		ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__prop"},
			Arguments: []ast.Node{inner.Node, &ast.StringNode{Value: name.Value}}})
	case *ast.BuiltinNode:
		memoize(n, x)
	case *ast.CallNode:
		// path(x.props.name) on a window event is computed once per event.
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == "path" && len(x.Arguments) == 1 {
			if in, ok := x.Arguments[0].(*ast.CallNode); ok && len(in.Arguments) == 2 {
				if iid, ok := in.Callee.(*ast.IdentifierNode); ok && iid.Value == "__prop" {
					ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__ppath"}, Arguments: in.Arguments})
					return
				}
			}
		}
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && windowFuncs[id.Value] {
			if len(x.Arguments) == 0 || !isEnv(x.Arguments[0]) {
				x.Arguments = append([]ast.Node{&ast.IdentifierNode{Value: "$env"}}, x.Arguments...)
			}
		}
	case *ast.IdentifierNode:
		switch x.Value {
		case "profile":
			v.u.profile = true
		case "insight":
			v.u.insight = true
		case "churn":
			v.u.churn = true
		}
	}
}

func isEnv(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "$env"
}

// exprOptions are the functions and settings every expression compiles
// with. The builtin now() is disabled: conditions use `now`, the time of
// the event or timer being evaluated, so that replays are deterministic.
func exprOptions(u *uses) []expr.Option {
	return []expr.Option{
		expr.Env(&Env{}),
		expr.DisableBuiltin("now"),
		expr.Patch(inject{u}),
		expr.Function("recent", fnRecent, new(func(*Env, string, any) []*Event)),
		expr.Function("then", fnThen, new(func(*Env, string, string, any) bool)),
		expr.Function("without", fnWithout, new(func(*Env, string, string, any) bool)),
		expr.Function("weekly", fnWeekly, new(func(*Env, string, string, int) []float64)),
		expr.Function("__prop", fnProp, new(func(any, string) any)),
		expr.Function("__ppath", fnPPath, new(func(any, string) string)),
		expr.Function("__eprop", fnEProp, new(func(*Env, string) any)),
		expr.Function("__it", fnIt, new(func(*Env) []*Event)),
		expr.Function("__count", fnMemoCount, new(func(*Env, string, any, *predicate) int)),
		expr.Function("__any", fnMemoAny, new(func(*Env, string, any, *predicate) bool)),
		expr.Function("__all", fnMemoAll, new(func(*Env, string, any, *predicate) bool)),
		expr.Function("__none", fnMemoNone, new(func(*Env, string, any, *predicate) bool)),
		expr.Function("falling", fnFalling, new(func([]float64) bool)),
		expr.Function("path", fnPath, new(func(any) string)),
		expr.Function("days", fnUnit(24*time.Hour), new(func(any) time.Duration)),
		expr.Function("hours", fnUnit(time.Hour), new(func(any) time.Duration)),
		expr.Function("minutes", fnUnit(time.Minute), new(func(any) time.Duration)),
		expr.Function("num", fnNum, new(func(any) float64)),
	}
}

// program is a compiled expression.
type program struct {
	src  string
	prog *vm.Program
	uses uses
	// native runs the program without the VM (nil: not every node of it
	// has a closure; see native.go).
	native nfn
}

// compile compiles one expression of field in a file; errors point at the
// file line of the offending part.
func compile(fileName, field string, line int, src string, asBool bool) (*program, error) {
	p := &program{src: src}
	opts := exprOptions(&p.uses)
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		fe := &FileError{File: fileName, Line: line, Reason: field + ": " + err.Error()}
		var xe *file.Error
		if errors.As(err, &xe) {
			fe.Line = line + max(xe.Line-1, 0)
			fe.Reason = fmt.Sprintf("%s: %s (column %d)", field, xe.Message, xe.Column+1)
		}
		return nil, fe
	}
	p.prog = prog
	p.native, _ = compileNative(prog.Node())
	return p, nil
}

// vms are reused: a VM's stack is most of an evaluation's allocations.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

func (p *program) run(env *Env) (any, error) {
	if p.native != nil {
		return runNative(p.native, env)
	}
	v := vms.Get().(*vm.VM)
	out, err := v.Run(p.prog, env)
	vms.Put(v)
	return out, err
}

func (p *program) bool(env *Env) (bool, error) {
	out, err := p.run(env)
	return asBool(out, err)
}

// nativeBool runs a native predicate.
func nativeBool(f nfn, env *Env) (bool, error) {
	return asBool(runNative(f, env))
}

func asBool(out any, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition gave %T, not a bool", out)
	}
	return b, nil
}

// within reads a window argument: a duration string ("30m", "3d") or a
// time.Duration.
func within(v any) (time.Duration, error) {
	switch d := v.(type) {
	case time.Duration:
		return d, nil
	case string:
		return ParseDuration(d)
	case int:
		return time.Duration(d) * time.Second, nil
	}
	return 0, fmt.Errorf("window %v: want a duration like \"30m\" or days(3)", v)
}

// fnRecent is recent(type, within): the customer's events of type ("*":
// any) in the window ending now, oldest first.
func fnRecent(params ...any) (any, error) {
	_, box, err := recentOf(params[0].(*Env), params[1].(string), params[2])
	return box, err
}

// recentOf is recent(typ, within), from this evaluation's cache when an
// earlier trigger asked the same; box is evs as an interface value.
func recentOf(env *Env, typ string, w any) (evs []*Event, box any, err error) {
	d, err := within(w)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range env.cache {
		if c.typ == typ && c.d == d {
			return c.list, c.evs, nil
		}
	}
	evs = env.win.recent(typ, env.Now.Add(-d), env.Now)
	box = evs
	if env.cache == nil {
		env.cache = env.cacheBuf[:0]
	}
	if len(env.cache) < 16 {
		env.cache = append(env.cache, recentCache{typ, d, evs, box})
	}
	return evs, box, nil
}

// fnProp is x.props.name: a direct lookup for events, the generic fetch
// (with its errors) for anything else.
func fnProp(params ...any) (any, error) {
	name := params[1].(string)
	switch x := params[0].(type) {
	case *Event:
		return x.Props[name], nil
	case Event:
		return x.Props[name], nil
	}
	props, err := fetch(params[0], "props")
	if err != nil {
		return nil, err
	}
	return fetch(props, name)
}

// fnPPath is path(x.props.name); for a window event the result is kept
// on the event (every trigger reading the same URL shares it).
func fnPPath(params ...any) (any, error) {
	name := params[1].(string)
	if ev, ok := params[0].(*Event); ok {
		return eventPath(ev, name), nil
	}
	v, err := fnProp(params...)
	if err != nil {
		return nil, err
	}
	return fnPath(v)
}

// eventPath is path(ev.props.name), kept on the event.
func eventPath(ev *Event, name string) any {
	if ev.pathOf == name && ev.path != nil {
		return ev.path
	}
	s, _ := ev.Props[name].(string)
	ev.pathOf, ev.path = name, urlPath(s)
	return ev.path
}

// fnEProp is event.props.name.
func fnEProp(params ...any) (any, error) {
	return params[0].(*Env).Event.Props[params[1].(string)], nil
}

// fetch is expr's member access (a missing map key is nil; a missing
// field or a nil base is an error).
func fetch(from any, name string) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return runtime.Fetch(from, name), nil
}

// fnThen is then(a, b, within): an a was followed by a b within the window
// after it (both at or before now).
func fnThen(params ...any) (any, error) {
	env, a, b := params[0].(*Env), params[1].(string), params[2].(string)
	d, err := within(params[3])
	if err != nil {
		return nil, err
	}
	as := env.win.recent(a, time.Time{}, env.Now)
	bs := env.win.recent(b, time.Time{}, env.Now)
	// Walk both lists in window order: for each b, the latest a before it.
	i, found := 0, false
	var lastA time.Time
	for _, eb := range bs {
		for i < len(as) && evOrder(as[i], eb) < 0 {
			lastA, found = as[i].At, true
			i++
		}
		if found && eb.At.Sub(lastA) <= d {
			return true, nil
		}
	}
	return false, nil
}

// fnWithout is without(a, b, within): the latest a is at least the window
// old and no b followed it within the window.
func fnWithout(params ...any) (any, error) {
	env, a, b := params[0].(*Env), params[1].(string), params[2].(string)
	d, err := within(params[3])
	if err != nil {
		return nil, err
	}
	as := env.win.recent(a, time.Time{}, env.Now)
	if len(as) == 0 {
		return false, nil
	}
	last := as[len(as)-1]
	if env.Now.Sub(last.At) < d {
		return false, nil
	}
	end := last.At.Add(d)
	for _, eb := range env.win.recent(b, time.Time{}, end) {
		if evOrder(eb, last) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// fnWeekly is weekly(type, prop, n): the sums of prop over the customer's
// events of type in each of the n 7-day periods ending now, oldest first
// (a count when prop is "").
func fnWeekly(params ...any) (any, error) {
	env, typ, prop, n := params[0].(*Env), params[1].(string), params[2].(string), params[3].(int)
	if n < 1 || n > 52 {
		return nil, fmt.Errorf("weekly: %d weeks: want 1..52", n)
	}
	const week = 7 * 24 * time.Hour
	out := make([]float64, n)
	from := env.Now.Add(-time.Duration(n) * week)
	for _, ev := range env.win.recent(typ, from, env.Now) {
		i := int(ev.At.Sub(from) / week)
		if i >= n { // exactly now
			i = n - 1
		}
		if prop == "" {
			out[i]++
		} else {
			out[i] += toFloat(ev.Props[prop])
		}
	}
	return out, nil
}

// fnFalling reports whether each value is below the one before.
func fnFalling(params ...any) (any, error) {
	xs := params[0].([]float64)
	if len(xs) < 2 {
		return false, nil
	}
	for i := 1; i < len(xs); i++ {
		if !(xs[i] < xs[i-1]) {
			return false, nil
		}
	}
	return true, nil
}

// fnPath is path(url): the path of a URL, lower-cased, without query or
// fragment ("" for nil). It is called for every event of a window, so it
// cuts the string rather than parsing it.
func fnPath(params ...any) (any, error) {
	s, _ := params[0].(string)
	return urlPath(s), nil
}

func urlPath(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			if u, err := url.PathUnescape(s); err == nil {
				s = u
			}
			return strings.ToLower(s)
		}
	}
	if strings.IndexByte(s, '%') >= 0 {
		if u, err := url.PathUnescape(s); err == nil {
			return strings.ToLower(u)
		}
	}
	return s
}

func fnUnit(unit time.Duration) func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		f := toFloat(params[0])
		if math.IsNaN(f) || math.Abs(f) > 3650*24 {
			return nil, fmt.Errorf("duration of %v units is out of range", params[0])
		}
		return time.Duration(f * float64(unit)), nil
	}
}

func fnNum(params ...any) (any, error) { return toFloat(params[0]), nil }

// toFloat reads a JSON number (or a numeric string); anything else is 0.
func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case string:
		var f float64
		if _, err := fmt.Sscan(x, &f); err == nil {
			return f
		}
	}
	return 0
}
