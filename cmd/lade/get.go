package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/values"
)

func newGetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get",
		Short: "download extended information of a named release",
		Args:  noArgs(),
	}
	cmd.AddCommand(
		newGetSubCmd(g, "all", "download all information for a named release", getAll, false, false),
		newGetSubCmd(g, "manifest", "download the manifest for a named release", getManifest, false, false),
		newGetSubCmd(g, "values", "download the values file for a named release", getValues, true, true),
		newGetSubCmd(g, "notes", "download the notes for a named release", getNotes, false, false),
		newGetSubCmd(g, "hooks", "download all hooks for a named release", getHooks, false, false),
		newGetSubCmd(g, "metadata", "fetch metadata for a given release", getMetadata, true, false),
		newGetOverlayCmd(g),
	)
	return cmd
}

// newGetSubCmd is `lade get USE RELEASE_NAME`: it reads the revision and
// prints it with show.
func newGetSubCmd(g *globalFlags, use, short string, show func(w io.Writer, r *release.Release, v getView, out *outputFlag) error, withOutput, withAll bool) *cobra.Command {
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
			return show(cmd.OutOrStdout(), r, getView{allValues: allValues, revision: revision}, &out)
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

func getManifest(w io.Writer, r *release.Release, _ getView, _ *outputFlag) error {
	_, err := fmt.Fprintln(w, r.Manifest)
	return err
}

func getNotes(w io.Writer, r *release.Release, _ getView, _ *outputFlag) error {
	if r.Info.Notes != "" {
		_, err := fmt.Fprintf(w, "NOTES:\n%s\n", r.Info.Notes)
		return err
	}
	return nil
}

func getHooks(w io.Writer, r *release.Release, _ getView, _ *outputFlag) error {
	writeHooks(w, r.Hooks)
	return nil
}

func getValues(w io.Writer, r *release.Release, view getView, out *outputFlag) error {
	all := view.allValues
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

func getMetadata(w io.Writer, r *release.Release, view getView, out *outputFlag) error {
	m := metadataOf(r, view.revision)
	if done, err := out.encode(w, m); done {
		return err
	}
	var deps []string
	for _, d := range m.Dependencies {
		deps = append(deps, d.Name)
	}
	sort.Strings(deps)
	fmt.Fprintf(w, "NAME: %s\nCHART: %s\nVERSION: %s\nAPP_VERSION: %s\nANNOTATIONS: %s\nLABELS: %s\nDEPENDENCIES: %s\nNAMESPACE: %s\nREVISION: %d\nSTATUS: %s\nDEPLOYED_AT: %s\nAPPLY_METHOD: %s\n",
		m.Name, m.Chart, m.Version, m.AppVersion, labels.Set(m.Annotations), labels.Set(m.Labels), strings.Join(deps, ","),
		m.Namespace, m.Revision, m.Status, m.DeployedAt, applyMethodText(m.ApplyMethod))
	return nil
}

// getAll prints what `helm get all` prints: the status with the chart,
// the values, hooks, manifest and notes.
func getAll(w io.Writer, r *release.Release, _ getView, _ *outputFlag) error {
	return printStatus(w, r, true, true, true)
}

// getRevision reads revision rev of a release, or its newest when rev is 0.
func getRevision(ctx context.Context, cfg *release.Config, name string, rev int) (*release.Release, error) {
	if rev > 0 {
		return cfg.Storage().Get(ctx, name, rev)
	}
	return cfg.Storage().Last(ctx, name)
}

// getView is what a `get` subcommand was asked for.
type getView struct {
	allValues bool // --all: computed values
	revision  int  // --revision, 0 for the newest
}

// releaseMetadata is what `helm get metadata` prints, in its order.
type releaseMetadata struct {
	Name         string              `json:"name"`
	Chart        string              `json:"chart"`
	Version      string              `json:"version"`
	AppVersion   string              `json:"appVersion"`
	Annotations  map[string]string   `json:"annotations,omitempty"`
	Labels       map[string]string   `json:"labels,omitempty"`
	Dependencies []*chart.Dependency `json:"dependencies,omitempty"`
	Namespace    string              `json:"namespace"`
	Revision     int                 `json:"revision"`
	Status       string              `json:"status"`
	DeployedAt   string              `json:"deployedAt"`
	ApplyMethod  string              `json:"applyMethod,omitempty"`
}

// metadataOf reads a revision's metadata as Helm does: the chart's
// annotations and dependencies, and the record Secret's labels (all of
// them for the newest revision, which Helm finds by a label query; the user
// labels for --revision, which it reads directly).
func metadataOf(r *release.Release, rev int) releaseMetadata {
	m := releaseMetadata{
		Name: r.Name, Namespace: r.Namespace, Revision: r.Version, Status: string(r.Info.Status),
		DeployedAt: r.Info.LastDeployed.Format(time.RFC3339), ApplyMethod: r.ApplyMethod, Labels: r.Labels,
	}
	if rev == 0 {
		m.Labels = r.SecretLabels
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		md := r.Chart.Metadata
		m.Chart, m.Version, m.AppVersion, m.Annotations, m.Dependencies = md.Name, md.Version, md.AppVersion, md.Annotations, md.Dependencies
	}
	return m
}

// applyMethodText names a record's apply method as `helm get metadata` does.
func applyMethodText(m string) string {
	switch m {
	case "":
		return "client-side apply (defaulted)"
	case "csa":
		return "client-side apply"
	case "ssa":
		return "server-side apply"
	}
	return fmt.Sprintf("unknown (%q)", m)
}

// writeYAML writes v as Helm's YAML output does (null for nothing).
func writeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
