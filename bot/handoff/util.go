package handoff

import (
	"errors"
	"strconv"

	"github.com/kairoscx/kairos/memory"
)

func itoa(u uint64) string { return strconv.FormatUint(u, 10) }

func isNotFound(err error) bool { return errors.Is(err, memory.ErrNotFound) }
