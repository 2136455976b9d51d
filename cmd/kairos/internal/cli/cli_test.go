package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Run(context.Background(), Env{Args: args, Environ: environ, Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), err
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown command", []string{"frobnicate"}},
		{"unknown flag", []string{"serve", "--nope"}},
		{"serve with arguments", []string{"serve", "extra"}},
		{"kb without subcommand", []string{"kb"}},
		{"kb unknown subcommand", []string{"kb", "eat"}},
		{"kb ingest without files", []string{"kb", "ingest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := run(t, nil, tt.args...); !errors.Is(err, ErrUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
		})
	}
}

func TestVersionAndSettings(t *testing.T) {
	out, _, err := run(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "kairos ") {
		t.Fatalf("version = %q, %v", out, err)
	}
	out, _, err = run(t, nil, "settings")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"KAIROS_POSTGRES_URL", "KAIROS_NATS_URL", "KAIROS_LLM_BASE_URL", "KAIROS_API_KEY"} {
		if !strings.Contains(out, env) {
			t.Errorf("settings output lacks %s", env)
		}
	}
}

func TestBadConfigIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "k.yaml")
	os.WriteFile(cfg, []byte("adress: \":1\"\n"), 0o600)
	if _, _, err := run(t, nil, "serve", "--config", cfg, "--data", dir); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
	if _, _, err := run(t, []string{"KAIROS_TURN_TIMEOUT=soon"}, "kb", "list", "--data", dir); err == nil || !strings.Contains(err.Error(), "KAIROS_TURN_TIMEOUT") {
		t.Fatalf("err = %v, want the bad variable named", err)
	}
}

func TestKBIngestAndList(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	md := filepath.Join(dir, "gift-wrap.md")
	os.WriteFile(md, []byte("# Gift wrapping\n\nWe gift-wrap any order for ¥15. Choose it at checkout.\n"), 0o600)
	faq := filepath.Join(dir, "faq.csv")
	os.WriteFile(faq, []byte("question,answer\n能开发票吗？,可以，下单时选择电子发票。\n"), 0o600)
	bad := filepath.Join(dir, "broken.csv")
	os.WriteFile(bad, []byte("question,answer\n\"unterminated,oops\n"), 0o600)
	missing := filepath.Join(dir, "missing.md")

	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	out, stderr, err := run(t, env, "kb", "ingest", "--data", data, md, bad, faq, missing)
	if err == nil {
		t.Fatal("ingest with a broken and a missing file succeeded")
	}
	if !strings.Contains(out, "gift-wrap.md: ingested") || !strings.Contains(out, "faq.csv: ingested") {
		t.Errorf("good files not ingested despite bad ones:\n%s", out)
	}
	if !strings.Contains(stderr, "broken.csv") || !strings.Contains(stderr, "missing.md") {
		t.Errorf("bad files not reported:\n%s", stderr)
	}

	out, _, err = run(t, env, "kb", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Gift wrapping") || strings.Count(out, "\n") != 3 {
		t.Errorf("kb list =\n%s\nwant a header and the two ingested documents", out)
	}
}

func TestDemoSeed(t *testing.T) {
	data := t.TempDir()
	env := []string{"KAIROS_SAMPLE_KNOWLEDGE=false"}
	out, stderr, err := run(t, env, "demo", "seed", "--customers", "40", "--days", "30", "--seed", "7", "--data", data)
	if err != nil {
		t.Fatalf("demo seed: %v\n%s%s", err, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "seed-truth.json")); err != nil {
		t.Fatalf("no ground truth written: %v", err)
	}
	// Seeding again with the same seed adds nothing.
	again, _, err := run(t, env, "demo", "seed", "--customers", "40", "--days", "30", "--seed", "7", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "(40 new") || !strings.Contains(again, "(0 new") || !strings.Contains(again, "(0 new)") {
		t.Fatalf("first run:\n%s\nsecond run (want nothing new):\n%s", out, again)
	}
	if _, _, err := run(t, env, "demo", "seed", "--customers", "-3", "--data", data); !errors.Is(err, ErrUsage) {
		t.Fatalf("negative --customers: %v, want a usage error", err)
	}
}
