package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lade-dev/lade/pkg/release"
)

// signalNames are the signals that interrupt lade, as users know them.
var signalNames = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM"}

// interruptible returns a context that the first SIGINT (Ctrl-C) or
// SIGTERM cancels with a cause wrapping release.ErrInterrupted: the
// running operation stops, records its revision as interrupted and
// releases the release's lease. A second signal exits at once (status
// 130), as kubectl and helm do; the next command then takes the lease over.
// stop restores the default handling.
func interruptible(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "\nInterrupted (%s): stopping; press Ctrl-C again to exit at once.\n", signalNames[sig])
			cancel(fmt.Errorf("%w (%s)", release.ErrInterrupted, signalNames[sig]))
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "Interrupted again: exiting now.")
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(context.Canceled)
	}
}
