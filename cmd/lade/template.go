package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/cmd/lade/internal/precompile"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/kubeapis"
	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/render"
)

const templateLong = `Render chart templates locally and print the manifests, exactly as
'helm template' would.

Values a template would look up in a cluster are empty ('lookup' returns an
empty map) and no server-side validation is done. CHART is a chart directory,
a packaged .tgz or an oci:// reference.

With --dry-run=server the chart is rendered for the cluster of the kubeconfig
(its Kubernetes and API versions, live 'lookup' calls) and the objects are
checked there without changing anything: an object that exists outside the
release is a conflict (as for install; not with --is-upgrade), and the API
server validates every object by a server-side dry-run apply.

Use --api-versions (repeatable or comma-separated) to set the API versions
.Capabilities.APIVersions reports, and --kube-version for .Capabilities.KubeVersion:

    $ lade template web ./mychart --kube-version 1.33 --api-versions monitoring.coreos.com/v1

A render stops at its limits (docs/limits.md) with an error naming the one it
hit; raise them for a trusted chart that needs more:

    $ lade template web ./big --max-render-bytes 256Mi --max-template-depth 2000 --render-timeout 5m
`

// nameFlags are the release-name flags shared by template and install.
type nameFlags struct {
	generate     bool
	nameTemplate string
}

func (n *nameFlags) add(f *pflag.FlagSet) {
	f.BoolVarP(&n.generate, "generate-name", "g", false, "generate the name (and omit the NAME parameter)")
	f.StringVar(&n.nameTemplate, "name-template", "", "specify template used to name the release")
}

// resolve returns the release name and chart reference from [NAME] CHART.
func (n *nameFlags) resolve(args []string, fallback string) (string, string, error) {
	if len(args) > 2 {
		return "", "", fmt.Errorf("expected at most two arguments, unexpected arguments: %v", strings.Join(args[2:], ", "))
	}
	if len(args) == 2 {
		if n.generate {
			return "", "", errors.New("cannot set --generate-name and also specify a name")
		}
		if n.nameTemplate != "" {
			return "", "", errors.New("cannot set --name-template and also specify a name")
		}
		return args[0], args[1], nil
	}
	if n.nameTemplate != "" {
		name, err := release.NameFromTemplate(n.nameTemplate)
		return name, args[0], err
	}
	if fallback != "" {
		return fallback, args[0], nil
	}
	if !n.generate {
		return "", "", errors.New("must either provide a name or specify --generate-name")
	}
	return release.GenerateName(args[0]), args[0], nil
}

// renderFlags are the flags that shape a render: release, capabilities, values.
type renderFlags struct {
	names                nameFlags
	values               valueFlags
	kubeVersion          string
	apiVersions          []string
	isUpgrade            bool
	skipSchemaValidation bool
	enableDNS            bool
	subNotes             bool
	chartVersion         string
	devel                bool
	limits               limitFlags
}

