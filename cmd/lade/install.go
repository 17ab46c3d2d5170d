package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/cmd/lade/internal/precompile"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/release"
)

// installFlags are shared by install and upgrade.
type installFlags struct {
	names                nameFlags
	values               valueFlags
	common               commonFlags
	reg                  registryFlags
	out                  outputFlag
	createNamespace      bool
	skipCRDs             bool
	crds                 string
	skipSchemaValidation bool
	subNotes             bool
	enableDNS            bool
	chartVersion         string
	devel                bool
	labels               []string
	ov                   overlayFlags
	compat               compatFlags
	hideNotes            bool
	hideSecret           bool
	replace              bool
	limits               limitFlags
}

func (i *installFlags) add(f *pflag.FlagSet) {
	i.values.add(f)
	i.common.add(f, true)
	i.reg.add(f)
	i.reg.addRepo(f)
	i.reg.addDependencyUpdate(f)
	i.reg.addVerify(f)
	i.out.add(f)
	i.ov.add(f)
	i.compat.add(f, true)
	f.BoolVar(&i.createNamespace, "create-namespace", false, "create the release namespace if not present")
	f.BoolVar(&i.skipCRDs, "skip-crds", false, "if set, no CRDs will be installed (same as --crds skip)")
	f.StringVar(&i.crds, "crds", string(release.CRDsCreate), "what to do with the chart's crds/: skip; create (on install, those not present; never changed: Helm's behaviour); create-replace (also apply changed ones on install and upgrade, after the compatibility check, before the rest of the release)")
	f.BoolVar(&i.skipSchemaValidation, "skip-schema-validation", false, "disable JSON schema validation of values")
	f.BoolVar(&i.subNotes, "render-subchart-notes", false, "if set, render subchart notes along with the parent")
	f.BoolVar(&i.enableDNS, "enable-dns", false, "enable DNS lookups when rendering templates")
	f.StringVar(&i.chartVersion, "version", "", "specify a version constraint for the chart version to use (for registry charts)")
	addDevelFlag(f, &i.devel)
	f.StringSliceVarP(&i.labels, "labels", "l", nil, "labels added to the release record (key=value, comma-separated)")
	i.limits.add(f)
}

// addPrinting registers the flags that only change what install and
// upgrade print (not lade diff upgrade, which shares the other flags).
func (i *installFlags) addPrinting(f *pflag.FlagSet) {
	f.BoolVar(&i.hideNotes, "hide-notes", false, "if set, do not show notes in the output. Does not affect presence in the release record")
	f.BoolVar(&i.hideSecret, "hide-secret", false, "hide Kubernetes Secrets when also using the --dry-run flag")
}

// options loads the chart and values into install options.
func (i *installFlags) options(cmd *cobra.Command, name, ref string) (release.InstallOptions, error) {
	if err := i.compat.check(); err != nil {
		return release.InstallOptions{}, err
	}
	co, err := i.common.options()
	if err != nil {
		return release.InstallOptions{}, err
	}
	if err := i.out.check(); err != nil {
		return release.InstallOptions{}, err
	}
	vals, err := i.values.merge()
	if err != nil {
		return release.InstallOptions{}, err
	}
	lbs, err := parseLabels(i.labels)
	if err != nil {
		return release.InstallOptions{}, err
	}
	policy, err := release.ParseCRDPolicy(i.crds)
	if err != nil {
		return release.InstallOptions{}, err
	}
	ch, err := i.ov.loadChart(cmd, ref, develVersion(i.chartVersion, i.devel), &i.reg)
	if err != nil {
		return release.InstallOptions{}, err
	}
	o := release.InstallOptions{
		CommonOptions: co, Name: name, Chart: ch, Values: vals, CreateNamespace: i.createNamespace,
		SkipCRDs: i.skipCRDs, CRDs: policy, SkipSchemaValidation: i.skipSchemaValidation, Schemas: &precompile.Schemas, SubNotes: i.subNotes,
		EnableDNS: i.enableDNS, Labels: lbs, Overlay: i.ov.record, Replace: i.replace, HideSecret: i.hideSecret,
		Limits: i.limits.l, ChartAnnotations: i.reg.verification(),
	}
	if co.DryRun == release.DryRunClient {
		o.Capabilities = common.DefaultCapabilities(nil)
	}
	return o, nil
}

func (i *installFlags) print(cmd *cobra.Command, r *release.Release) error {
	w := cmd.OutOrStdout()
	if done, err := i.out.encode(w, r); done {
		return err
	}
	debug := cmd.Flag("debug") != nil && cmd.Flag("debug").Value.String() == "true"
	return printStatus(w, r, debug, false, !i.hideNotes)
}

func newInstallCmd(g *globalFlags) *cobra.Command {
	var inf installFlags
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "install [NAME] CHART",
		Short: "install a chart as a release",
		Long: `Install a chart (a directory, a .tgz or an oci:// reference) as a new release,
applying its objects with server-side apply (field manager "lade") and
recording the release in Helm's Secret format.

The render stops at its limits (docs/limits.md); raise them for a trusted
chart that needs more:

    $ lade install web ./big --max-render-bytes 256Mi --render-timeout 5m`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, ref, err := inf.names.resolve(args, "")
			if err != nil {
				return err
			}
			o, err := inf.options(cmd, name, ref)
			if err != nil {
				return err
			}
			defer inf.ov.raiseGC()()
			ns := kf.namespace()
			var cfg *release.Config
			if o.DryRun == release.DryRunClient {
				cfg = &release.Config{Namespace: ns}
			} else if cfg, err = kf.config(ns, progress()); err != nil {
				return err
			}
			r, err := cfg.Install(cmd.Context(), o)
			if err != nil {
				return err
			}
			return inf.print(cmd, r)
		},
	}
	f := cmd.Flags()
	inf.names.add(f)
	inf.add(f)
	inf.addPrinting(f)
	f.BoolVar(&inf.replace, "replace", false, "reuse the given name, only if that name is a deleted release which remains in the history (or a failed one). This is unsafe in production")
	kf = newKubeFlags(g, f)
	return cmd
}
