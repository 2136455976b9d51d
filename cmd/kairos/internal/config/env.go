package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Field describes one setting.
type Field struct {
	Path    string // YAML path, e.g. "llm.base_url"
	Env     string // environment variable, e.g. "KAIROS_LLM_BASE_URL"
	Doc     string
	Default string
}

// Fields lists every setting with its environment variable, documentation
// and default, in declaration order.
func Fields() []Field {
	var out []Field
	def := reflect.ValueOf(Default())
	walk(def, "", func(path string, v reflect.Value, sf reflect.StructField) {
		env := envName(path)
		if fileOnly(v) {
			env = FileOnly
		}
		out = append(out, Field{
			Path:    path,
			Env:     env,
			Doc:     sf.Tag.Get("doc"),
			Default: formatValue(v),
		})
	})
	return out
}

// FileOnly is the Env of settings that only the YAML file can give: lists
// of accounts, whose entries have fields of their own.
const FileOnly = "(file only)"

// fileOnly reports whether v is a list of structs.
func fileOnly(v reflect.Value) bool {
	return v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct
}

func envName(path string) string {
	return "KAIROS_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// walk calls fn for every leaf field of the struct v, with its YAML path.
func walk(v reflect.Value, prefix string, fn func(path string, v reflect.Value, sf reflect.StructField)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(Duration(0)) {
			walk(fv, path, fn)
			continue
		}
		fn(path, fv, sf)
	}
}

// applyEnv sets fields from KAIROS_* variables in environ.
func applyEnv(c *Config, environ []string) (warnings []string, err error) {
	vars := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "KAIROS_") {
			vars[k] = v
		}
	}
	known := map[string]bool{}
	var errs []string
	walk(reflect.ValueOf(c).Elem(), "", func(path string, fv reflect.Value, _ reflect.StructField) {
		if fileOnly(fv) {
			return
		}
		name := envName(path)
		known[name] = true
		raw, ok := vars[name]
		if !ok {
			return
		}
		if err := setValue(fv, raw); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	})
	for name := range vars {
		if !known[name] && !strings.HasPrefix(name, "KAIROS_TEST_") {
			warnings = append(warnings, fmt.Sprintf("unknown environment variable %s is ignored", name))
		}
	}
	sort.Strings(warnings)
	if len(errs) > 0 {
		sort.Strings(errs)
		return warnings, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return warnings, nil
}

func setValue(fv reflect.Value, raw string) error {
	switch p := fv.Addr().Interface().(type) {
	case *string:
		*p = raw
	case *bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", raw)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", raw)
		}
		*p = f
	case *Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("want a duration like 30s, got %q", raw)
		}
		*p = Duration(d)
	case *[]string:
		var list []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		*p = list
	default:
		return fmt.Errorf("unsupported setting type %s", fv.Type())
	}
	return nil
}

func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Duration:
		return time.Duration(x).String()
	case []string:
		return strings.Join(x, ",")
	case string:
		return x
	}
	if fileOnly(v) {
		return "[]"
	}
	switch x := v.Interface().(type) {
	default:
		return fmt.Sprint(x)
	}
}
