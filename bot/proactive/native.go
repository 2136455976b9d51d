package proactive

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Conditions and element predicates are also compiled to Go closures.
//
// Running a program on expr's VM costs a few hundred nanoseconds and an
// allocation (the arguments buffer of its function calls) before it does
// anything, and an event wakes a couple of dozen conditions and memoized
// predicates. Most of them are made of a small set of nodes — comparisons,
// &&, ||, !, `in`, `contains`, literals, event.props.x, .props.x, path(),
// num(), len(recent()), count/any/all/none over recent() — which compile
// to a tree of closures calling the same runtime helpers the VM calls
// (runtime.Equal, runtime.Less, runtime.In, runtime.Fetch ...), so the
// results and the errors are the VM's. A program with any other node runs
// on the VM as before. TestNativeMatchesVM compares both on random, late
// and duplicated events.

// nativeOff disables native closures (tests compare both ways).
var nativeOff atomic.Bool

// nfn evaluates a node; it panics where the VM's instruction would (the
// caller recovers, as the VM does).
type nfn func(env *Env) any

// runNative runs a native program, turning a panic into an error as the
// VM does.
func runNative(f nfn, env *Env) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return f(env), nil
}

// compileNative returns the closure of n, or false when n has a node it
// does not know.
func compileNative(n ast.Node) (nfn, bool) {
	if nativeOff.Load() {
		return nil, false
	}
	c := nativeCompiler{}
	f := c.node(n)
	if f == nil || c.failed {
		return nil, false
	}
	return f, true
}

type nativeCompiler struct{ failed bool }

// fail marks the program as not native and returns nil.
func (c *nativeCompiler) fail() nfn {
	c.failed = true
	return nil
}

func constant(v any) nfn { return func(*Env) any { return v } }

func (c *nativeCompiler) node(n ast.Node) nfn {
	if c.failed {
		return nil
	}
	switch x := n.(type) {
	case *ast.NilNode:
		return constant(nil)
	case *ast.BoolNode:
		return constant(x.Value)
	case *ast.IntegerNode:
		// Typed as the compiler types it (an int in a float context is
		// a float).
		switch t := x.Type(); {
		case t == nil || t.Kind() == reflect.Int:
			return constant(x.Value)
		case t.Kind() == reflect.Float64:
			return constant(float64(x.Value))
		case t.Kind() == reflect.Int64:
			return constant(int64(x.Value))
		}
		return c.fail()
	case *ast.FloatNode:
		if t := x.Type(); t != nil && t.Kind() == reflect.Float32 {
			return constant(float32(x.Value))
		}
		return constant(x.Value)
	case *ast.StringNode:
		return constant(x.Value)
	case *ast.ConstantNode:
		return constant(x.Value)
	case *ast.IdentifierNode:
		return c.identifier(x.Value)
	case *ast.PointerNode:
		if x.Name != "" {
			return c.fail()
		}
		// The element of a memoized predicate (see predicate.test).
		return func(env *Env) any { return env.item[0] }
	case *ast.MemberNode:
		return c.member(x)
	case *ast.UnaryNode:
		return c.unary(x)
	case *ast.BinaryNode:
		return c.binary(x)
	case *ast.ConditionalNode:
		cond, a, b := c.node(x.Cond), c.node(x.Exp1), c.node(x.Exp2)
		return func(env *Env) any {
			if cond(env).(bool) {
				return a(env)
			}
			return b(env)
		}
	case *ast.BuiltinNode:
		if x.Name != "len" || len(x.Arguments) != 1 {
			return c.fail()
		}
		if l := c.recentList(x.Arguments[0]); l != nil {
			return func(env *Env) any { return len(l(env)) }
		}
		a := c.node(x.Arguments[0])
		return func(env *Env) any { return runtime.Len(a(env)) }
	case *ast.CallNode:
		return c.call(x)
	}
	return c.fail()
}

func (c *nativeCompiler) identifier(name string) nfn {
	switch name {
	case "$env":
		return func(env *Env) any { return env }
	case "now":
		return func(env *Env) any { return env.Now }
	case "profile":
		return func(env *Env) any { return env.Profile }
	case "insight":
		return func(env *Env) any { return env.Insight }
	case "churn":
		return func(env *Env) any { return env.Churn }
	}
	return c.fail()
}