func (r *renderFlags) add(f *pflag.FlagSet) {
	r.names.add(f)
	r.values.add(f)
	f.StringVar(&r.kubeVersion, "kube-version", "", "Kubernetes version used for Capabilities.KubeVersion")
	f.StringSliceVarP(&r.apiVersions, "api-versions", "a", nil, "Kubernetes api versions used for Capabilities.APIVersions (multiple can be specified)")
	f.BoolVar(&r.isUpgrade, "is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	f.BoolVar(&r.skipSchemaValidation, "skip-schema-validation", false, "disable JSON schema validation of values")
	f.BoolVar(&r.enableDNS, "enable-dns", false, "enable DNS lookups when rendering templates")
	f.BoolVar(&r.subNotes, "render-subchart-notes", false, "if set, render subchart notes along with the parent")
	f.StringVar(&r.chartVersion, "version", "", "specify a version constraint for the chart version to use (for registry charts)")
	addDevelFlag(f, &r.devel)
	r.limits.add(f)
}

// templateFlags are the flags of lade template.
type templateFlags struct {
	g                             *globalFlags
	rf                            renderFlags
	reg                           registryFlags
	to                            render.TemplateOptions
	outputDir                     string
	useReleaseName                bool
	of                            overlayFlags
	dryRun                        string
	kf                            *kubeFlags
	compat                        compatFlags
	takeOwnership, forceConflicts bool
}

func newTemplateCmd(g *globalFlags) *cobra.Command {
	t := &templateFlags{g: g}
	cmd := &cobra.Command{
		Use:   "template [NAME] CHART",
		Short: "render chart templates locally",
		Long:  templateLong,
		Args:  minArgs(1),
		RunE:  t.run,
	}
	t.add(cmd.Flags())
	return cmd
}

func (t *templateFlags) add(f *pflag.FlagSet) {
	t.rf.add(f)
	t.reg.add(f)
	t.reg.addRepo(f)
	t.reg.addDependencyUpdate(f)
	t.reg.addVerify(f)
	f.BoolVar(&t.to.IncludeCRDs, "include-crds", false, "include CRDs in the templated output")
	f.BoolVar(&t.to.SkipTests, "skip-tests", false, "skip tests from templated output")
	f.BoolVar(&t.to.NoHooks, "no-hooks", false, "prevent hooks from being printed")
	f.Bool("skip-crds", false, "if set, no CRDs will be installed (CRDs are only printed with --include-crds)")
	f.StringArrayVarP(&t.to.ShowOnly, "show-only", "s", nil, "only show manifests rendered from the given templates")
	f.StringVar(&t.outputDir, "output-dir", "", "writes the executed templates to files in output-dir instead of stdout")
	f.BoolVar(&t.useReleaseName, "release-name", false, "use release name in the output-dir path")
	t.of.add(f)
	f.StringVar(&t.dryRun, "dry-run", "client", `"client" (the default) renders without a cluster; "server" renders for the cluster (its versions, live lookups) and validates the objects there (conflicts, server-side dry-run apply), changing nothing`)
	f.Lookup("dry-run").NoOptDefVal = "unset"
	// Cluster flags, used only by --dry-run=server.
	t.kf = newKubeFlags(t.g, f)
	f.BoolVar(&t.takeOwnership, "take-ownership", false, "with --dry-run=server: objects that exist outside the release are not conflicts")
	f.BoolVar(&t.forceConflicts, "force-conflicts", false, "with --dry-run=server: the dry-run apply takes over fields other managers own")
	t.compat.add(f, true)
	// Helm's template takes every install flag; those that only matter to
	// an install are accepted and do nothing here (hidden from --help).
	for _, name := range []string{"create-namespace", "replace", "rollback-on-failure", "atomic", "wait-for-jobs", "force-replace"} {
		f.Bool(name, false, "accepted for Helm compatibility; no effect on template")
		_ = f.MarkHidden(name)
	}
	f.String("wait", "hookOnly", "accepted for Helm compatibility; no effect on template")
	f.Lookup("wait").NoOptDefVal = "watcher"
	f.Duration("timeout", 5*time.Minute, "accepted for Helm compatibility; no effect on template")
	f.String("description", "", "accepted for Helm compatibility; no effect on template")
	f.StringToStringP("labels", "l", nil, "accepted for Helm compatibility; no effect on template")
	for _, name := range []string{"wait", "timeout", "description", "labels"} {
		_ = f.MarkHidden(name)
	}
}

func (t *templateFlags) run(cmd *cobra.Command, args []string) error {
	// --server-side only matters to the dry-run apply of
	// --dry-run=server; a post-renderer is refused either way.
	if t.dryRun == "server" || t.compat.postRenderer != "" || len(t.compat.postRendererArgs) > 0 {
		if err := t.compat.check(); err != nil {
			return err
		}
	}
	switch t.dryRun {
	case "client", "none", "true", "false", "unset", "server":
	default:
		return fmt.Errorf("invalid dry-run value (%q). Must be \"none\", \"server\", or \"client\"", t.dryRun)
	}
	var kube *common.KubeVersion
	if t.rf.kubeVersion != "" {
		kv, err := common.ParseKubeVersion(t.rf.kubeVersion)
		if err != nil {
			return fmt.Errorf("invalid kube version '%s': %w", t.rf.kubeVersion, err)
		}
		kube = kv
	}
	name, ref, err := t.rf.names.resolve(args, "release-name")
	if err != nil {
		return err
	}
	if err := release.ValidateName(name); err != nil {
		err = fmt.Errorf("release name %q: %w", name, err)
		slog.Error("release name check failed", slog.Any("error", err))
		return fmt.Errorf("release name check failed: %w", err)
	}
	userVals, err := t.rf.values.merge()
	if err != nil {
		return err
	}
	ch, err := t.of.loadChart(cmd, ref, develVersion(t.rf.chartVersion, t.rf.devel), &t.reg)
	if err != nil {
		return err
	}
	defer t.of.raiseGC()()
	if t.dryRun == "server" {
		return t.serverDryRun(cmd, name, ch, userVals)
	}
	res, err := t.render(cmd, name, ch, userVals, kube)
	if err != nil {
		return err
	}
	if kube != nil {
		warnAPIs(cmd.ErrOrStderr(), res, kube)
	}
	return printTemplate(cmd, res, name, t.outputDir, t.useReleaseName, t.to)
}

// serverDryRun renders for the cluster of the kubeconfig and validates the
// objects there (--dry-run=server), changing nothing.
func (t *templateFlags) serverDryRun(cmd *cobra.Command, name string, ch *chart.Chart, userVals map[string]any) error {
	// Rendered for, and checked against, the cluster.
	ns := t.kf.namespace()
	cfg, err := t.kf.config(ns, nil)
	if err != nil {
		return err
	}
	res, err := cfg.Validate(cmd.Context(), release.InstallOptions{
		Name: name, Chart: ch, Values: userVals, SkipSchemaValidation: t.rf.skipSchemaValidation,
		Schemas: &precompile.Schemas, SubNotes: t.rf.subNotes, EnableDNS: t.rf.enableDNS, Overlay: t.of.record, Limits: t.rf.limits.l,
		CommonOptions: release.CommonOptions{TakeOwnership: t.takeOwnership, ForceConflicts: t.forceConflicts},
	}, t.rf.isUpgrade)
	if err != nil {
		return err
	}
	return printTemplate(cmd, res, name, t.outputDir, t.useReleaseName, t.to)
}

// render renders the chart without a cluster, as helm template does, and
// applies the overlay.
func (t *templateFlags) render(cmd *cobra.Command, name string, ch *chart.Chart, userVals map[string]any, kube *common.KubeVersion) (*render.Result, error) {
	opts := render.Options{
		ReleaseName:          name,
		Namespace:            t.kf.namespace(),
		IsUpgrade:            t.rf.isUpgrade,
		Capabilities:         common.DefaultCapabilities(kube, t.rf.apiVersions...),
		SkipSchemaValidation: t.rf.skipSchemaValidation,
		Schemas:              &precompile.Schemas,
		SubNotes:             t.rf.subNotes,
		Engine:               render.Engine{EnableDNS: t.rf.enableDNS, Limits: t.rf.limits.l},
	}
	res, err := render.Chart(cmd.Context(), ch, userVals, opts)
	if err != nil {
		var re *render.RenderError
		if !errors.As(err, &re) {
			return nil, err
		}
		if t.g.debug && re.Partial != nil && re.Partial.Rendered != nil {
			fmt.Fprint(cmd.OutOrStdout(), re.Partial.RawText())
			return nil, err
		}
		if errors.Is(err, render.ErrLimit) {
			return nil, err
		}
		return nil, fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
	}
	return t.of.apply(res)
}

// printTemplate prints a render as `helm template` does: to stdout, or
// under --output-dir.
func printTemplate(cmd *cobra.Command, res *render.Result, name, outputDir string, useReleaseName bool, to render.TemplateOptions) error {
	out := cmd.OutOrStdout()
	if outputDir != "" {
		dir := outputDir
		if useReleaseName {
			dir = filepath.Join(outputDir, name)
		}
		paths, err := res.WriteDir(dir, outputDir, to)
		for _, p := range paths {
			fmt.Fprintf(out, "wrote %s\n", p)
		}
		if err != nil {
			return err
		}
		// Helm then filters what it kept in memory (nothing but a
		// newline): --show-only fails, otherwise a blank line prints.
		if len(to.ShowOnly) > 0 {
			_, err := (&render.Result{}).TemplateText(render.TemplateOptions{ShowOnly: to.ShowOnly, NoHooks: true})
			return err
		}
		fmt.Fprintln(out)
		return nil
	}
	text, err := res.TemplateText(to)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(out, text)
	return err
}

// warnAPIs says on w which rendered objects use an API version that
// Kubernetes kv (--kube-version) deprecates or no longer serves
// (kubeapis). The output is unchanged: helm template renders them, and so
// does lade, since a chart may be rendered for another cluster than the
// one it names; `lade lint --kube-version` fails on removed versions.
func warnAPIs(w io.Writer, res *render.Result, kv *common.KubeVersion) {
	v, err := kubeapis.ParseVersion(kv.Major + "." + kv.Minor)
	if err != nil {
		return
	}
	check := func(path string, h *render.Head) {
		if h == nil {
			return
		}
		a, ok := kubeapis.Lookup(h.APIVersion, h.Kind)
		if !ok {
			return
		}
		obj := h.Kind
		if h.Metadata != nil && h.Metadata.Name != "" {
			obj += " " + h.Metadata.Name
		}
		switch {
		case a.RemovedAt(v):
			fmt.Fprintf(w, "warning: %s: %s: %s\n", path, obj, a.RemovedMessage(v))
		case a.DeprecatedAt(v):
			fmt.Fprintf(w, "warning: %s: %s: %s\n", path, obj, a.Message())
		}
	}
	for _, m := range res.Manifests {
		check(m.Path, m.Head)
	}
	for _, h := range res.Hooks {
		var head render.Head
		if yaml.Unmarshal([]byte(h.Manifest), &head) == nil {
			check(h.Path, &head)
		}
	}
}
