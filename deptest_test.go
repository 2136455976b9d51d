// Package kairos_test holds repository-wide checks. This file keeps the
// layers of the design honest: what a package may not import, checked
// against the real dependency graph that `go list` reports.
package kairos_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kairoscx/kairos"

// forbidden maps a package pattern to import-path prefixes none of its
// packages may depend on, directly or not.
var forbidden = []struct {
	pattern string
	deny    []string
	why     string
}{
	{"./channels/...", []string{module + "/memory", module + "/bot", module + "/knowledge", "github.com/sashabaranov/go-openai", "github.com/jackc/pgx", "go.etcd.io/bbolt"},
		"channels translate protocols; they know nothing of storage or language models"},
	{"./bot/...", []string{"github.com/gorilla/websocket", module + "/channels/web"},
		"the engine is channel-agnostic; it never speaks WebSocket"},
	{"./memory/...", []string{module + "/bot", module + "/channels", module + "/knowledge"},
		"the system of record depends on nothing above it"},
	{"./knowledge/...", []string{module + "/bot", module + "/channels"},
		"knowledge retrieval does not know who asks"},
}

func TestLayers(t *testing.T) {
	for _, rule := range forbidden {
		t.Run(rule.pattern, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-test=false", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", rule.pattern).CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", rule.pattern, err, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				fields := strings.Fields(line)
				if len(fields) == 0 || !strings.HasPrefix(fields[0], module) || !matches(fields[0], rule.pattern) {
					continue
				}
				for _, dep := range fields[1:] {
					for _, d := range rule.deny {
						if dep == d || strings.HasPrefix(dep, d+"/") || strings.HasPrefix(dep, d) && !strings.HasPrefix(d, module) {
							t.Errorf("%s imports %s: %s", fields[0], dep, rule.why)
						}
					}
				}
			}
		})
	}
}

// matches reports whether import path p is in the "./dir/..." pattern.
func matches(p, pattern string) bool {
	dir := module + "/" + strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/...")
	return p == dir || strings.HasPrefix(p, dir+"/")
}
