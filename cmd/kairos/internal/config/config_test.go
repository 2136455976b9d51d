package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kairos.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     []string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c Config) {
				if c.Addr != ":8080" || c.Data != "./data" || !c.SampleKnowledge {
					t.Errorf("defaults = %+v", c)
				}
			},
		},
		{
			name: "file then env",
			file: "addr: \":9000\"\nllm:\n  base_url: http://file\n  model: m\n  timeout: 5s\n",
			env:  []string{"KAIROS_LLM_BASE_URL=http://env", "PATH=/bin", "KAIROS_ALLOWED_ORIGINS=https://a.example, https://b.example"},
			check: func(t *testing.T, c Config) {
				if c.Addr != ":9000" {
					t.Errorf("addr = %q, want from file", c.Addr)
				}
				if c.LLM.BaseURL != "http://env" {
					t.Errorf("llm.base_url = %q, want env to win", c.LLM.BaseURL)
				}
				if c.LLM.Timeout.D() != 5*time.Second {
					t.Errorf("llm.timeout = %v", c.LLM.Timeout.D())
				}
				if strings.Join(c.AllowedOrigins, "|") != "https://a.example|https://b.example" {
					t.Errorf("allowed_origins = %q", c.AllowedOrigins)
				}
			},
		},
		{name: "unknown top-level key", file: "adr: \":1\"\n", wantErr: "field adr not found"},
		{name: "unknown nested key", file: "llm:\n  basee_url: x\n", wantErr: "field basee_url not found"},
		{name: "bad duration in file", file: "turn_timeout: soon\n", wantErr: "line 1"},
		{name: "bad bool in env", env: []string{"KAIROS_SAMPLE_KNOWLEDGE=maybe"}, wantErr: "KAIROS_SAMPLE_KNOWLEDGE"},
		{name: "bad int in env", env: []string{"KAIROS_EMBEDDINGS_DIM=big"}, wantErr: "KAIROS_EMBEDDINGS_DIM"},
		{name: "empty file is fine", file: "\n", check: func(t *testing.T, c Config) {
			if c.Addr != ":8080" {
				t.Errorf("addr = %q", c.Addr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			c, _, err := Load(path, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil); err == nil {
		t.Fatal("missing config file accepted")
	}
}

func TestUnknownEnvWarns(t *testing.T) {
	_, warnings, err := Load("", []string{"KAIROS_POSTGRESS_URL=x", "KAIROS_TEST_POSTGRES_URL=y"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "KAIROS_POSTGRESS_URL") {
		t.Fatalf("warnings = %q, want one about the typo only", warnings)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{"defaults valid", func(c *Config) {}, ""},
		{"short secret", func(c *Config) { c.Secret = "short" }, "secret"},
		{"llm without model", func(c *Config) { c.LLM.BaseURL = "http://x" }, "llm.model"},
		{"llm timeout not shorter than turn", func(c *Config) {
			c.LLM.BaseURL, c.LLM.Model = "http://x", "m"
			c.LLM.Timeout = c.TurnTimeout
		}, "llm.timeout"},
		{"negative token price", func(c *Config) { c.LLM.PriceOutput = -0.5 }, "llm.price_input and llm.price_output"},
		{"token prices set", func(c *Config) { c.LLM.PriceInput, c.LLM.PriceOutput = 0.15, 0.6 }, ""},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"zero dim", func(c *Config) { c.Embeddings.Dim = 0 }, "embeddings.dim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFieldsEnvNames(t *testing.T) {
	want := map[string]bool{
		"KAIROS_ADDR": true, "KAIROS_DATA": true, "KAIROS_POSTGRES_URL": true, "KAIROS_NATS_URL": true,
		"KAIROS_LLM_BASE_URL": true, "KAIROS_LLM_API_KEY": true, "KAIROS_LLM_MODEL": true, "KAIROS_API_KEY": true,
	}
	for _, f := range Fields() {
		delete(want, f.Env)
		if f.Doc == "" {
			t.Errorf("%s has no documentation", f.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("settings missing from Fields: %v", want)
	}
}

func TestEmbeddingsRemoteInheritsLLM(t *testing.T) {
	c := Default()
	if _, ok := c.EmbeddingsRemote(); ok {
		t.Fatal("offline embedder expected by default")
	}
	c.LLM.BaseURL, c.LLM.APIKey = "http://llm/v1", "k"
	c.Embeddings.Model = "text-embedding-3-small"
	e, ok := c.EmbeddingsRemote()
	if !ok || e.BaseURL != "http://llm/v1" || e.APIKey != "k" {
		t.Fatalf("EmbeddingsRemote = %+v, %v", e, ok)
	}
}

// TestREADMEDocumentsEverySetting keeps the README's settings table true.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields() {
		row := "| `" + f.Path + "` | `" + f.Env + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no settings row for %s (%s); run `kairos settings`", f.Path, f.Env)
		}
	}
}
