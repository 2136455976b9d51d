package outcomes

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kairoscx/kairos/internal/jsonscan"
)

// A report decodes tens of thousands of firing and handoff records
// (79,000 at 100,000 customers: 0.4-0.5 s of encoding/json). They are
// flat objects of strings, integers, booleans, times and nulls, printed
// by PostgreSQL's jsonb without escapes, and decodeFlat reads exactly
// those, as json.Unmarshal would. Anything else (nesting, escapes, a key
// that matches a field only case-insensitively, a value of another type)
// makes it give up, and the caller decodes with json.Unmarshal: a record
// never reads differently for having been decoded here.

// decodeFlat decodes data into *v as json.Unmarshal would; ok is false
// when data is outside what it reads (then *v is unspecified).
func decodeFlat[T any](data []byte, v *T) (ok bool) {
	fs := flatFieldsOf(reflect.TypeFor[T]())
	if fs == nil || bytes.IndexByte(data, '\\') >= 0 || !utf8.Valid(data) {
		return false
	}
	rv := reflect.ValueOf(v).Elem()
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return jsonscan.SkipSpace(data, i+1) == len(data)
	}
	for {
		j, _, ok := jsonscan.PlainString(data, i)
		if !ok {
			return false
		}
		key := string(data[i+1 : j-1])
		i = jsonscan.SkipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = jsonscan.SkipSpace(data, i+1)
		val, j, kind := flatValue(data, i)
		if kind == 0 {
			return false
		}
		i = jsonscan.SkipSpace(data, j)
		f, known := fs.byName[key]
		if !known {
			if fs.folded[strings.ToLower(key)] || !asciiOnly(key) || kind == '{' {
				return false // json.Unmarshal would match a field case-insensitively, or it is nested
			}
		} else if !f.set(rv.Field(f.index), val, kind) {
			return false
		}
		if i >= len(data) {
			return false
		}
		if data[i] == '}' {
			return jsonscan.SkipSpace(data, i+1) == len(data)
		}
		if data[i] != ',' {
			return false
		}
		i = jsonscan.SkipSpace(data, i+1)
	}
}

type flatField struct {
	index int
	kind  byte // 's' string, 'i' int, 'b' bool, 't' time.Time, 'p' *time.Time, 0 other
}

type flatFields struct {
	byName map[string]flatField
	folded map[string]bool // lower-cased names of every field
}

var flatCache sync.Map // reflect.Type → *flatFields

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

// flatFieldsOf lists a struct's JSON fields by name; nil when the struct
// has embedded fields (whose promotion decodeFlat does not follow).
func flatFieldsOf(t reflect.Type) *flatFields {
	if v, ok := flatCache.Load(t); ok {
		return v.(*flatFields)
	}
	fs := &flatFields{byName: map[string]flatField{}, folded: map[string]bool{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			fs = nil
			break
		}
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			fs = nil // "-" is a field json.Unmarshal skips, unless "-," names it: not worth telling apart
			break
		}
		if name == "" {
			name = sf.Name
		}
		f := flatField{index: i}
		switch {
		case sf.Type == timeType:
			f.kind = 't'
		case sf.Type == timePtrType:
			f.kind = 'p'
		case sf.Type.Kind() == reflect.String:
			f.kind = 's'
		case sf.Type.Kind() == reflect.Int:
			f.kind = 'i'
		case sf.Type.Kind() == reflect.Bool:
			f.kind = 'b'
		}
		fs.byName[name] = f
		fs.folded[strings.ToLower(name)] = true
	}
	flatCache.Store(t, fs)
	return fs
}

// set stores val (a JSON value of kind '"', '0', 't', 'f' or 'n') in v as
// json.Unmarshal would, or reports that it cannot.
func (f flatField) set(v reflect.Value, val []byte, kind byte) bool {
	if kind == 'n' { // null: pointers become nil, other values stay
		if f.kind == 'p' {
			v.SetZero()
			return true
		}
		return f.kind != 0
	}
	switch f.kind {
	case 's':
		if kind != '"' {
			return false
		}
		v.SetString(string(val[1 : len(val)-1]))
	case 'i':
		if kind != '0' {
			return false
		}
		n, err := strconv.ParseInt(string(val), 10, 64)
		if err != nil {
			return false
		}
		v.SetInt(n)
	case 'b':
		if kind != 't' && kind != 'f' {
			return false
		}
		v.SetBool(kind == 't')
	case 't', 'p':
		if kind != '"' {
			return false
		}
		var t time.Time
		if t.UnmarshalJSON(val) != nil {
			return false
		}
		if f.kind == 't' {
			v.Set(reflect.ValueOf(t))
		} else {
			v.Set(reflect.ValueOf(&t))
		}
	default:
		return false
	}
	return true
}

// flatValue reads the scalar JSON value at b[i]: the value's bytes, where
// it ends, and its kind ('"' string, '0' number, 't' true, 'f' false, 'n'
// null, '{' an object or array, 0 not valid here). Strings need no UTF-8
// check here: decodeFlat has checked the whole record.
func flatValue(b []byte, i int) ([]byte, int, byte) {
	if i >= len(b) {
		return nil, i, 0
	}
	switch c := b[i]; {
	case c == '"':
		j, _, ok := jsonscan.PlainString(b, i)
		if !ok {
			return nil, i, 0
		}
		return b[i:j], j, '"'
	case c == '{' || c == '[':
		return nil, i, '{'
	case c == 't' && jsonscan.Literal(b, i, "true"):
		return b[i : i+4], i + 4, 't'
	case c == 'f' && jsonscan.Literal(b, i, "false"):
		return b[i : i+5], i + 5, 'f'
	case c == 'n' && jsonscan.Literal(b, i, "null"):
		return b[i : i+4], i + 4, 'n'
	case c == '-' || (c >= '0' && c <= '9'):
		// Unlike the other readers, this one also wants a number to end
		// where a value may end, before the caller looks further.
		j, ok := jsonscan.NumberEnd(b, i)
		if !ok || j < len(b) && !strings.ContainsRune(" \t\r\n,}]", rune(b[j])) {
			return nil, i, 0
		}
		return b[i:j], j, '0'
	}
	return nil, i, 0
}

func asciiOnly(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// decodeRecord decodes a record event's props: decodeFlat, else
// json.Unmarshal.
func decodeRecord[T any](data []byte, v *T) error {
	if decodeFlat(data, v) {
		return nil
	}
	*v = *new(T)
	return json.Unmarshal(data, v)
}
