// Package prompts holds the text templates Kairos speaks with: the language
// model's system and answer prompts and the offline reasoner's replies.
//
// The defaults are embedded in the binary (*.tmpl beside this file). An
// operator can override any of them by putting a file of the same name in a
// folder and passing that folder to Load. Every template is bilingual: it
// switches on .Lang ("zh" renders Simplified Chinese, anything else English).
package prompts

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var defaults embed.FS

// ext is the file name extension of a template; the name is the file name
// without it.
const ext = ".tmpl"

// Set is a loaded collection of templates, safe for concurrent use.
type Set struct {
	tmpls map[string]*template.Template
}

// funcs are the helpers templates may use, overrides included.
var funcs = template.FuncMap{
	// inc turns a zero-based index into the number a person reads.
	"inc": func(i int) int { return i + 1 },
}

// Load returns the embedded default templates, each replaced by the file of
// the same name in dir when dir is not empty. A file in dir that names no
// default template is an error (most likely a typo that would otherwise be
// silently ignored), and so is a template that does not parse; both errors
// name the file.
func Load(dir string) (*Set, error) {
	s := &Set{tmpls: map[string]*template.Template{}}
	if err := s.addFS(defaults, "", false); err != nil {
		return nil, err
	}
	if dir == "" {
		return s, nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("prompts: override folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("prompts: override folder %s is not a folder", dir)
	}
	if err := s.addFS(os.DirFS(dir), dir, true); err != nil {
		return nil, err
	}
	return s, nil
}

// addFS parses every *.tmpl file of fsys. shown is the folder named in
// errors; override says the files must replace existing templates.
func (s *Set) addFS(fsys fs.FS, shown string, override bool) error {
	files, err := fs.Glob(fsys, "*"+ext)
	if err != nil {
		return fmt.Errorf("prompts: list %s: %w", shown, err)
	}
	for _, file := range files {
		display := filepath.Join(shown, file)
		name := strings.TrimSuffix(file, ext)
		if _, ok := s.tmpls[name]; override && !ok {
			return fmt.Errorf("prompts: %s: no default template named %q (known: %s)",
				display, name, strings.Join(s.Names(), ", "))
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return fmt.Errorf("prompts: read %s: %w", display, err)
		}
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return fmt.Errorf("prompts: parse %s: %w", display, err)
		}
		s.tmpls[name] = t
	}
	return nil
}

// ErrUnknown is returned by Render for a template name the set lacks.
var ErrUnknown = errors.New("unknown template")

// Render executes the named template with data and returns the text with
// surrounding white space trimmed.
func (s *Set) Render(name string, data any) (string, error) {
	t, ok := s.tmpls[name]
	if !ok {
		return "", fmt.Errorf("prompts: render %q: %w", name, ErrUnknown)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("prompts: render %q: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// Names returns the names of the templates in the set, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.tmpls))
	for n := range s.tmpls {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
