// Command lade-controller reconciles lade.dev/v1alpha1 Release objects in a
// cluster: the desired state of releases that `lade apply` also reads,
// installed, upgraded, kept free of drift and uninstalled through lade's
// release library (Helm-format release Secrets). See README "Running in a
// cluster" and pkg/controller.
//
// It is a separate binary so that the lade CLI never links
// controller-runtime.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lade-dev/lade/internal/version"
	"github.com/lade-dev/lade/pkg/controller"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
)

const usage = `lade-controller reconciles lade.dev/v1alpha1 Release objects.

Usage:
  lade-controller [flags]

Examples:
  # in a Pod (the deploy/chart chart): in-cluster config, leader election on
  lade-controller --concurrent 8

  # two shards, each with its own replicas and leader election
  lade-controller --watch-label-selector shard=a --leader-election-id shard-a
  lade-controller --watch-label-selector shard=b --leader-election-id shard-b

  # outside the cluster
  lade-controller --kubeconfig ~/.kube/config --leader-election-namespace lade-system

Flags:
`

func main() {
	var o controller.Options
	var ro registry.Options
	var showVersion bool
	repoPaths := repo.DefaultPaths()
	fs := flag.CommandLine
	fs.IntVar(&o.Concurrent, "concurrent", 4, "Releases reconciled at once")
	fs.StringVar(&o.WatchLabelSelector, "watch-label-selector", "", "reconcile only Releases matching this label selector (shard the Releases between replicas)")
	fs.StringVar(&o.Namespace, "watch-namespace", "", "reconcile only Releases of this namespace (default: all namespaces)")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint (0 disables it)")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "address of /healthz and /readyz (0 disables them)")
	fs.BoolVar(&o.LeaderElection, "leader-elect", true, "elect one active replica through a Lease")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "lade-controller.lade.dev", "name of the leader election Lease (one per shard)")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the leader election Lease (default: $POD_NAMESPACE, or the Pod's namespace in a cluster)")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long a standby waits before taking over a leader that stopped renewing")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader retries renewing before it steps down")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "how often replicas try to take or renew the Lease")
	fs.BoolVar(&o.RequireServiceAccount, "require-service-account", false, "refuse Releases without spec.serviceAccountName (every apply then runs as a tenant's ServiceAccount)")
	var qps float64
	fs.Float64Var(&qps, "kube-api-qps", 200, "requests per second to the API server (client-side limit; an install of a small chart makes about 60)")
	fs.IntVar(&o.Burst, "kube-api-burst", 400, "request burst above --kube-api-qps")
	fs.DurationVar(&o.RetryBase, "retry-base", time.Second, "first back-off after a failed reconcile (doubles each failure)")
	fs.DurationVar(&o.RetryMax, "retry-max", 5*time.Minute, "longest back-off after failed reconciles")
	fs.BoolVar(&ro.PlainHTTP, "plain-http", false, "use insecure HTTP connections to OCI registries")
	fs.StringVar(&ro.CAFile, "ca-file", "", "verify certificates of HTTPS registries and repositories using this CA bundle")
	fs.BoolVar(&ro.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip TLS certificate checks of registries")
	fs.StringVar(&ro.RegistryConfig, "registry-config", os.Getenv("LADE_REGISTRY_CONFIG"), "registry credentials (Docker's config.json format)")
	fs.StringVar(&ro.CacheDir, "cache-dir", os.Getenv("LADE_CACHE_DIR"), "content cache for pulled charts (default $XDG_CACHE_HOME/lade)")
	fs.StringVar(&repoPaths.Config, "repository-config", repoPaths.Config, "chart repositories file (repositories.yaml) for REPO/CHART references")
	fs.StringVar(&repoPaths.Cache, "repository-cache", repoPaths.Cache, "chart repository index cache")
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	zo := zap.Options{}
	zo.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	flag.Parse()
	if showVersion {
		fmt.Println(version.Version)
		return
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "lade-controller: unexpected argument %q (it takes flags only; see --help)\n", flag.Arg(0))
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("lade-controller")

	src, err := controller.NewSource(controller.SourceOptions{
		Registry: ro,
		Repo:     repo.Options{Paths: repoPaths, CacheDir: ro.CacheDir},
	})
	if err != nil {
		log.Error(err, "chart source")
		os.Exit(1)
	}
	o.Source = src
	o.QPS = float32(qps)
	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "kubernetes configuration")
		os.Exit(1)
	}
	log.Info("starting", "version", version.Version, "concurrent", o.Concurrent, "watchLabelSelector", o.WatchLabelSelector, "leaderElection", o.LeaderElection)
	if err := controller.Run(ctrl.SetupSignalHandler(), cfg, o); err != nil {
		log.Error(err, "controller stopped")
		os.Exit(1)
	}
}
