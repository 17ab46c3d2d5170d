package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/helmenv"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// kubeFlags are the cluster-access flags of release commands.
type kubeFlags struct {
	g     *globalFlags
	flags *kube.Flags
}

// newKubeFlags adds the cluster-access flags to f, with the environment's
// settings as their defaults.
func newKubeFlags(g *globalFlags, f *pflag.FlagSet) *kubeFlags {
	k := &kubeFlags{g: g, flags: g.kubeFlags()}
	k.flags.AddFlags(f)
	g.kube[f] = k
	return k
}

// kubeFlags returns cluster-access settings from the environment (the
// flags' defaults): HELM_KUBECONTEXT, HELM_KUBEAPISERVER and the rest, or
// their LADE_ equivalents.
func (g *globalFlags) kubeFlags() *kube.Flags {
	f := kube.NewFlags()
	e, c := g.env, f.Config
	*c.Context = e.KubeContext
	*c.BearerToken = e.KubeToken
	*c.Impersonate = e.KubeAsUser
	*c.ImpersonateGroup = slices.Clone(e.KubeAsGroups)
	*c.APIServer = e.KubeAPIServer
	*c.CAFile = e.KubeCAFile
	*c.TLSServerName = e.KubeTLSServerName
	*c.Insecure = e.KubeInsecureSkipTLSVerify
	f.QPS, f.BurstLimit = e.QPS, e.BurstLimit
	return f
}

// namespace is -n, else the kubeconfig context's namespace, else default.
func (k *kubeFlags) namespace() string { return k.flags.Namespace(k.g.namespace) }

// config builds the release configuration for namespace ns.
// HELM_DRIVER (LADE_DRIVER) must name the Secret storage.
func (k *kubeFlags) config(ns string, out io.Writer) (*release.Config, error) {
	if err := k.g.env.CheckDriver(); err != nil {
		return nil, err
	}
	kc, err := k.flags.Client(ns)
	if err != nil {
		return nil, err
	}
	return &release.Config{Kube: kc, Namespace: ns, Out: out, Warn: k.g.stderr}, nil
}

// outputFlag is -o table|json|yaml.
type outputFlag struct{ format string }

func (o *outputFlag) add(f *pflag.FlagSet) {
	f.StringVarP(&o.format, "output", "o", "table", "prints the output in the specified format. Allowed values: table, json, yaml")
}

func (o *outputFlag) check() error {
	switch o.format {
	case "table", "json", "yaml":
		return nil
	}
	return fmt.Errorf("invalid format type %q: allowed values are table, json, yaml", o.format)
}

// encode writes v as JSON or YAML; it reports false for table output.
func (o *outputFlag) encode(w io.Writer, v any) (bool, error) {
	switch o.format {
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = fmt.Fprintln(w, string(b))
		return true, err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = w.Write(b)
		return true, err
	}
	return false, nil
}

