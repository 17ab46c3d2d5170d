// Command lade is a Kubernetes package and configuration manager: it renders
// Helm charts, overlays them with kustomize, and manages releases.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"

	// Collect garbage as a short-lived command should (see the package).
	_ "github.com/lade-dev/lade/cmd/lade/internal/gcstart"
	// Load the chart on the command line, and compile its schema, while
	// the program initialises.
	_ "github.com/lade-dev/lade/cmd/lade/internal/precompile"
	_ "github.com/lade-dev/lade/cmd/lade/internal/prestart"
)

func main() {
	ctx, stop := interruptible(context.Background(), os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes lade with args and returns the process exit code. Errors are
// printed to stderr as "Error: ..." like Helm does.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	if err := cmd.ExecuteContext(ctx); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		// A cluster that is not there is reported as such, not as the
		// first request that found out.
		var unreachable *kube.UnreachableError
		if errors.As(err, &unreachable) {
			err = unreachable
		}
		fmt.Fprintf(stderr, "Error: %s\n", err)
		if strings.HasPrefix(err.Error(), "unknown command ") {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		if errors.Is(err, release.ErrInterrupted) {
			return 130 // as a shell reports a command ended by Ctrl-C
		}
		return 1
	}
	return 0
}

// exitCode ends the process with a status and no message (already printed).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
