package proactive_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
)

func TestSampleMatrixPassesCheck(t *testing.T) {
	m, err := sample.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := proactive.Check(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("finding on the sample matrix: %s", f)
	}
}

const okTrigger = `id: %s
on: [page_view]
condition: %s
actions:
  - type: tag
    tag: seen
`

func compileOne(t *testing.T, id, cond string) (*proactive.Matrix, error) {
	t.Helper()
	src := strings.Replace(strings.Replace(okTrigger, "%s", id, 1), "%s", cond, 1)
	return proactive.Compile(map[string][]byte{id + ".yaml": []byte(src)})
}

func TestCheckFlagsTriggersThatFireOnEveryEvent(t *testing.T) {
	for _, tc := range []struct{ name, cond, want string }{
		{"constant", "true", "always true"},
		{"no_reads", "1 + 1 == 2", "always true"},
		{"every_page", `event.type == "page_view"`, "nearly every page_view"},
		{"any_url", `event.props.url != ""`, "nearly every page_view"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := compileOne(t, tc.name, tc.cond)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := proactive.Check(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, f := range fs {
				msgs = append(msgs, f.Message)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("findings %q lack %q", msgs, tc.want)
			}
		})
	}
}

func TestInvalidFilesAreRefusedWithLine(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"bad_expr", "id: a\non: [page_view]\ncondition: |\n  event.type == \"x\"\n  && count(recent(\"page_view\", \"30m\"), true) >=\nactions:\n  - type: tag\n    tag: x\n", "a.yaml:5:"},
		{"unknown_name", "id: a\non: [page_view]\ncondition: evnt.type == \"x\"\nactions:\n  - type: tag\n    tag: x\n", "a.yaml:3: condition: unknown name evnt"},
		{"unknown_key", "id: a\non: [page_view]\ncondition: \"true\"\ncolour: red\nactions:\n  - type: tag\n    tag: x\n", "a.yaml:4:"},
		{"action_field", "id: a\non: [page_view]\ncondition: \"true\"\nactions:\n  - type: tag\n    url: http://x\n", "a.yaml:6: actions[0]: tag takes no \"url\""},
		{"action_type", "id: a\non: [page_view]\ncondition: \"true\"\nactions:\n  - type: sms\n", "a.yaml:5: actions[0]: unknown type \"sms\""},
		{"holdout", "id: a\non: [page_view]\ncondition: \"true\"\nholdout: 0.9\nactions:\n  - type: tag\n    tag: x\n", "a.yaml:4: holdout"},
		{"bad_yaml", "id: a\non: [page_view\n", "a.yaml:"},
		{"no_actions", "id: a\non: [page_view]\ncondition: \"true\"\n", "actions"},
		{"bad_template", "id: a\non: [page_view]\ncondition: \"true\"\nactions:\n  - type: send_message\n    text:\n      en: \"{{.event\"\n", "a.yaml:7: actions[0].text.en"},
		{"webhook_url", "id: a\non: [page_view]\ncondition: \"true\"\nactions:\n  - type: webhook\n    url: ftp://x\n", "a.yaml:6: actions[0].url"},
		{"unknown_schedule", "id: a\non: [page_view]\ncondition: \"true\"\nactions:\n  - type: schedule\n    trigger: nope\n    after: 1h\n", "no trigger \"nope\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proactive.Compile(map[string][]byte{"a.yaml": []byte(tc.src)})
			if err == nil {
				t.Fatal("compiled")
			}
			var fe *proactive.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FileError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestWatcherKeepsPreviousMatrixOnError(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", strings.Replace(strings.Replace(okTrigger, "%s", "first", 1), "%s", `event.props.url contains "x"`, 1))
	var current *proactive.Matrix
	w := &proactive.Watcher{Dir: dir, Apply: func(m *proactive.Matrix) { current = m }}
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	write("b.yaml", "id: second\non: [page_view]\ncondition: nonsense(\nactions: []\n")
	if err := w.Load(); err == nil {
		t.Fatal("an invalid file was accepted")
	}
	if _, ok := current.Trigger("first"); !ok || len(current.Triggers()) != 1 {
		t.Fatalf("the running matrix changed after a refused load")
	}
	if w.Err() == nil || !strings.Contains(w.Err().Error(), "b.yaml") {
		t.Errorf("Err() = %v, want the b.yaml error", w.Err())
	}
	write("b.yaml", strings.Replace(strings.Replace(okTrigger, "%s", "second", 1), "%s", `event.props.url contains "y"`, 1))
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	if len(current.Triggers()) != 2 || w.Err() != nil {
		t.Errorf("fixed file not loaded: %d triggers, err %v", len(current.Triggers()), w.Err())
	}
}
