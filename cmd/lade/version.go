package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/internal/version"
)

func newVersionCmd() *cobra.Command {
	var output string
	var short bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print lade's version, git commit and Go version",
		Args:  noArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.Get()
			out := cmd.OutOrStdout()
			switch {
			case output == "json":
				b, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(b))
			case output != "" && output != "text":
				return fmt.Errorf("unknown output format %q (use text or json)", output)
			case short:
				fmt.Fprintln(out, v.Version)
			default:
				fmt.Fprintf(out, "lade version %s (commit %s, %s)\n", v.Version, orNone(v.GitCommit), v.GoVersion)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&short, "short", false, "print the version number only")
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
