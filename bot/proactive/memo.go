package proactive

import (
	"fmt"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Element predicates are memoized per event.
//
// A window condition such as
//
//	count(recent("page_view", "30m"), path(.props.url) contains "refund") >= 3
//
// evaluates its predicate on every page view of the last 30 minutes each
// time a page view arrives, and a matrix has many such triggers. When a
// predicate reads nothing but its element (no environment, no variables,
// no #index), its result for an event never changes, so it is computed
// once per (predicate, event) and kept on the event while the event is in
// the customer's window. At compile time count/any/all/none over recent()
// with such a predicate become __count/__any/__all/__none: a native loop
// that reads each event's memo and runs the predicate (compiled on its
// own) only for events not seen yet.

// memoOff disables the rewrite (tests compare both ways).
var memoOff atomic.Bool

var predicateIDs atomic.Uint32

// predicate is a memoized element predicate.
type predicate struct {
	id   uint32
	src  string
	prog *program // any(__it($env), <predicate>)
	// native is the predicate alone as a closure over env.item[0] (nil:
	// it runs as prog).
	native nfn
}

type memoEntry struct {
	id  uint32
	val bool
}

// memo is the results of the predicates evaluated on an event. The
// predicates of a matrix get consecutive ids, so most results fit in two
// aligned blocks of 64 bits (known, value); others go to a short list.
type memo struct {
	blocks [2]memoBlock
	more   []memoEntry
}

type memoBlock struct {
	base        uint32 // id of bit 0, a multiple of 64; 0: unused
	known, vals uint64
}

// maxMemo bounds the results kept outside the blocks.
const maxMemo = 64

func (m *memo) get(id uint32) (val, ok bool) {
	base, bit := id&^63+64, uint64(1)<<(id&63) // +64: base 0 means unused
	for i := range m.blocks {
		if b := &m.blocks[i]; b.base == base {
			return b.vals&bit != 0, b.known&bit != 0
		}
	}
	for _, e := range m.more {
		if e.id == id {
			return e.val, true
		}
	}
	return false, false
}

func (m *memo) put(id uint32, val bool) {
	base, bit := id&^63+64, uint64(1)<<(id&63)
	for i := range m.blocks {
		b := &m.blocks[i]
		if b.base == 0 {
			b.base = base
		}
		if b.base == base {
			b.known |= bit
			if val {
				b.vals |= bit
			}
			return
		}
	}
	if len(m.more) < maxMemo {
		m.more = append(m.more, memoEntry{id, val})
	}
}

// pureFuncs are the functions whose result depends on their arguments
// only.
var pureFuncs = map[string]bool{"__prop": true, "__ppath": true, "path": true, "num": true, "days": true, "hours": true, "minutes": true, "falling": true}

// pureBuiltins are expr's builtins without side inputs.
var pureBuiltins = map[string]bool{
	"len": true, "abs": true, "int": true, "float": true, "string": true, "lower": true, "upper": true, "trim": true,
	"trimPrefix": true, "trimSuffix": true, "split": true, "splitAfter": true, "replace": true, "repeat": true,
	"indexOf": true, "lastIndexOf": true, "hasPrefix": true, "hasSuffix": true, "max": true, "min": true, "sum": true,
	"mean": true, "median": true, "round": true, "ceil": true, "floor": true, "all": true, "any": true, "none": true,
	"one": true, "count": true, "filter": true, "map": true, "find": true, "findIndex": true, "findLast": true,
	"findLastIndex": true, "first": true, "last": true, "keys": true, "values": true, "duration": true, "date": true,
	"toJSON": true, "fromJSON": true, "concat": true, "flatten": true, "uniq": true, "join": true, "reverse": true,
	"sort": true, "sortBy": true, "groupBy": true, "reduce": true,
}

// elementPure reports whether n reads nothing but the predicate's
// element.
func elementPure(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.ConstantNode:
		return true
	case *ast.PointerNode:
		return x.Name == ""
	case *ast.UnaryNode:
		return elementPure(x.Node)
	case *ast.BinaryNode:
		return elementPure(x.Left) && elementPure(x.Right)
	case *ast.ChainNode:
		return elementPure(x.Node)
	case *ast.MemberNode:
		return !x.Method && elementPure(x.Node) && elementPure(x.Property)
	case *ast.SliceNode:
		return elementPure(x.Node) && (x.From == nil || elementPure(x.From)) && (x.To == nil || elementPure(x.To))
	case *ast.ConditionalNode:
		return elementPure(x.Cond) && elementPure(x.Exp1) && elementPure(x.Exp2)
	case *ast.PredicateNode:
		return elementPure(x.Node)
	case *ast.ArrayNode:
		return allPure(x.Nodes)
	case *ast.MapNode:
		for _, p := range x.Pairs {
			if !elementPure(p) {
				return false
			}
		}
		return true
	case *ast.PairNode:
		return elementPure(x.Key) && elementPure(x.Value)
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		return ok && pureFuncs[id.Value] && allPure(x.Arguments)
	case *ast.BuiltinNode:
		return pureBuiltins[x.Name] && allPure(x.Arguments)
	}
	return false
}

