package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/render/values"
)

func newGetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get",
		Short: "download extended information of a named release",
		Args:  noArgs(),
	}
	sub := func(use, short string, show func(w io.Writer, r *release.Release, all bool, out *outputFlag) error, withOutput, withAll bool) *cobra.Command {
		var revision int
		var allValues bool
		var out outputFlag
		var kf *kubeFlags
		c := &cobra.Command{
			Use:   use + " RELEASE_NAME",
			Short: short,
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := out.check(); err != nil {
					return err
				}
				cfg, err := kf.config(kf.namespace(), nil)
				if err != nil {
					return err
				}
				r, err := getRevision(cmd.Context(), cfg, args[0], revision)
				if err != nil {
					return err
				}
				return show(cmd.OutOrStdout(), r, allValues, &out)
			},
		}
		f := c.Flags()
		f.IntVar(&revision, "revision", 0, "get the named release with revision")
		if withOutput {
			out.add(f)
		} else {
			out.format = "table"
		}
		if withAll {
			f.BoolVarP(&allValues, "all", "a", false, "dump all (computed) values")
		}
		kf = newKubeFlags(g, f)
		return c
	}
	manifest := func(w io.Writer, r *release.Release, _ bool, _ *outputFlag) error {
		_, err := fmt.Fprintln(w, r.Manifest)
		return err
	}
	notes := func(w io.Writer, r *release.Release, _ bool, _ *outputFlag) error {
		if r.Info.Notes != "" {
			_, err := fmt.Fprintf(w, "NOTES:\n%s\n", r.Info.Notes)
			return err
		}
		return nil
	}
	hooks := func(w io.Writer, r *release.Release, _ bool, _ *outputFlag) error {
		for _, h := range r.Hooks {
			fmt.Fprintf(w, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
		return nil
	}
	vals := func(w io.Writer, r *release.Release, all bool, out *outputFlag) error {
		v := r.Config
		if all {
			var err error
			if v, err = values.CoalesceValues(r.Chart, r.Config); err != nil {
				return err
			}
		}
		if done, err := out.encode(w, v); done {
			return err
		}
		if !all {
			fmt.Fprintln(w, "USER-SUPPLIED VALUES:")
		} else {
			fmt.Fprintln(w, "COMPUTED VALUES:")
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		if len(v) == 0 {
			b = []byte("null\n")
		}
		_, err = w.Write(b)
		return err
	}
	metadata := func(w io.Writer, r *release.Release, _ bool, out *outputFlag) error {
		m := map[string]any{
			"name": r.Name, "chart": r.Chart.Name(), "version": chartVersion(r), "appVersion": r.AppVersion(),
			"namespace": r.Namespace, "revision": r.Version, "status": r.Info.Status,
			"deployedAt": r.Info.LastDeployed.Format("2006-01-02T15:04:05.999999999Z07:00"), "applyMethod": r.ApplyMethod,
		}
		if done, err := out.encode(w, m); done {
			return err
		}
		fmt.Fprintf(w, "NAME: %s\nCHART: %s\nVERSION: %s\nAPP_VERSION: %s\nNAMESPACE: %s\nREVISION: %d\nSTATUS: %s\nDEPLOYED_AT: %s\nAPPLY_METHOD: %s\n",
			r.Name, r.Chart.Name(), chartVersion(r), r.AppVersion(), r.Namespace, r.Version, r.Info.Status,
			r.Info.LastDeployed.Format("2006-01-02T15:04:05Z07:00"), r.ApplyMethod)
		return nil
	}
	all := func(w io.Writer, r *release.Release, allVals bool, out *outputFlag) error {
		printRelease(w, r, false)
		fmt.Fprintln(w)
		if err := vals(w, r, allVals, &outputFlag{format: "table"}); err != nil {
			return err
		}
		fmt.Fprintln(w, "\nHOOKS:")
		if err := hooks(w, r, false, nil); err != nil {
			return err
		}
		fmt.Fprintln(w, "MANIFEST:")
		fmt.Fprintln(w, strings.TrimSpace(r.Manifest))
		return notes(w, r, false, nil)
	}
	cmd.AddCommand(
		sub("all", "download all information for a named release", all, false, true),
		sub("manifest", "download the manifest for a named release", manifest, false, false),
		sub("values", "download the values file for a named release", vals, true, true),
		sub("notes", "download the notes for a named release", notes, false, false),
		sub("hooks", "download all hooks for a named release", hooks, false, false),
		sub("metadata", "fetch metadata for a given release", metadata, true, false),
		newGetOverlayCmd(g),
	)
	return cmd
}

func chartVersion(r *release.Release) string {
	if r.Chart == nil || r.Chart.Metadata == nil {
		return ""
	}
	return r.Chart.Metadata.Version
}

// getRevision reads revision rev of a release, or its newest when rev is 0.
func getRevision(ctx context.Context, cfg *release.Config, name string, rev int) (*release.Release, error) {
	if rev > 0 {
		return cfg.Storage().Get(ctx, name, rev)
	}
	return cfg.Storage().Last(ctx, name)
}
