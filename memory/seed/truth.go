package seed

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TruthFileName is the ground-truth file's name in the data directory.
const TruthFileName = "seed-truth.json"

// TruthFile is the ground truth of a seeded history, for evaluating churn
// prediction and replenishment timing later.
type TruthFile struct {
	Seed      int64     `json:"seed"`
	Days      int       `json:"days"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	ChurnRate float64   `json:"churn_rate"`
	Churned   int       `json:"churned"`
	// Customers maps the store's customer id to its truth.
	Customers map[string]TruthEntry `json:"customers"`
}

// NewTruthFile describes res, the result of writing cfg.
func NewTruthFile(cfg Config, res Result) TruthFile {
	_ = cfg.check() // fills defaults; Write has checked it already
	return TruthFile{Seed: cfg.Seed, Days: cfg.Days, Start: cfg.Start(), End: cfg.End, ChurnRate: cfg.ChurnRate,
		Churned: res.Stats.Churned, Customers: res.Truth}
}

// WriteTruth writes t to dir/seed-truth.json, replacing it whole (a reader
// never sees half a file).
func WriteTruth(dir string, t TruthFile) (string, error) {
	path := filepath.Join(dir, TruthFileName)
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return "", fmt.Errorf("seed: encode truth: %w", err)
	}
	tmp, err := os.CreateTemp(dir, TruthFileName+".*")
	if err != nil {
		return "", fmt.Errorf("seed: write truth: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("seed: write truth: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("seed: write truth: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("seed: write truth: %w", err)
	}
	return path, nil
}

// ReadTruth reads dir/seed-truth.json.
func ReadTruth(dir string) (TruthFile, error) {
	var t TruthFile
	b, err := os.ReadFile(filepath.Join(dir, TruthFileName))
	if err != nil {
		return t, fmt.Errorf("seed: read truth: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("seed: read truth: %w", err)
	}
	return t, nil
}