func allPure(ns []ast.Node) bool {
	for _, n := range ns {
		if !elementPure(n) {
			return false
		}
	}
	return true
}

var memoBuiltins = map[string]string{"count": "__count", "any": "__any", "all": "__all", "none": "__none"}

// memoize rewrites count/any/all/none over recent() with an
// element-pure predicate (see the package comment above).
func memoize(n *ast.Node, x *ast.BuiltinNode) {
	fn, ok := memoBuiltins[x.Name]
	if !ok || memoOff.Load() || len(x.Arguments) != 2 {
		return
	}
	call, ok := x.Arguments[0].(*ast.CallNode)
	if !ok || len(call.Arguments) != 3 || !isEnv(call.Arguments[0]) {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "recent" {
		return
	}
	pred, ok := x.Arguments[1].(*ast.PredicateNode)
	if !ok || !elementPure(pred.Node) {
		return
	}
	p := &predicate{id: predicateIDs.Add(1), src: pred.Node.String()}
	var u uses
	prog, err := expr.Compile("any(__it($env), "+p.src+")", append(exprOptions(&u), expr.AsBool())...)
	if err != nil {
		return // evaluated as written
	}
	p.prog = &program{src: p.src, prog: prog}
	if b, ok := prog.Node().(*ast.BuiltinNode); ok && len(b.Arguments) == 2 {
		if pn, ok := b.Arguments[1].(*ast.PredicateNode); ok {
			p.native, _ = compileNative(pn.Node)
		}
	}
	ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}, call.Arguments[1], call.Arguments[2], &ast.ConstantNode{Value: p}}})
}

func fnIt(params ...any) (any, error) {
	env := params[0].(*Env)
	if env.itemBox == nil {
		env.itemBox = env.item[:]
	}
	return env.itemBox, nil
}

// test evaluates p on ev, from ev's memo when it was evaluated before.
func (p *predicate) test(env *Env, ev *Event) (bool, error) {
	if v, ok := ev.memo.get(p.id); ok {
		return v, nil
	}
	env.item[0] = ev
	var v bool
	var err error
	if p.native != nil {
		v, err = nativeBool(p.native, env)
	} else {
		v, err = p.prog.bool(env)
	}
	env.item[0] = nil
	if err != nil {
		return false, fmt.Errorf("%s: %w", p.src, err)
	}
	ev.memo.put(p.id, v)
	return v, nil
}

// memoArgs reads (env, type, within, predicate): the recent() call is
// folded in, one function call instead of two.
func memoArgs(params []any) (*Env, []*Event, *predicate, error) {
	env := params[0].(*Env)
	evs, _, err := recentOf(env, params[1].(string), params[2])
	return env, evs, params[3].(*predicate), err
}

func fnMemoCount(params ...any) (any, error) {
	env, evs, p, err := memoArgs(params)
	if err != nil {
		return nil, err
	}
	return p.count(env, evs)
}

// count is how many of evs p holds for.
func (p *predicate) count(env *Env, evs []*Event) (any, error) {
	n := 0
	for _, ev := range evs {
		ok, err := p.test(env, ev)
		if err != nil {
			return nil, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// fnMemoAny, fnMemoAll and fnMemoNone stop at the first decisive element,
// as expr's builtins do.
func fnMemoAny(params ...any) (any, error) { return memoScan(params, true, true, false) }
func fnMemoAll(params ...any) (any, error) { return memoScan(params, false, false, true) }
func fnMemoNone(params ...any) (any, error) {
	return memoScan(params, true, false, true)
}

// memoScan returns onHit at the first element whose predicate equals
// stop, else otherwise.
func memoScan(params []any, stop, onHit, otherwise bool) (any, error) {
	env, evs, p, err := memoArgs(params)
	if err != nil {
		return nil, err
	}
	return p.scan(env, evs, stop, onHit, otherwise)
}

// scan returns onHit at the first of evs on which p equals stop, else
// otherwise.
func (p *predicate) scan(env *Env, evs []*Event, stop, onHit, otherwise bool) (any, error) {
	for _, ev := range evs {
		ok, err := p.test(env, ev)
		if err != nil {
			return nil, err
		}
		if ok == stop {
			return onHit, nil
		}
	}
	return otherwise, nil
}
