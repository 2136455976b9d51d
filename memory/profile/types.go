package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The standard event types. Their props are documented in docs/events.md
// and checked by ValidateProps; any other type matching the custom-type
// pattern is accepted with any JSON-object props.
const (
	TypePageView          = "page_view"
	TypePageLeave         = "page_leave"
	TypeProductView       = "product_view"
	TypeSearch            = "search"
	TypeCartAdd           = "cart_add"
	TypeOrderPlaced       = "order_placed"
	TypeOrderDelivered    = "order_delivered"
	TypeRefundRequested   = "refund_requested"
	TypeRefundSubmitted   = "refund_submitted"
	TypeSubscriptionUsage = "subscription_usage"
	TypeBillGenerated     = "bill_generated"
	TypeSurvey            = "survey"
	TypeTierChanged       = "tier_changed"
)

// MaxOrderItems bounds the items of one order_placed event.
const MaxOrderItems = 200

type kind int

const (
	kString kind = iota
	kNumber      // any finite JSON number
	kInt         // a JSON number without a fraction
	kDate        // "2006-01-02" or RFC 3339
	kItems       // order items
)

// prop is one documented property of a standard type.
type prop struct {
	name     string
	kind     kind
	required bool
	min, max float64 // numeric range; max 0 means none
	maxLen   int     // for strings
}

// spec is a standard type's props. anyOf names props of which at least one
// must be present.
type spec struct {
	props []prop
	anyOf []string
}

const (
	urlLen  = 4096
	textLen = 1024
	keyLen  = 256
)

var (
	money   = prop{kind: kNumber, min: 0}
	nonNeg  = prop{kind: kInt, min: 0}
	orderID = prop{name: "order_id", kind: kString, required: true, maxLen: keyLen}
)

func with(p prop, name string, required bool) prop {
	p.name, p.required = name, required
	return p
}

var types = map[string]spec{
	TypePageView: {props: []prop{
		{name: "url", kind: kString, required: true, maxLen: urlLen},
		{name: "title", kind: kString, maxLen: textLen},
		with(nonNeg, "dwell_ms", false),
	}},
	TypePageLeave: {props: []prop{
		{name: "url", kind: kString, required: true, maxLen: urlLen},
		{name: "view_id", kind: kString, maxLen: keyLen},
		with(nonNeg, "dwell_ms", true),
	}},
	TypeProductView: {props: []prop{
		{name: "sku", kind: kString, required: true, maxLen: keyLen},
		{name: "name", kind: kString, maxLen: textLen},
		with(money, "price", false),
		with(nonNeg, "stock", false),
	}},
	TypeSearch: {props: []prop{
		{name: "query", kind: kString, required: true, maxLen: textLen},
	}},
	TypeCartAdd: {props: []prop{
		{name: "sku", kind: kString, required: true, maxLen: keyLen},
		{name: "qty", kind: kInt, required: true, min: 1},
		with(money, "price", false),
	}},
	TypeOrderPlaced: {props: []prop{
		orderID,
		{name: "items", kind: kItems, required: true},
		with(money, "total", false),
	}},
	TypeOrderDelivered:  {props: []prop{orderID}},
	TypeRefundRequested: {props: []prop{orderID, {name: "reason", kind: kString, maxLen: textLen}}},
	TypeRefundSubmitted: {props: []prop{orderID, with(money, "amount", true)}},
	TypeSubscriptionUsage: {props: []prop{
		{name: "metric", kind: kString, required: true, maxLen: keyLen},
		{name: "value", kind: kNumber, required: true, min: math.Inf(-1)},
	}},
	TypeBillGenerated: {props: []prop{
		with(money, "amount", true),
		{name: "due_date", kind: kDate, required: true},
	}},
	TypeSurvey: {
		props: []prop{
			{name: "csat", kind: kInt, min: 1, max: 5},
			{name: "ces", kind: kInt, min: 1, max: 7},
		},
		anyOf: []string{"csat", "ces"},
	},
	TypeTierChanged: {props: []prop{
		{name: "tier", kind: kString, required: true, maxLen: 64},
	}},
}

// StandardTypes lists the standard event types, sorted.
func StandardTypes() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// IsStandard reports whether typ is a standard type.
func IsStandard(typ string) bool {
	_, ok := types[typ]
	return ok
}

func (s spec) check(obj map[string]json.RawMessage) error {
	for _, p := range s.props {
		raw, ok := obj[p.name]
		if !ok || isNull(raw) {
			if p.required {
				return fieldErr("props."+p.name, "is required")
			}
			continue
		}
		if err := p.check("props."+p.name, raw); err != nil {
			return err
		}
	}
	if len(s.anyOf) > 0 && !slices.ContainsFunc(s.anyOf, func(n string) bool {
		raw, ok := obj[n]
		return ok && !isNull(raw)
	}) {
		return fieldErr("props", "needs at least one of %s", strings.Join(s.anyOf, ", "))
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func (p prop) check(field string, raw json.RawMessage) error {
	switch p.kind {
	case kString:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fieldErr(field, "must be a string")
		}
		if p.required && strings.TrimSpace(s) == "" {
			return fieldErr(field, "must not be empty")
		}
		if p.maxLen > 0 && len(s) > p.maxLen {
			return fieldErr(field, "is %d bytes, more than %d", len(s), p.maxLen)
		}
	case kNumber, kInt:
		return p.checkNumber(field, raw)
	case kDate:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fieldErr(field, "must be a date string (2006-01-02 or RFC 3339)")
		}
		if _, err := parseDate(s); err != nil {
			return fieldErr(field, "%q is not a date (2006-01-02 or RFC 3339)", s)
		}
	case kItems:
		return checkItems(field, raw)
	}
	return nil
}

func (p prop) checkNumber(field string, raw json.RawMessage) error {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil || !json.Valid(raw) || bytes.TrimSpace(raw)[0] == '"' {
		return fieldErr(field, "must be a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fieldErr(field, "must be a finite number")
	}
	if p.kind == kInt && f != math.Trunc(f) {
		return fieldErr(field, "must be a whole number")
	}
	if f < p.min {
		return fieldErr(field, "must be at least %v", p.min)
	}
	if p.max != 0 && f > p.max {
		return fieldErr(field, "must be at most %v", p.max)
	}
	return nil
}

var itemSpec = spec{props: []prop{
	{name: "sku", kind: kString, required: true, maxLen: keyLen},
	{name: "qty", kind: kInt, required: true, min: 1},
	with(money, "price", true),
	{name: "consumption_days", kind: kInt, min: 1, max: 3650},
}}

func checkItems(field string, raw json.RawMessage) error {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return fieldErr(field, "must be an array of items")
	}
	if len(items) == 0 {
		return fieldErr(field, "must have at least one item")
	}
	if len(items) > MaxOrderItems {
		return fieldErr(field, "has %d items, more than %d", len(items), MaxOrderItems)
	}
	for i, it := range items {
		var obj map[string]json.RawMessage
		if json.Unmarshal(it, &obj) != nil || obj == nil {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "must be an object")
		}
		if err := itemSpec.check(obj); err != nil {
			fe := err.(*FieldError)
			fe.Field = fmt.Sprintf("%s[%d].%s", field, i, strings.TrimPrefix(fe.Field, "props."))
			return fe
		}
	}
	return nil
}

// parseDate accepts a calendar date or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