// member is x.name: the fields of event and customer directly, map keys
// by lookup, anything else by runtime.Fetch (with its errors).
func (c *nativeCompiler) member(x *ast.MemberNode) nfn {
	if x.Optional || x.Method {
		return c.fail()
	}
	prop, ok := x.Property.(*ast.StringNode)
	if !ok {
		return c.fail()
	}
	name := prop.Value
	if id, ok := x.Node.(*ast.IdentifierNode); ok {
		switch id.Value {
		case "event":
			switch name {
			case "id":
				return func(env *Env) any { return env.Event.ID }
			case "type":
				return func(env *Env) any { return env.Event.Type }
			case "source":
				return func(env *Env) any { return env.Event.Source }
			case "at":
				return func(env *Env) any { return env.Event.At }
			case "props":
				return func(env *Env) any { return env.Event.Props }
			}
			return c.fail()
		case "customer":
			switch name {
			case "id":
				return func(env *Env) any { return env.Customer.ID }
			case "lang":
				return func(env *Env) any { return env.Customer.Lang }
			case "tags":
				return func(env *Env) any { return env.Customer.Tags }
			}
			return c.fail()
		}
	}
	base := c.node(x.Node)
	return func(env *Env) any { return fetchKey(base(env), name) }
}

// fetchKey is the VM's member access: a map[string]any by lookup (a
// missing key is nil), anything else as runtime.Fetch does it.
func fetchKey(from any, name string) any {
	if m, ok := from.(map[string]any); ok {
		return m[name]
	}
	return runtime.Fetch(from, name)
}

func (c *nativeCompiler) unary(x *ast.UnaryNode) nfn {
	a := c.node(x.Node)
	switch x.Operator {
	case "!", "not":
		return func(env *Env) any { return !a(env).(bool) }
	case "-":
		return func(env *Env) any { return runtime.Negate(a(env)) }
	case "+":
		return a
	}
	return c.fail()
}

func (c *nativeCompiler) binary(x *ast.BinaryNode) nfn {
	l, r := c.node(x.Left), c.node(x.Right)
	if c.failed {
		return nil
	}
	switch x.Operator {
	case "&&", "and":
		// As the VM's jumps: the left must be a bool, the right is the
		// result as it is.
		return func(env *Env) any {
			if !l(env).(bool) {
				return false
			}
			return r(env)
		}
	case "||", "or":
		return func(env *Env) any {
			if l(env).(bool) {
				return true
			}
			return r(env)
		}
	case "??":
		return func(env *Env) any {
			if v := l(env); !runtime.IsNil(v) {
				return v
			}
			return r(env)
		}
	}
	op := binaryOps[x.Operator]
	if op == nil {
		return c.fail()
	}
	return func(env *Env) any { return op(l(env), r(env)) }
}

// binaryOps are the VM's instructions for the operators.
var binaryOps = map[string]func(a, b any) any{
	"==": func(a, b any) any { return runtime.Equal(a, b) },
	"!=": func(a, b any) any { return !runtime.Equal(a, b) },
	"<":  func(a, b any) any { return runtime.Less(a, b) },
	">":  func(a, b any) any { return runtime.More(a, b) },
	"<=": func(a, b any) any { return runtime.LessOrEqual(a, b) },
	">=": func(a, b any) any { return runtime.MoreOrEqual(a, b) },
	"+":  runtime.Add,
	"-":  runtime.Subtract,
	"*":  runtime.Multiply,
	"/":  func(a, b any) any { return runtime.Divide(a, b) },
	"%":  func(a, b any) any { return runtime.Modulo(a, b) },
	"in": func(a, b any) any { return runtime.In(a, b) },
	"contains": func(a, b any) any {
		return !runtime.IsNil(a) && !runtime.IsNil(b) && strings.Contains(a.(string), b.(string))
	},
	"startsWith": func(a, b any) any {
		return !runtime.IsNil(a) && !runtime.IsNil(b) && strings.HasPrefix(a.(string), b.(string))
	},
	"endsWith": func(a, b any) any {
		return !runtime.IsNil(a) && !runtime.IsNil(b) && strings.HasSuffix(a.(string), b.(string))
	},
}

