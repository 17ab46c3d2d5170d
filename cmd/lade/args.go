package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Positional-argument checks that name the command and show its usage line
// when the count is wrong, as Helm's do:
//
//	Error: "lade upgrade" requires 2 arguments
//
//	Usage:  lade upgrade RELEASE CHART [flags]
func noArgs() cobra.PositionalArgs              { return argCount(0, 0) }
func exactArgs(n int) cobra.PositionalArgs      { return argCount(n, n) }
func minArgs(n int) cobra.PositionalArgs        { return argCount(n, -1) }
func maxArgs(n int) cobra.PositionalArgs        { return argCount(0, n) }
func rangeArgs(lo, hi int) cobra.PositionalArgs { return argCount(lo, hi) }

// argCount accepts lo to hi arguments (hi < 0: no upper bound).
func argCount(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		n := len(args)
		var want string
		switch {
		case hi == 0 && n > 0:
			want = "accepts no arguments"
		case lo == hi && n != lo:
			want = "requires " + arguments(lo)
		case n < lo:
			want = "requires at least " + arguments(lo)
		case hi >= 0 && n > hi:
			want = "accepts at most " + arguments(hi)
		default:
			return nil
		}
		return fmt.Errorf("%q %s\n\nUsage:  %s", cmd.CommandPath(), want, cmd.UseLine())
	}
}

func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}