// parseLabels reads --labels key=value,key=value.
func parseLabels(s []string) (map[string]string, error) {
	if len(s) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range s {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid label %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// commonFlags are the flags shared by install, upgrade and rollback.
type commonFlags struct {
	o      release.CommonOptions
	dryRun string
}

func (c *commonFlags) add(f *pflag.FlagSet, installing bool) {
	f.BoolVar(&c.o.NoHooks, "no-hooks", false, "prevent hooks from running")
	addWaitFlag(f, &c.o.Wait)
	f.BoolVar(&c.o.WaitForJobs, "wait-for-jobs", false, "with --wait, also wait until all Jobs have completed")
	f.DurationVar(&c.o.Timeout, "timeout", 5*time.Minute, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	f.BoolVar(&c.o.ForceConflicts, "force-conflicts", false, "take over fields owned by other field managers when applying")
	f.BoolVar(&c.o.Atomic, "rollback-on-failure", false, "on failure, return the release to its previous state")
	f.BoolVar(&c.o.Atomic, "atomic", false, "alias of --rollback-on-failure")
	f.IntVar(&c.o.HistoryMax, "history-max", helmenv.IntOr(helmenv.MaxHistory, helmenv.DefaultMaxHistory), "limit the maximum number of revisions saved per release. Use 0 for no limit")
	f.StringVar(&c.o.Description, "description", "", "add a custom description")
	f.BoolVar(&c.o.RecoverPending, "recover-pending", false, "mark a pending revision left by an interrupted helm command failed and proceed")
	f.BoolVar(&c.o.ForceCRDUpdate, "force-crd-update", false, "apply CustomResourceDefinition changes the compatibility check refuses (dropped stored versions, existing custom resources the new schema makes invalid...), printing what is overridden")
	f.StringVar(&c.o.FieldManager, "field-manager", "", fmt.Sprintf("server-side apply field manager to apply the release's objects as, recorded in the release (default: the release's recorded one, else %q, the helm command's, so that helm and lade upgrade and roll back the release alike)", release.DefaultFieldManager))
	if installing {
		f.BoolVar(&c.o.TakeOwnership, "take-ownership", false, "adopt existing resources not owned by this release")
		f.StringVar(&c.dryRun, "dry-run", "", "simulate the operation: client (no cluster) or server (server-side dry-run apply)")
		f.Lookup("dry-run").NoOptDefVal = "client"
	}
}

func (c *commonFlags) options() (release.CommonOptions, error) {
	switch c.dryRun {
	case "", "client", "server":
	case "none", "false":
		c.dryRun = ""
	case "true":
		c.dryRun = "client"
	default:
		return c.o, fmt.Errorf("invalid dry-run value %q: must be client, server or none", c.dryRun)
	}
	c.o.DryRun = release.DryRun(c.dryRun)
	if c.o.Atomic {
		c.o.Wait = true
	}
	return c.o, nil
}

// progress is where waiting progress goes: standard error.
func progress() io.Writer { return os.Stderr }

// compatFlags are Helm flags lade accepts so that Helm users' scripts do not
// fail with "unknown flag", refusing with an explanation what lade does not do.
type compatFlags struct {
	postRenderer             string
	postRendererArgs         []string
	serverSide               string
	disableOpenAPIValidation bool
}

// add registers --server-side (install, upgrade, rollback) and, when
// rendering, --post-renderer, --post-renderer-args and
// --disable-openapi-validation.
func (c *compatFlags) add(f *pflag.FlagSet, rendering bool) {
	f.StringVar(&c.serverSide, "server-side", "true", `object updates run in the server instead of the client: "true" or "auto" (lade always applies server-side; "false" is refused)`)
	f.Lookup("server-side").NoOptDefVal = "true"
	if !rendering {
		return
	}
	f.StringVar(&c.postRenderer, "post-renderer", "", "not supported: lade records kustomize overlays with the release instead (--overlay DIR)")
	f.StringArrayVar(&c.postRendererArgs, "post-renderer-args", nil, "not supported (see --post-renderer)")
	f.BoolVar(&c.disableOpenAPIValidation, "disable-openapi-validation", false, "accepted for Helm compatibility; lade never validates rendered templates against the OpenAPI schema itself, and unknown fields of custom resources only make the API server warn")
}

func (c *compatFlags) check() error {
	if c.postRenderer != "" || len(c.postRendererArgs) > 0 {
		return fmt.Errorf("lade does not run post-renderers (--post-renderer, --post-renderer-args): record a kustomize overlay with the release instead, --overlay DIR (upgrade reuses it, rollback restores it)")
	}
	switch strings.ToLower(c.serverSide) {
	case "true", "auto", "":
	case "false":
		return fmt.Errorf("--server-side=false is not supported: lade always applies objects with server-side apply (as field manager %q unless --field-manager says otherwise); pass --force-conflicts to take over fields another manager owns", release.DefaultFieldManager)
	default:
		return fmt.Errorf("invalid server-side value %q: must be \"true\" or \"auto\" (\"false\" is not supported)", c.serverSide)
	}
	return nil
}

// waitFlag is Helm 4's --wait WaitStrategy on a bool: --wait alone or
// --wait=watcher or legacy wait for readiness (lade has one way, kstatus),
// hookOnly waits for hooks only (the default); true and false still work,
// with Helm's deprecation warning.
type waitFlag struct{ wait *bool }

// addWaitFlag defines --wait on f for *wait.
func addWaitFlag(f *pflag.FlagSet, wait *bool) {
	f.Var(waitFlag{wait}, "wait", "wait until resources are ready (up to --timeout). Use '--wait' alone for 'watcher' strategy, or specify one of: 'watcher', 'hookOnly', 'legacy' (lade waits the same way, with kstatus, for 'watcher' and 'legacy'). Default when flag is omitted: 'hookOnly'.")
	f.Lookup("wait").NoOptDefVal = "watcher"
}

func (w waitFlag) String() string {
	if w.wait != nil && *w.wait {
		return "watcher"
	}
	return "hookOnly"
}

func (w waitFlag) Set(s string) error {
	switch s {
	case "watcher", "legacy":
		*w.wait = true
	case "hookOnly":
		*w.wait = false
	case "true":
		flagWarnings = append(flagWarnings, "--wait=true is deprecated (boolean value) and can be replaced with --wait=watcher")
		*w.wait = true
	case "false":
		flagWarnings = append(flagWarnings, "--wait=false is deprecated (boolean value) and can be replaced with --wait=hookOnly")
		*w.wait = false
	default:
		return fmt.Errorf("invalid wait input %q. Valid inputs are watcher, hookOnly, and legacy", s)
	}
	return nil
}

func (waitFlag) Type() string { return "WaitStrategy" }