// call is one of the engine's functions: the hot ones typed, the others
// through their expr implementation.
func (c *nativeCompiler) call(x *ast.CallNode) nfn {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		return c.fail()
	}
	args := x.Arguments
	switch id.Value {
	case "__eprop":
		if name, ok := stringArg(args, 1); ok && len(args) == 2 && isEnv(args[0]) {
			return func(env *Env) any { return env.Event.Props[name] }
		}
	case "__prop":
		if name, ok := stringArg(args, 1); ok && len(args) == 2 && isElement(args[0]) {
			return func(env *Env) any { return env.item[0].Props[name] }
		}
	case "__ppath":
		if name, ok := stringArg(args, 1); ok && len(args) == 2 && isElement(args[0]) {
			return func(env *Env) any { return eventPath(env.item[0], name) }
		}
	case "path":
		if len(args) == 1 {
			a := c.node(args[0])
			return func(env *Env) any {
				s, _ := a(env).(string)
				return urlPath(s)
			}
		}
	case "num":
		if len(args) == 1 {
			a := c.node(args[0])
			return func(env *Env) any { return toFloat(a(env)) }
		}
	case "__count", "__any", "__all", "__none":
		return c.memoCall(id.Value, args)
	}
	fn := nativeFuncs[id.Value]
	if fn == nil {
		return c.fail()
	}
	fs := make([]nfn, len(args))
	for i, a := range args {
		fs[i] = c.node(a)
	}
	return func(env *Env) any {
		params := make([]any, len(fs))
		for i, f := range fs {
			params[i] = f(env)
		}
		out, err := fn(params...)
		if err != nil {
			panic(err)
		}
		return out
	}
}

// nativeFuncs are the engine's expr functions by name (exprOptions).
var nativeFuncs = map[string]func(params ...any) (any, error){
	"recent": fnRecent, "then": fnThen, "without": fnWithout, "weekly": fnWeekly,
	"__prop": fnProp, "__ppath": fnPPath, "__eprop": fnEProp, "__it": fnIt,
	"__count": fnMemoCount, "__any": fnMemoAny, "__all": fnMemoAll, "__none": fnMemoNone,
	"falling": fnFalling, "path": fnPath, "days": fnUnit(24 * time.Hour), "hours": fnUnit(time.Hour),
	"minutes": fnUnit(time.Minute), "num": fnNum,
}

// memoCall is __count/__any/__all/__none($env, type, within, predicate)
// with the window read by recentOf, as the functions do.
func (c *nativeCompiler) memoCall(name string, args []ast.Node) nfn {
	if len(args) != 4 || !isEnv(args[0]) {
		return c.fail()
	}
	typ, ok := stringArg(args, 1)
	k, ok2 := args[3].(*ast.ConstantNode)
	if !ok || !ok2 {
		return c.fail()
	}
	p, ok := k.Value.(*predicate)
	if !ok {
		return c.fail()
	}
	within := c.within(args[2])
	return func(env *Env) any {
		evs, _, err := recentOf(env, typ, within(env))
		if err != nil {
			panic(err)
		}
		var out any
		switch name {
		case "__count":
			out, err = p.count(env, evs)
		case "__any":
			out, err = p.scan(env, evs, true, true, false)
		case "__all":
			out, err = p.scan(env, evs, false, false, true)
		default:
			out, err = p.scan(env, evs, true, false, true)
		}
		if err != nil {
			panic(err)
		}
		return out
	}
}

// recentList is the list of recent($env, type, within), typed, when n is
// that call.
func (c *nativeCompiler) recentList(n ast.Node) func(env *Env) []*Event {
	x, ok := n.(*ast.CallNode)
	if !ok || len(x.Arguments) != 3 || !isEnv(x.Arguments[0]) {
		return nil
	}
	if id, ok := x.Callee.(*ast.IdentifierNode); !ok || id.Value != "recent" {
		return nil
	}
	typ, ok := stringArg(x.Arguments, 1)
	if !ok {
		return nil
	}
	within := c.within(x.Arguments[2])
	if within == nil {
		return nil
	}
	return func(env *Env) []*Event {
		evs, _, err := recentOf(env, typ, within(env))
		if err != nil {
			panic(err)
		}
		return evs
	}
}

// within is a window argument: a valid duration literal ("30m") is parsed
// once, here; anything else is read at run time, as the VM does.
func (c *nativeCompiler) within(n ast.Node) nfn {
	if s, ok := n.(*ast.StringNode); ok {
		if d, err := ParseDuration(s.Value); err == nil {
			return constant(d)
		}
	}
	return c.node(n)
}

func stringArg(args []ast.Node, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

func isElement(n ast.Node) bool {
	p, ok := n.(*ast.PointerNode)
	return ok && p.Name == ""
}
