// Package sample holds the trigger matrix Kairos ships with: the
// scenarios of the demo shop (refund help, reserve stock for members,
// replenishment, abandoned carts, falling usage, large bills, rising anger,
// repeated questions), used when no trigger directory is configured.
package sample

import (
	"embed"

	"github.com/kairoscx/kairos/bot/proactive"
)

//go:embed *.yaml
var FS embed.FS

// Matrix compiles the sample triggers.
func Matrix() (*proactive.Matrix, error) {
	return proactive.LoadFS(FS, ".", "sample")
}
