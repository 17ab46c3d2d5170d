package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/fleet/load"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// applyFlags are the flags of lade apply.
type applyFlags struct {
	file         string
	selector     string
	concurrency  int
	showDiff     bool
	dryRun       bool
	detailedExit bool
	output       string
	prune        bool
	fleetName    string
	showSecrets  bool
	kubeValues   bool
	reg          registryFlags
	kf           *kubeFlags
}

const applyLong = `Make the cluster hold the releases declared in a fleet: Release documents
(apiVersion lade.dev/v1alpha1, kind Release) in a file, a directory of files,
or a directory holding kustomization.yaml (built with kustomize first, so an
environment is an overlay of a base fleet).

Every selected release is planned first, concurrently: rendered and
server-side dry-run applied, without changing anything. The plan is printed
as one table (chart old -> new, objects to create ~ update - delete,
conflicts, and install, upgrade, unchanged or prune); --diff prints the
object diffs too, as lade diff does. --dry-run stops there
(--detailed-exitcode: 0 nothing to do, 2 changes, 1 error).

Then the releases are applied in dependsOn order, independent ones in
parallel (--concurrency), each once the releases it depends on are Ready.
A release whose plan changes nothing gets no new revision. A release that
fails stops only the releases that depend on it (skipped); the others
finish. The exit status is 1 if any release failed or was skipped.

Every release record is labelled lade.dev/fleet=NAME (--fleet, default the
file or directory name); with --prune, releases so labelled that are no
longer in the fleet are uninstalled (shown in the plan first).

Examples:

    $ lade apply -f fleet/overlays/prod --dry-run --diff
    $ lade apply -f fleet/ -l tier=backend --concurrency 4
    $ lade apply -f fleet/overlays/prod --prune --fleet prod
    $ lade apply -f releases.yaml --dry-run --detailed-exitcode -o json`

func newApplyCmd(g *globalFlags) *cobra.Command {
	a := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply -f PATH",
		Short: "plan and apply a fleet of releases declared in files",
		Long:  applyLong,
		Args:  noArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.run(cmd)
		},
	}
	f := cmd.Flags()
	a.add(f)
	a.kf = newKubeFlags(g, f)
	return cmd
}

func (a *applyFlags) add(f *pflag.FlagSet) {
	f.StringVarP(&a.file, "filename", "f", "", "the fleet: a file of Release documents, a directory of them, or a kustomization directory")
	f.StringVarP(&a.selector, "selector", "l", "", "apply only the Releases whose labels match this selector (key=value,key!=value,key in (a,b))")
	f.IntVar(&a.concurrency, "concurrency", fleet.DefaultConcurrency, "releases planned or applied at once")
	f.BoolVar(&a.showDiff, "diff", false, "print the object diffs of every release that changes (as lade diff does) before the plan")
	f.BoolVar(&a.dryRun, "dry-run", false, "plan only: print the plan and change nothing")
	f.BoolVar(&a.detailedExit, "detailed-exitcode", false, "with --dry-run, exit 0 when nothing would change, 2 when something would, 1 on error")
	f.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	f.BoolVar(&a.prune, "prune", false, "uninstall the releases recorded with this fleet's name that are no longer in it")
	f.StringVar(&a.fleetName, "fleet", "", "the fleet's name, recorded as label lade.dev/fleet on every release (default: the base name of -f PATH)")
	f.BoolVar(&a.showSecrets, "show-secrets", false, "with --diff, print Secret values instead of masking them")
	f.BoolVar(&a.kubeValues, "kube-values", false, "read the ConfigMaps and Secrets named by spec.valuesFrom from the cluster")
	a.reg.add(f)
	a.reg.addRepo(f)
}

func (a *applyFlags) check() (labels.Selector, error) {
	if a.file == "" {
		return nil, errors.New("a fleet is required: -f PATH (a file, a directory, or a kustomization directory)")
	}
	if a.output != "table" && a.output != "json" {
		return nil, fmt.Errorf("invalid output %q: allowed values are table, json", a.output)
	}
	if a.detailedExit && !a.dryRun {
		return nil, errors.New("--detailed-exitcode needs --dry-run")
	}
	if a.concurrency < 1 {
		return nil, fmt.Errorf("--concurrency %d: must be at least 1", a.concurrency)
	}
	if a.selector == "" {
		return nil, nil
	}
	if a.prune {
		return nil, errors.New("--prune cannot be used with -l/--selector: releases outside the selection would look as if they had left the fleet")
	}
	sel, err := labels.Parse(a.selector)
	if err != nil {
		return nil, fmt.Errorf("invalid selector %q: %w", a.selector, err)
	}
	return sel, nil
}

