package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/release"
)

// notName is the start of an excluding --filter ("!name=", "! name=").
var notName = regexp.MustCompile(`^!\s?name=`)

func newTestCmd(g *globalFlags) *cobra.Command {
	var kf *kubeFlags
	var timeout time.Duration
	var filters []string
	cmd := &cobra.Command{
		Use:   "test RELEASE",
		Short: "run the tests of a release",
		Long: `Run the test hooks (helm.sh/hook: test) of a release's current revision, by
weight then name, and print the release with each test's last run.

--filter name=TEST runs only the named tests; --filter '!name=TEST' skips
them (repeat the flag, or separate filters with commas).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := release.TestOptions{Timeout: timeout}
			for _, f := range filters {
				if name, ok := strings.CutPrefix(f, "name="); ok {
					o.Include = append(o.Include, name)
				} else if m := notName.FindString(f); m != "" {
					o.Exclude = append(o.Exclude, f[len(m):])
				} else {
					return fmt.Errorf("--filter %q: use name=TEST to run only that test, or !name=TEST to skip it", f)
				}
			}
			cfg, err := kf.config(kf.namespace(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			r, terr := cfg.Test(cmd.Context(), args[0], o)
			if r != nil {
				if err := printStatus(cmd.OutOrStdout(), r, false, false, false); err != nil && terr == nil {
					terr = err
				}
			}
			return terr
		},
	}
	f := cmd.Flags()
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	f.StringSliceVar(&filters, "filter", nil, "specify tests by attribute (currently \"name\") using attribute=value syntax or '!attribute=value' to exclude a test (can specify multiple or separate values with commas: name=test1,name=test2)")
	kf = newKubeFlags(g, f)
	return cmd
}
