package proactive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
)

// Trigger is a compiled trigger.
type Trigger struct {
	Spec
	File string // where it was loaded from

	cond   *program
	at     *program
	data   map[int]map[string]*program           // action index → name → expression
	texts  map[int]map[string]*template.Template // action index → lang → template
	uses   uses
	facing bool // has an action the customer notices (message, handoff)
}

// Timed reports whether the trigger is a time trigger (it has `at`).
func (t *Trigger) Timed() bool { return t.at != nil }

// Facing reports whether the trigger reaches the customer (a message or a
// handoff), so that opt-out, quiet hours and global caps apply.
func (t *Trigger) Facing() bool { return t.facing }

// Matrix is a compiled set of triggers. It is immutable.
type Matrix struct {
	triggers []*Trigger
	byType   map[string][]*Trigger // event type → triggers woken by it (incl. "*")
	byID     map[string]*Trigger
	lookback time.Duration
}

// Triggers lists the triggers, by id.
func (m *Matrix) Triggers() []*Trigger { return m.triggers }

// Trigger returns a trigger by id.
func (m *Matrix) Trigger(id string) (*Trigger, bool) {
	t, ok := m.byID[id]
	return t, ok
}

func (m *Matrix) woken(typ string) []*Trigger {
	if m == nil {
		return nil
	}
	if ts, ok := m.byType[typ]; ok {
		return ts
	}
	return m.byType["*"]
}

// Compile compiles trigger files (name → YAML). Every problem is reported
// (joined *FileError values); any problem refuses the whole set, so that a
// running matrix is only ever replaced by a complete, valid one.
func Compile(files map[string][]byte) (*Matrix, error) {
	m := &Matrix{byType: map[string][]*Trigger{}, byID: map[string]*Trigger{}}
	var errs []error
	names := sortedKeys(files)
	for _, name := range names {
		t, err := compileTrigger(name, files[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := m.byID[t.ID]; dup {
			errs = append(errs, &FileError{File: name, Line: 1, Reason: fmt.Sprintf("id %q is also used by %s", t.ID, prev.File)})
			continue
		}
		if t.Disabled {
			continue
		}
		m.byID[t.ID] = t
		m.triggers = append(m.triggers, t)
	}
	for _, t := range m.triggers {
		for i, a := range t.Actions {
			if a.Type == ActSchedule {
				if _, ok := m.byID[a.Trigger]; !ok {
					errs = append(errs, &FileError{File: t.File, Reason: fmt.Sprintf("actions[%d].trigger: no trigger %q is loaded", i, a.Trigger)})
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(m.triggers, func(a, b *Trigger) int { return cmp.Compare(a.ID, b.ID) })
	all := []*Trigger{}
	for _, t := range m.triggers {
		for _, typ := range t.On {
			if typ == "*" {
				all = append(all, t)
			}
		}
	}
	for _, t := range m.triggers {
		for _, typ := range t.On {
			if typ != "*" && !slices.Contains(m.byType[typ], t) {
				m.byType[typ] = append(m.byType[typ], t)
			}
		}
		m.lookback = max(m.lookback, t.Every.D(), t.ActiveFor.D())
	}
	for typ := range m.byType {
		m.byType[typ] = append(m.byType[typ], all...)
	}
	m.byType["*"] = all
	return m, nil
}

func compileTrigger(name string, data []byte) (*Trigger, error) {
	spec, lines, err := parseSpec(name, data)
	if err != nil {
		return nil, err
	}
	t := &Trigger{Spec: spec, File: name, data: map[int]map[string]*program{}, texts: map[int]map[string]*template.Template{}}
	if strings.TrimSpace(spec.Condition) != "" {
		if t.cond, err = compile(name, "condition", lines["condition"], spec.Condition, true); err != nil {
			return nil, err
		}
		t.uses = t.uses.or(t.cond.uses)
	}
	if spec.At != "" {
		if t.at, err = compile(name, "at", lines["at"], spec.At, false); err != nil {
			return nil, err
		}
		t.uses = t.uses.or(t.at.uses)
	}
	for i, a := range spec.Actions {
		f := fmt.Sprintf("actions[%d]", i)
		switch a.Type {
		case ActOpenConversation, ActSendMessage, ActHandoff:
			t.facing = true
		}
		for lang, txt := range a.Text {
			tpl, err := template.New(lang).Option("missingkey=zero").Parse(txt)
			if err != nil {
				return nil, &FileError{File: name, Line: lines[f+".text."+lang], Reason: f + ".text." + lang + ": " + err.Error()}
			}
			if t.texts[i] == nil {
				t.texts[i] = map[string]*template.Template{}
			}
			t.texts[i][lang] = tpl
		}
		for k, src := range a.Data {
			p, err := compile(name, f+".data."+k, lines[f+".data."+k], src, false)
			if err != nil {
				return nil, err
			}
			if t.data[i] == nil {
				t.data[i] = map[string]*program{}
			}
			t.data[i][k] = p
			t.uses = t.uses.or(p.uses)
		}
	}
	return t, nil
}

// LoadDir compiles every *.yaml and *.yml file in dir (not recursive).
func LoadDir(dir string) (*Matrix, error) {
	return LoadFS(os.DirFS(dir), ".", dir)
}

// LoadFS compiles every *.yaml and *.yml file of dir in fsys; display is
// the directory's name in errors.
func LoadFS(fsys fs.FS, dir, display string) (*Matrix, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("proactive: read triggers: %w", err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) || strings.HasPrefix(n, ".") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("proactive: read %s: %w", n, err)
		}
		files[filepath.Join(display, n)] = b
	}
	return Compile(files)
}

// Watcher reloads a trigger directory when its files change (polled by
// modification time, size and name, so no file-notification dependency is
// needed and it works on every file system). A set that fails to compile
// is logged and refused; the previous matrix keeps running.
type Watcher struct {
	Dir      string
	Interval time.Duration // default 2s
	Apply    func(*Matrix) // receives every newly loaded matrix
	Logger   *slog.Logger

	mu      sync.Mutex
	lastErr error
	stamp   string
}

// Load reads the directory once and applies it when it compiles.
func (w *Watcher) Load() error {
	stamp, _ := dirStamp(w.Dir)
	m, err := LoadDir(w.Dir)
	w.mu.Lock()
	w.stamp, w.lastErr = stamp, err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	w.Apply(m)
	return nil
}

// Err is the last load's error (nil when the loaded set is current).
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// Run polls until ctx is done.
func (w *Watcher) Run(ctx context.Context) {
	iv := cmp.Or(w.Interval, 2*time.Second)
	logger := w.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		stamp, err := dirStamp(w.Dir)
		w.mu.Lock()
		same := err == nil && stamp == w.stamp
		w.mu.Unlock()
		if same {
			continue
		}
		if err := w.Load(); err != nil {
			logger.Error("trigger files refused; the previous matrix keeps running", "dir", w.Dir, "err", err)
			continue
		}
		logger.Info("trigger files reloaded", "dir", w.Dir)
	}
}

func dirStamp(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s|%d|%d;", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String(), nil
}
