package controller

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

// Metrics are the controller's Prometheus metrics, beside those
// controller-runtime exports (workqueue, client, controller_runtime_*).
type Metrics struct {
	duration *prometheus.HistogramVec
	results  *prometheus.CounterVec
	ops      *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg; releases lists the cached
// Release objects for lade_releases (counted at scrape time).
func NewMetrics(reg prometheus.Registerer, releases client.Reader) *Metrics {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lade_reconcile_duration_seconds",
			Help:    "Time one reconcile of a Release took, by result (success, error).",
			Buckets: []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"result"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lade_reconcile_results_total",
			Help: "Reconciles of Releases by reason (Unchanged, InstallSucceeded, UpgradeFailed, DriftCorrected...).",
		}, []string{"reason"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lade_release_operations_total",
			Help: "Operations of the release library by kind: chart (resolve), plan (render), upgrade (install or upgrade), drift (server-side dry-run), uninstall.",
		}, []string{"operation"}),
	}
	reg.MustRegister(m.duration, m.results, m.ops, &releasesCollector{reader: releases})
	return m
}

// count counts one operation; m may be nil.
func (m *Metrics) count(op string) {
	if m != nil {
		m.ops.WithLabelValues(op).Inc()
	}
}

func (m *Metrics) observe(start time.Time, reason string, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.duration.WithLabelValues(result).Observe(time.Since(start).Seconds())
	if reason != "" {
		m.results.WithLabelValues(reason).Inc()
	}
}

var releasesDesc = prometheus.NewDesc("lade_releases",
	"Releases watched by this replica, by condition type and status (True, False, Unknown).",
	[]string{"condition", "status"}, nil)

// releasesCollector counts the Releases of the cache by condition when scraped.
type releasesCollector struct{ reader client.Reader }

func (c *releasesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- releasesDesc }

func (c *releasesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list v1alpha1.ReleaseList
	if err := c.reader.List(ctx, &list); err != nil {
		return
	}
	counts := map[[2]string]int{}
	for _, typ := range []string{"Ready", "Reconciling", "Stalled"} {
		for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
			counts[[2]string{typ, string(s)}] = 0
		}
	}
	for i := range list.Items {
		for _, cond := range list.Items[i].Status.Conditions {
			counts[[2]string{cond.Type, string(cond.Status)}]++
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(releasesDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
