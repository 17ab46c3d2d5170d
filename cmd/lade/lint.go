package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/cmd/lade/internal/gcstart"
	"github.com/lade-dev/lade/cmd/lade/internal/precompile"
	"github.com/lade-dev/lade/cmd/lade/internal/prestart"
	"github.com/lade-dev/lade/internal/version"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/lint"
)

const lintLong = `Examine charts for possible issues.

lade runs Helm's lint rules with Helm's messages and text output ([ERROR] for
things that will break an install, [WARNING] for convention breaks), then:

  - decodes every rendered object of a built-in kind strictly against the
    Kubernetes API types, reporting every unknown field, value of the wrong
    type (naming the YAML 1.1 trap: y/yes/on/off/n/no are booleans) and
    missing required field of an object, not just the first;
  - checks the values the API server rejects: replicas and other counts
    below 0, ports outside 1-65535, invalid names, labels and quantities,
    probes, and a workload selector that does not match its pod labels;
  - flags APIs deprecated or removed at --kube-version;
  - checks orchestration pitfalls (resources, probes, rollout settings,
    disruption budgets, selectors, references, security). Run
    'lade lint --list-rules' for their ids.

Findings name the template file and line. A value that an include or
toYaml wrote is placed at the line of the field holding it.

Suppress a rule for one object with the annotation
'lade.dev/lint-ignore: ID[,ID]', or for the run with --ignore ID.
--helm-only runs Helm's rules alone, so the output is exactly 'helm lint'''s.

Exit status is 1 when a chart has errors (or warnings, with --strict).
`

// lintGCPercent is the GC target of a lint run (see runLint).
const lintGCPercent = 200

type lintFlags struct {
	values               valueFlags
	strict               bool
	withSubcharts        bool
	quiet                bool
	skipSchemaValidation bool
	kubeVersion          string
	output               string
	ignore               []string
	nodes                int
	helmOnly             bool
	listRules            bool
	registry             registryFlags
	version              string
	limits               limitFlags
}

