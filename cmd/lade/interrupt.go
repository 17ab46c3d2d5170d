package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/lade-dev/lade/pkg/release"
)

// signalNames are the signals that interrupt lade, as users know them.
var signalNames = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM"}

// gracefulAnnotation marks the commands that stop gracefully on an
// interrupt (see interruptible); gracefulCommands are those commands.
const gracefulAnnotation = "lade.dev/interrupt"

var gracefulCommands = map[string]bool{"apply": true, "install": true, "upgrade": true, "rollback": true, "uninstall": true, "test": true}

// graceful is set (before a command runs) when the command is marked
// with gracefulAnnotation.
var graceful atomic.Bool

// interruptible returns a context that the first SIGINT (Ctrl-C) or
// SIGTERM cancels, while a release operation runs (graceful), with a
// cause wrapping release.ErrInterrupted: the operation stops, records its
// revision as interrupted and releases the release's lease. A second
// signal exits at once (status 130), as kubectl and helm do; the next
// command then takes the lease over. Other commands end on the first
// signal, as without this handling. stop restores the default handling.
func interruptible(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			if !graceful.Load() {
				signal.Reset(sig)
				_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
				return
			}
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
