package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/internal/helmenv"
)

// globalFlags are the flags every command takes.
type globalFlags struct {
	namespace string
	debug     bool
	// env holds the settings from the environment (HELM_*, LADE_*): the
	// defaults of the flags they correspond to.
	env *helmenv.Settings
	// kube are the cluster-access flags of each command that has them, by
	// flag set (for completions).
	kube map[*pflag.FlagSet]*kubeFlags
	// stderr is the command's error stream (set before it runs), where
	// release operations print warnings.
	stderr io.Writer
}

const rootLong = `lade loads applications into clusters: it renders Helm charts exactly as
Helm v4 does, overlays them with kustomize, diffs them against the live
cluster and records releases in Helm's storage format.

Common actions:
  lade template NAME CHART         render a chart locally
  lade install NAME CHART          install a chart as a release
  lade upgrade NAME CHART          upgrade a release (-i installs it if missing)
  lade apply -f FLEET              plan and apply many releases declared in files
  lade rollback NAME [REVISION]    return a release to an earlier revision
  lade list / history / status     inspect releases
  lade lint CHART                  check a chart for mistakes and pitfalls
  lade package / push / pull       distribute charts through OCI registries
  lade show all CHART              show a chart's metadata, values and README
  lade repo add NAME URL           add a chart repository (Helm's repositories.yaml)
  lade search repo KEYWORD         search the added repositories

Charts are directories, .tgz archives, oci:// references, REPO/CHART from an
added repository, or https:// archive URLs. Cluster access follows kubectl:
--kubeconfig, --kube-context and -n/--namespace, with defaults from Helm's
HELM_* variables or their LADE_* names (lade env).
Shell completion: lade completion bash|zsh|fish|powershell.`

func newRootCmd() *cobra.Command {
	g := &globalFlags{env: helmenv.Load(), kube: map[*pflag.FlagSet]*kubeFlags{}}
	root := &cobra.Command{
		Use:           "lade",
		Short:         "Kubernetes package and configuration manager for Helm charts",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			g.stderr = cmd.ErrOrStderr()
			graceful.Store(cmd.Annotations[gracefulAnnotation] == "graceful")
			setupLogging(cmd.ErrOrStderr(), g.debug)
			for _, w := range g.env.Warnings {
				slog.Warn(w)
			}
			for _, w := range flagWarnings {
				slog.Warn(w)
			}
			flagWarnings = nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.namespace, "namespace", "n", g.env.Namespace, "namespace scope for this request")
	pf.BoolVar(&g.debug, "debug", g.env.Debug, "enable verbose output")

	root.AddCommand(
		newTemplateCmd(g),
		newLintCmd(g),
		newShowCmd(),
		newVersionCmd(),
		newPackageCmd(),
		newPushCmd(),
		newPullCmd(),
		newVerifyCmd(),
		newRegistryCmd(),
		newDependencyCmd(),
		newInstallCmd(g),
		newUpgradeCmd(g),
		newApplyCmd(g),
		newRollbackCmd(g),
		newUninstallCmd(g),
		newHistoryCmd(g),
		newStatusCmd(g),
		newListCmd(g),
		newGetCmd(g),
		newTestCmd(g),
		newDiffCmd(g),
		newEnvCmd(g),
		newCompletionCmd(),
		newCreateCmd(),
		newRepoCmd(),
		newSearchCmd(),
	)
	registerCompletions(root, g)
	for _, c := range root.Commands() {
		if gracefulCommands[c.Name()] {
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[gracefulAnnotation] = "graceful"
		}
	}
	return root
}

// ns returns the namespace a command works in: -n, else the namespace of
// the kubeconfig's current context (as Helm), else "default". Only the
// kubeconfig file is read; no cluster client is made.
func (g *globalFlags) ns() string {
	if g.namespace != "" {
		return g.namespace
	}
	return g.kubeFlags().Namespace("")
}

// flagWarnings are warnings from parsing flags, which happens before
// logging is set up: they are logged right after.
var flagWarnings []string

// setupLogging sends log records to stderr as Helm 4 does: text records
// without a timestamp ("level=WARN msg=..."), debug ones only with --debug.
func setupLogging(w io.Writer, debug bool) {
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	slog.SetDefault(slog.New(debugGate{Handler: h, debug: debug}))
}

// debugGate drops debug records unless --debug is set.
type debugGate struct {
	slog.Handler
	debug bool
}

func (d debugGate) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelDebug {
		return d.debug
	}
	return d.Handler.Enabled(ctx, l)
}