func newLintCmd(g *globalFlags) *cobra.Command {
	lf := &lintFlags{}
	cmd := &cobra.Command{
		Use:   "lint CHART...",
		Short: "examine charts for possible issues",
		Long:  lintLong,
		RunE: func(cmd *cobra.Command, args []string) error {
			if lf.listRules {
				return writeRuleList(cmd.OutOrStdout())
			}
			if len(args) == 0 {
				return errors.New(`"lade lint" requires at least 1 argument`)
			}
			return runLint(cmd, g, lf, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&lf.strict, "strict", false, "fail on lint warnings")
	f.BoolVar(&lf.withSubcharts, "with-subcharts", false, "lint dependent charts")
	f.BoolVar(&lf.quiet, "quiet", false, "print only warnings and errors")
	f.BoolVar(&lf.skipSchemaValidation, "skip-schema-validation", false, "if set, disables JSON schema validation")
	f.StringVar(&lf.kubeVersion, "kube-version", "", "Kubernetes version used for capabilities and deprecation checks")
	f.StringVarP(&lf.output, "output", "o", "text", "output format: text, json or sarif")
	f.StringSliceVar(&lf.ignore, "ignore", nil, "rule id not to report (repeatable or comma-separated)")
	f.IntVar(&lf.nodes, "nodes", 0, "number of cluster nodes, for the required anti-affinity rule")
	lf.limits.add(f)
	f.BoolVar(&lf.helmOnly, "helm-only", false, "run Helm's rules only (output identical to helm lint)")
	f.BoolVar(&lf.listRules, "list-rules", false, "list lade's rule ids, severities and reasons, then exit")
	f.StringVar(&lf.version, "version", "", "chart version or constraint, for oci:// charts")
	lf.registry.add(f)
	lf.registry.addRepo(f)
	lf.values.add(f)
	return cmd
}

func runLint(cmd *cobra.Command, g *globalFlags, lf *lintFlags, args []string) error {
	switch lf.output {
	case "text", "json", "sarif":
	default:
		return fmt.Errorf("invalid output format %q: use text, json or sarif", lf.output)
	}
	// oci:// charts are pulled (through the cache) and linted as archives.
	args = slices.Clone(args)
	for i, a := range args {
		if !lf.registry.isRemote(a) {
			continue
		}
		dir, err := os.MkdirTemp("", "lade-lint-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if args[i], err = lf.registry.fetch(cmd, a, lf.version, dir); err != nil {
			return err
		}
	}
	opts := lint.Options{
		Namespace:            g.ns(),
		SkipSchemaValidation: lf.skipSchemaValidation,
		Charts:               &prestart.Charts,
		Schemas:              &precompile.Schemas,
		HelmOnly:             lf.helmOnly,
		Ignore:               lf.ignore,
		Nodes:                lf.nodes,
		Limits:               lf.limits.l,
	}
	if lf.kubeVersion != "" {
		kv, err := common.ParseKubeVersion(lf.kubeVersion)
		if err != nil {
			return fmt.Errorf("invalid kube version '%s': %w", lf.kubeVersion, err)
		}
		opts.KubeVersion = kv
	}
	// A lint run is short and allocates much short-lived garbage (rendered
	// text, parsed documents) on a small live heap: collecting at 3x the live
	// heap instead of 2x saves about a sixth of the CPU for a few MiB more.
	// GOGC, when set, still decides.
	defer gcstart.Set(lintGCPercent)()
	paths := args
	if lf.withSubcharts {
		paths = withSubcharts(args)
	}
	vals, err := lf.values.merge()
	if err != nil {
		return err
	}
	opts.Values = vals
	results := lint.Charts(cmd.Context(), paths, opts, runtime.GOMAXPROCS(0))
	return printLint(cmd.OutOrStdout(), lf, results, len(paths))
}

// printLint writes the lint results as --output asks, with Helm's summary
// line; it fails (exit 1) when a chart failed.
func printLint(out io.Writer, lf *lintFlags, results []*lint.Result, charts int) error {
	failed := 0
	for _, r := range results {
		if r.Failed(lf.strict) {
			failed++
		}
	}
	summary := fmt.Sprintf("%d chart(s) linted, %d chart(s) failed", charts, failed)
	switch lf.output {
	case "json":
		if err := lint.WriteJSON(out, results, lf.strict); err != nil {
			return err
		}
	case "sarif":
		if err := lint.WriteSARIF(out, results, version.Get().Version); err != nil {
			return err
		}
	default:
		lint.WriteText(out, results, lf.quiet)
		if failed == 0 && (!lf.quiet || anyWarnings(results)) {
			fmt.Fprintln(out, summary)
		}
	}
	if failed > 0 {
		if lf.output != "text" {
			return exitCode(1)
		}
		return errors.New(summary)
	}
	return nil
}

func anyWarnings(results []*lint.Result) bool {
	for _, r := range results {
		if r.HasWarningsOrErrors() {
			return true
		}
	}
	return false
}

// withSubcharts appends, as Helm does, every chart directory (a Chart.yaml)
// and archive found under each path's charts/ directory, in walk order.
func withSubcharts(args []string) []string {
	paths := append([]string(nil), args...)
	for _, p := range args {
		_ = filepath.Walk(filepath.Join(p, "charts"), func(sub string, info os.FileInfo, _ error) error {
			if info == nil {
				return nil
			}
			if info.Name() == "Chart.yaml" {
				paths = append(paths, filepath.Dir(sub))
			} else if strings.HasSuffix(sub, ".tgz") || strings.HasSuffix(sub, ".tar.gz") {
				paths = append(paths, sub)
			}
			return nil
		})
	}
	return paths
}

func writeRuleList(w io.Writer) error {
	for _, r := range lint.Rules() {
		if _, err := fmt.Fprintf(w, "%-24s %-8s %s\n", r.ID, r.Severity, r.Why); err != nil {
			return err
		}
	}
	return nil
}
