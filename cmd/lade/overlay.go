package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/cmd/lade/internal/gcstart"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/render"
	"github.com/lade-dev/lade/pkg/source"
	"github.com/lade-dev/lade/pkg/verify"
)

// overlayFlags are --overlay and --overlay-hooks (template, install,
// upgrade, diff) and, on upgrade, --reset-overlay. They also turn a
// kustomization-only CHART directory into a package.
type overlayFlags struct {
	dir   string
	root  string
	hooks bool
	reset bool
	// record is what loadChart found: the overlay, or the package.
	record *release.Overlay
}

func (o *overlayFlags) add(f *pflag.FlagSet) {
	f.StringVar(&o.dir, "overlay", "", "apply the kustomization in this directory to the rendered manifests (recorded in the release)")
	f.StringVar(&o.root, "overlay-root", "", "directory the kustomization's bases (resources: [../base]) may come from (default: the git repository holding it, else the working directory)")
	f.BoolVar(&o.hooks, "overlay-hooks", true, "pass hooks through the overlay too (false keeps them as rendered)")
}

func (o *overlayFlags) addReset(f *pflag.FlagSet) {
	f.BoolVar(&o.reset, "reset-overlay", false, "drop the overlay recorded in the release instead of reusing it")
}

var valueFlagNames = []string{"values", "set", "set-string", "set-file", "set-json", "set-literal", "reuse-values", "reset-then-reuse-values"}

// loadChart loads CHART for a render (see pkg/source: a directory, an
// archive, oci://, REPO/CHART, an https:// archive, a kustomization-only
// directory) and the overlay; for a kustomization-only directory it
// returns the placeholder chart of the package and refuses value flags.
func (o *overlayFlags) loadChart(cmd *cobra.Command, ref, version string, reg *registryFlags) (*chart.Chart, error) {
	if o.reset && o.dir != "" {
		return nil, errors.New("--overlay and --reset-overlay cannot be used together")
	}
	so := reg.sourceOptions(cmd, cmd.ErrOrStderr(), version)
	so.Render, so.Packages, so.OverlayRoot = true, true, o.root
	if source.IsPackage(ref, so) {
		if err := o.checkPackage(cmd, ref, reg); err != nil {
			return nil, err
		}
	}
	s, err := source.Resolve(cmd.Context(), ref, so)
	if err != nil {
		return nil, err
	}
	if s.Kind == source.Package {
		rec, ch := release.NewPackage(s.Overlay, s.Name, version)
		rec.Dir = ref
		o.record = rec
		return ch, nil
	}
	if o.dir != "" {
		ov, err := overlay.LoadWithin(o.dir, o.root)
		if err != nil {
			return nil, err
		}
		o.record = release.NewOverlay(ov, !o.hooks)
		o.record.Dir = o.dir
	}
	return s.Chart, nil
}

// checkPackage refuses what a kustomization-only CHART cannot take: a
// signature check, value flags, an overlay; a policy rule for its path can
// only refuse or warn.
func (o *overlayFlags) checkPackage(cmd *cobra.Command, ref string, reg *registryFlags) error {
	if reg.prov.verify {
		return fmt.Errorf("--verify: %s is a kustomization: only signed chart archives can be verified", ref)
	}
	if err := reg.policy.check(cmd, verify.Chart{Source: "file://" + filepath.ToSlash(mustAbs(ref))}); err != nil {
		return err
	}
	var set []string
	for _, n := range valueFlagNames {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 0 {
		return fmt.Errorf("%s is a kustomization (kustomization.yaml and no Chart.yaml): it has no values, so %s cannot be used; change the kustomization instead", ref, strings.Join(set, ", "))
	}
	if o.dir != "" {
		return fmt.Errorf("%s is a kustomization: --overlay cannot be added to it; make the overlay's kustomization use it as a resource, or add the changes to it", ref)
	}
	return nil
}

// overlayGCPercent is the GC target of a command that builds an overlay or
// a package (unless GOGC is set or the target is higher): kustomize
// allocates about 1 KB per field of every object, almost all of it garbage
// by the end of the build, on a small live heap. Collecting at 3x the live
// heap instead of 2x saves about a sixth of the CPU of `lade template
// --overlay` on the 100-subchart umbrella for about 20 MB more (4x saved a
// fifth for 80 MB more).
const overlayGCPercent = 200

// raiseGC raises the GC target when loadChart found an overlay or a
// package, until the returned function is called. (An upgrade that reuses
// the overlay recorded in the release, with no --overlay, keeps the
// default target.)
func (o *overlayFlags) raiseGC() (restore func()) {
	if o.record == nil {
		return func() {}
	}
	return gcstart.Raise(overlayGCPercent)
}

// apply runs the overlay (or builds the package) on a render.
func (o *overlayFlags) apply(res *render.Result) (*render.Result, error) {
	if o.record == nil {
		return res, nil
	}
	return o.record.Apply(res)
}

// reusedNotice tells that an upgrade reused the recorded overlay.
func reusedNotice(w io.Writer, r *release.Release) {
	if r != nil && r.Overlay != nil && r.Overlay.ReusedFrom > 0 {
		fmt.Fprintf(w, "Reused the overlay recorded in revision %d (%d files; --overlay DIR replaces it, --reset-overlay drops it).\n", r.Overlay.ReusedFrom, len(r.Overlay.Files))
	}
}

func newGetOverlayCmd(g *globalFlags) *cobra.Command {
	var revision int
	var outputDir string
	var kf *kubeFlags
	c := &cobra.Command{
		Use:   "overlay RELEASE_NAME",
		Short: "print or extract the overlay recorded in a release",
		Long: `Print the files of the kustomize overlay (or kustomization-only package) a
revision was built with, each after a "# File: PATH" line, or write them
under --output-dir.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := kf.config(kf.namespace(), nil)
			if err != nil {
				return err
			}
			r, err := getRevision(cmd.Context(), cfg, args[0], revision)
			if err != nil {
				return err
			}
			if r.Overlay == nil && !r.WrittenByLade() {
				return fmt.Errorf("release %q revision %d has no overlay: it was written by helm, which records none (the next lade upgrade reuses the overlay of the last revision lade wrote)", r.Name, r.Version)
			}
			if r.Overlay == nil {
				return fmt.Errorf("release %q revision %d has no overlay", r.Name, r.Version)
			}
			ov := r.Overlay.Overlay()
			if outputDir != "" {
				if err := ov.WriteTo(outputDir); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %d files to %s\n", len(ov.Files), outputDir)
				return nil
			}
			w := cmd.OutOrStdout()
			for _, p := range ov.Paths() {
				data := ov.Files[p]
				fmt.Fprintf(w, "# File: %s\n%s", p, data)
				if len(data) > 0 && data[len(data)-1] != '\n' {
					fmt.Fprintln(w)
				}
			}
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&revision, "revision", 0, "get the named release with revision")
	f.StringVar(&outputDir, "output-dir", "", "write the overlay's files under this directory instead of printing them")
	kf = newKubeFlags(g, f)
	return c
}

// mustAbs is path made absolute (path itself if that fails).
func mustAbs(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
