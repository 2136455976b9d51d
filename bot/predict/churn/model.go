package churn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Model is a logistic churn model: risk = σ(Bias + Σ Weights[i]·(x[i] −
// Mean[i]) / Scale[i]). The default model works on the raw features (Mean
// 0, Scale 1); a trained one on standardised features.
type Model struct {
	Version  int                  `json:"version"`
	Features []string             `json:"features"`
	Mean     []float64            `json:"mean"`
	Scale    []float64            `json:"scale"`
	Weights  []float64            `json:"weights"`
	Bias     float64              `json:"bias"`
	Trained  *TrainInfo           `json:"trained,omitempty"`
	w, m, s  [NumFeatures]float64 // copies for scoring without bounds checks
}

// TrainInfo describes how a model was fitted.
type TrainInfo struct {
	At      time.Time `json:"at"`
	Samples int       `json:"samples"`
	Churned int       `json:"churned"`
	Lambda  float64   `json:"lambda"`
	// HeldOutAUC is the AUC on the held-out split, when there was one.
	HeldOutAUC float64 `json:"held_out_auc,omitempty"`
}

// FormatVersion is the model file's version.
const FormatVersion = 1

// DefaultWeights are the weights of the out-of-the-box model, on the raw
// features (each roughly 0..1; see docs/prediction.md for the reasoning).
// DefaultBias puts a customer with no warning sign at about 8 % risk.
var DefaultWeights = [NumFeatures]float64{
	FOrderOverdue:  0.9,
	FNoOrders:      0.4,
	FActivityDrop:  1.2,
	FDaysUnseen:    0.6,
	FLowCSAT:       2.5,
	FHighCES:       1.5,
	FNegativeMoods: 1.5,
	FMoodDecline:   0.8,
	FRefundRate:    1.0,
	FRecentRefunds: 0.8,
	FUsageDrop:     1.2,
	FLogOrders:     -0.3,
}

// DefaultBias is the default model's intercept.
const DefaultBias = -2.4

// Default returns the out-of-the-box model.
func Default() *Model {
	m := &Model{Version: FormatVersion, Features: FeatureNames[:], Bias: DefaultBias,
		Mean: make([]float64, NumFeatures), Scale: make([]float64, NumFeatures), Weights: DefaultWeights[:]}
	for i := range m.Scale {
		m.Scale[i] = 1
	}
	if err := m.prepare(); err != nil {
		panic(err) // the default is well formed
	}
	return m
}

// prepare checks the model and fills the scoring copies.
func (m *Model) prepare() error {
	if m.Version != FormatVersion {
		return fmt.Errorf("churn model: version %d, want %d: %w", m.Version, FormatVersion, memory.ErrInvalid)
	}
	if !slices.Equal(m.Features, FeatureNames[:]) {
		return fmt.Errorf("churn model: features %v differ from this build's %v: %w", m.Features, FeatureNames, memory.ErrInvalid)
	}
	if len(m.Mean) != NumFeatures || len(m.Scale) != NumFeatures || len(m.Weights) != NumFeatures {
		return fmt.Errorf("churn model: want %d means, scales and weights: %w", NumFeatures, memory.ErrInvalid)
	}
	for i := range NumFeatures {
		if !finite(m.Mean[i]) || !finite(m.Weights[i]) || !finite(m.Scale[i]) || m.Scale[i] <= 0 {
			return fmt.Errorf("churn model: feature %s: non-finite value or scale ≤ 0: %w", FeatureNames[i], memory.ErrInvalid)
		}
		m.w[i], m.m[i], m.s[i] = m.Weights[i], m.Mean[i], m.Scale[i]
	}
	if !finite(m.Bias) {
		return fmt.Errorf("churn model: non-finite bias: %w", memory.ErrInvalid)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Risk is the churn probability of a customer with features x.
func (m *Model) Risk(x Vector) float64 {
	z := m.Bias
	for i := range NumFeatures {
		z += m.w[i] * (x[i] - m.m[i]) / m.s[i]
	}
	return sigmoid(z)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Assessment is a churn score with the reasons behind it.
type Assessment struct {
	Risk    float64  `json:"risk"`
	Reasons []Reason `json:"reasons,omitempty"`
}

// Reason is one feature that pushed the risk up.
type Reason struct {
	Feature string `json:"feature"`
	// Impact is the feature's contribution to the log-odds against a
	// customer without that sign (default model) or an average customer
	// (trained model).
	Impact float64 `json:"impact"`
	Text   string  `json:"text"`
}

// MaxReasons is how many reasons an assessment lists at most.
const MaxReasons = 3

// minImpact is the smallest contribution (log-odds) worth naming.
const minImpact = 0.15

// Assess scores in as of now and names up to MaxReasons features that
// raised the risk most, in lang ("zh" for Simplified Chinese, anything
// else English).
func (m *Model) Assess(in Input, now time.Time, lang string) Assessment {
	x := Features(in, now)
	a := Assessment{Risk: m.Risk(x)}
	type contrib struct {
		i int
		v float64
	}
	var cs [NumFeatures]contrib
	for i := range NumFeatures {
		ref := m.m[i]
		if m.Trained == nil {
			ref = 0 // the default model's features are 0 when there is no sign
		}
		cs[i] = contrib{i, m.w[i] * (x[i] - ref) / m.s[i]}
	}
	slices.SortFunc(cs[:], func(a, b contrib) int { return cmpDesc(a.v, b.v) })
	for _, c := range cs[:MaxReasons] {
		if c.v < minImpact {
			break
		}
		a.Reasons = append(a.Reasons, Reason{Feature: FeatureNames[c.i], Impact: c.v, Text: explain(c.i, x, in.Profile, now, lang)})
	}
	return a
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// Score is Assess in English without the detail: the risk and the reasons'
// texts.
func (m *Model) Score(p memory.Profile, now time.Time) (float64, []string) {
	a := m.Assess(Input{Profile: p}, now, "en")
	texts := make([]string, len(a.Reasons))
	for i, r := range a.Reasons {
		texts[i] = r.Text
	}
	return a.Risk, texts
}

// ModelFile is where the gateway looks for a trained model in its data
// directory.
const ModelFile = "models/churn.json"

// Save writes m to path as JSON, replacing any file there whole.
func (m *Model) Save(path string) error {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("churn model: encode: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("churn model: save: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("churn model: save: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("churn model: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("churn model: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("churn model: save: %w", err)
	}
	return nil
}

// MaxModelBytes bounds a model file.
const MaxModelBytes = 1 << 20

// Decode reads a model from JSON; unknown fields, a wrong version or
// feature list, and non-finite numbers are errors (memory.ErrInvalid).
func Decode(b []byte) (*Model, error) {
	if len(b) > MaxModelBytes {
		return nil, fmt.Errorf("churn model: %d bytes, more than %d: %w", len(b), MaxModelBytes, memory.ErrInvalid)
	}
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("churn model: decode: %v: %w", err, memory.ErrInvalid)
	}
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Load reads the model at path.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("churn model: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// LoadOrDefault returns the trained model in dataDir (ModelFile) when there
// is one, else the default model; trained tells which. A model file that
// exists but does not load is an error, not a silent fallback.
func LoadOrDefault(dataDir string) (m *Model, trained bool, err error) {
	m, err = Load(filepath.Join(dataDir, ModelFile))
	switch {
	case err == nil:
		return m, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return Default(), false, nil
	}
	return nil, false, err
}
