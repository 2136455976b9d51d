// Command kairos runs the Kairos proactive customer-service gateway. It only
// wires the process to the command line; everything else is in
// cmd/kairos/internal/cli and the packages it calls.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // quiet hours need time zones also where the system has none

	"github.com/kairoscx/kairos/cmd/kairos/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.Run(ctx, cli.Env{Args: os.Args[1:], Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr})
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, cli.ErrUsage):
		fmt.Fprintln(os.Stderr, "kairos:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "kairos:", err)
		os.Exit(1)
	}
}