// run loads the fleet, plans it, prints the plan and, unless --dry-run,
// applies it and prints the summary.
func (a *applyFlags) run(cmd *cobra.Command) error {
	sel, err := a.check()
	if err != nil {
		return err
	}
	if err := a.kf.g.env.CheckDriver(); err != nil {
		return err
	}
	kc, err := a.kf.flags.Client("")
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	f, err := load.Load(ctx, a.file, load.Options{Namespace: a.kf.namespace(), Selector: sel, Installed: installed(kc)})
	if err != nil {
		return err
	}
	eng := &fleet.Engine{
		Kube: kc, Fleet: a.fleetName, Prune: a.prune, Concurrency: a.concurrency,
		Diff: diff.Options{ShowSecrets: a.showSecrets, NoFields: true}, Warn: cmd.ErrOrStderr(),
	}
	if eng.Fleet == "" {
		eng.Fleet = f.Name
	}
	nodes, members := fleet.FromLoad(f, fleet.Sources{Chart: a.chartLoader(cmd), Kube: kc, KubeValues: a.kubeValues})
	eng.Members = members
	prog := fleet.NewProgress(cmd.ErrOrStderr())
	defer prog.Close()
	eng.Observe = prog.Observe
	p, err := eng.Plan(ctx, nodes)
	if err != nil {
		return err
	}
	prog.Close()
	if err := a.printPlan(cmd.OutOrStdout(), p); err != nil {
		return err
	}
	if a.dryRun {
		return a.planExit(p)
	}
	if !p.HasChanges() && len(p.Errors()) == 0 {
		if a.output == "table" {
			fmt.Fprintln(cmd.OutOrStdout(), "Nothing to apply: every release is up to date.")
		}
		return nil
	}
	prog = fleet.NewProgress(cmd.ErrOrStderr())
	defer prog.Close()
	eng.Observe = prog.Observe
	aerr := eng.Apply(ctx, p)
	prog.Close()
	return a.printSummary(cmd.OutOrStdout(), p, aerr)
}

// installed says whether a release is installed (for dependencies outside
// the selected releases).
func installed(kc *kube.Client) func(context.Context, load.Key) (bool, error) {
	return func(ctx context.Context, k load.Key) (bool, error) {
		sums, err := release.NewStorage(kc.Clientset, kc.Metadata, k.Namespace).Summaries(ctx, k.Name)
		if err != nil {
			return false, err
		}
		return len(sums) > 0 && sums[len(sums)-1].Status != release.StatusUninstalled, nil
	}
}

func (a *applyFlags) printPlan(w io.Writer, p *fleet.Plan) error {
	if a.output == "json" {
		if a.dryRun {
			return fleet.WriteJSON(w, p)
		}
		return nil // printed with the outcome
	}
	if a.showDiff {
		if err := fleet.WriteDiffs(w, p, diff.TextOptions{Context: 3, Color: useColor("auto", w)}); err != nil {
			return err
		}
		if p.HasChanges() {
			fmt.Fprintln(w)
		}
	}
	return fleet.WritePlan(w, p)
}

// planExit is the outcome of --dry-run: an error when a release could not
// be planned, exit status 2 for changes with --detailed-exitcode.
func (a *applyFlags) planExit(p *fleet.Plan) error {
	if n := len(p.Errors()); n > 0 {
		return fmt.Errorf("%d release(s) could not be planned", n)
	}
	if a.detailedExit && p.HasChanges() {
		return exitCode(2)
	}
	return nil
}

func (a *applyFlags) printSummary(w io.Writer, p *fleet.Plan, aerr error) error {
	var err error
	if a.output == "json" {
		err = fleet.WriteJSON(w, p)
	} else {
		fmt.Fprintln(w)
		err = fleet.WriteSummary(w, p)
	}
	if aerr != nil {
		return aerr
	}
	return err
}
