package churn

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Example is one labelled feature vector.
type Example struct {
	X       Vector
	Churned bool
}

// FitOptions tune Fit.
type FitOptions struct {
	// Lambda is the L2 penalty on the standardised weights (not the bias);
	// default 1.
	Lambda float64
	// MaxIter bounds the Newton (IRLS) steps; default 50.
	MaxIter int
	// Now stamps the model (default time.Now).
	Now func() time.Time
}

// ErrOneClass is returned when the training set lacks churned or retained
// examples: there is nothing to separate.
var ErrOneClass = errors.New("churn: training needs both churned and retained examples")

// Fit fits a logistic model with an L2 penalty to examples by iteratively
// reweighted least squares (Newton's method) on standardised features. It
// is deterministic: the same examples give the same model.
func Fit(examples []Example, opts FitOptions) (*Model, error) {
	if opts.Lambda <= 0 {
		opts.Lambda = 1
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	n := len(examples)
	pos := 0
	for _, e := range examples {
		if e.Churned {
			pos++
		}
	}
	if pos == 0 || pos == n {
		return nil, fmt.Errorf("%w (%d examples, %d churned): %w", ErrOneClass, n, pos, memory.ErrInvalid)
	}

	// Standardise: mean 0, standard deviation 1 (a constant feature keeps
	// scale 1 and gets weight 0 from the penalty).
	var mean, scale Vector
	for _, e := range examples {
		for j := range NumFeatures {
			mean[j] += e.X[j]
		}
	}
	for j := range NumFeatures {
		mean[j] /= float64(n)
	}
	for _, e := range examples {
		for j := range NumFeatures {
			d := e.X[j] - mean[j]
			scale[j] += d * d
		}
	}
	for j := range NumFeatures {
		scale[j] = math.Sqrt(scale[j] / float64(n))
		if scale[j] < 1e-9 {
			scale[j] = 1
		}
	}
	const d = dim
	z := make([][d]float64, n)
	for i, e := range examples {
		for j := range NumFeatures {
			z[i][j] = (e.X[j] - mean[j]) / scale[j]
		}
		z[i][NumFeatures] = 1
	}

	var beta [d]float64
	// Start the bias at the base rate's log-odds.
	rate := float64(pos) / float64(n)
	beta[NumFeatures] = math.Log(rate / (1 - rate))
	for iter := 0; iter < opts.MaxIter; iter++ {
		var hess [d][d]float64
		var grad [d]float64
		for i, e := range examples {
			eta := 0.0
			for j := range d {
				eta += beta[j] * z[i][j]
			}
			p := sigmoid(eta)
			y := 0.0
			if e.Churned {
				y = 1
			}
			w := max(p*(1-p), 1e-10)
			for j := range d {
				grad[j] += (y - p) * z[i][j]
				for k := j; k < d; k++ {
					hess[j][k] += w * z[i][j] * z[i][k]
				}
			}
		}
		for j := range NumFeatures {
			grad[j] -= opts.Lambda * beta[j]
			hess[j][j] += opts.Lambda
		}
		for j := range d {
			for k := 0; k < j; k++ {
				hess[j][k] = hess[k][j]
			}
		}
		step, err := solve(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("churn: fit: %w", err)
		}
		change := 0.0
		for j := range d {
			beta[j] += step[j]
			change = max(change, math.Abs(step[j]))
		}
		if change < 1e-8 {
			break
		}
	}
	m := &Model{Version: FormatVersion, Features: FeatureNames[:], Bias: beta[NumFeatures],
		Mean: mean[:], Scale: scale[:], Weights: make([]float64, NumFeatures),
		Trained: &TrainInfo{At: opts.Now().UTC().Truncate(time.Second), Samples: n, Churned: pos, Lambda: opts.Lambda}}
	copy(m.Weights, beta[:NumFeatures])
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return m, nil
}

// dim is the number of parameters: the weights, then the bias.
const dim = NumFeatures + 1

// solve solves a·x = b for the small symmetric positive definite system of
// a Newton step, by Gaussian elimination with partial pivoting.
func solve(a [dim][dim]float64, b [dim]float64) ([dim]float64, error) {
	const D = dim
	var x [D]float64
	for c := range D {
		p := c
		for r := c + 1; r < D; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return x, errors.New("singular system")
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < D; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < D; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	for r := D - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < D; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, nil
}
