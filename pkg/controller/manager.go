package controller

import (
	"context"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

// Options configure the controller process.
type Options struct {
	// Concurrent is how many Releases are reconciled at once (default 4).
	Concurrent int
	// WatchLabelSelector limits the Releases this replica watches (its
	// shard); "" watches all.
	WatchLabelSelector string
	// Namespace limits the watch to one namespace; "" watches all.
	Namespace string
	// MetricsBindAddress serves /metrics ("0" disables it).
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz ("0" disables them).
	HealthProbeBindAddress string
	// LeaderElection makes replicas of the same shard elect one leader
	// through a Lease named LeaderElectionID in LeaderElectionNamespace.
	LeaderElection          bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration
	// RequireServiceAccount refuses Releases without spec.serviceAccountName.
	RequireServiceAccount bool
	// QPS and Burst limit the requests of the process's clients (the
	// manager's and each release client's); 0 keeps controller-runtime's
	// 20 and 30.
	QPS   float32
	Burst int
	// RetryBase and RetryMax bound the exponential back-off of failed reconciles.
	RetryBase, RetryMax time.Duration
	Source              Source
}

// retry is the back-off of the controller's queue, set by Run.
var retry = struct{ base, max time.Duration }{time.Second, 5 * time.Minute}

func controllerOptions(concurrent int) controller.Options {
	if concurrent <= 0 {
		concurrent = 4
	}
	return controller.Options{
		MaxConcurrentReconciles: concurrent,
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](retry.base, retry.max),
	}
}

// Scheme is the scheme of the controller's client: Kubernetes' built-in
// types and lade.dev/v1alpha1.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Run starts the manager and blocks until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	cfg = rest.CopyConfig(cfg)
	if o.QPS > 0 {
		cfg.QPS = o.QPS
	}
	if o.Burst > 0 {
		cfg.Burst = o.Burst
	}
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	if o.RetryBase > 0 {
		retry.base = o.RetryBase
	}
	if o.RetryMax > 0 {
		retry.max = o.RetryMax
	}
	byObject := cache.ByObject{}
	if o.WatchLabelSelector != "" {
		sel, err := labels.Parse(o.WatchLabelSelector)
		if err != nil {
			return fmt.Errorf("--watch-label-selector %q: %w", o.WatchLabelSelector, err)
		}
		byObject.Label = sel
	}
	watched := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{WatchLabel: "true"})}
	copts := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&v1alpha1.Release{}: byObject,
		// Metadata of labelled values sources only (see WatchLabel).
		&corev1.ConfigMap{}: watched,
		&corev1.Secret{}:    watched,
	}}
	if o.Namespace != "" {
		copts.DefaultNamespaces = map[string]cache.Config{o.Namespace: {}}
	}
	id := o.LeaderElectionID
	if id == "" {
		id = "lade-controller.lade.dev"
	}
	mopts := ctrl.Options{
		Scheme:                  scheme,
		Cache:                   copts,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsBindAddress},
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        id,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// The leader steps down on SIGTERM, so the next one starts at once.
		LeaderElectionReleaseOnCancel: true,
		// ConfigMaps and Secrets are read per Release, never cached
		// cluster-wide: the cache holds Release objects only.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}}}},
	}
	if o.LeaseDuration > 0 {
		mopts.LeaseDuration = &o.LeaseDuration
	}
	if o.RenewDeadline > 0 {
		mopts.RenewDeadline = &o.RenewDeadline
	}
	if o.RetryPeriod > 0 {
		mopts.RetryPeriod = &o.RetryPeriod
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return fmt.Errorf("controller manager: %w", err)
	}
	r := &Reconciler{
		Client:                mgr.GetClient(),
		APIReader:             mgr.GetAPIReader(),
		RESTConfig:            cfg,
		Source:                o.Source,
		Recorder:              mgr.GetEventRecorder("lade-controller"),
		RequireServiceAccount: o.RequireServiceAccount,
		Metrics:               NewMetrics(metrics.Registry, mgr.GetCache()),
	}
	if err := r.SetupWithManager(mgr, o.Concurrent); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	// Ready once the Release cache has synced.
	if err := mgr.AddReadyzCheck("cache", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return fmt.Errorf("release cache not synced")
		}
		return nil
	}); err != nil {
		return err
	}
	return mgr.Start(ctx)
}
