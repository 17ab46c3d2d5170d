package release_test

import (
	"testing"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/kubeapis"
)

// TestRemovedAPITableAgainstCluster checks package kubeapis against a real
// API server (the test cluster's version): no API the table says this
// release removed is served, and the replacement the table names for each
// of them is. Upgrading the test cluster re-checks the table.
func TestRemovedAPITableAgainstCluster(t *testing.T) {
	env := testenv.Shared(t)
	kc, err := kube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	sv, err := kc.Discovery.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	at, err := kubeapis.ParseVersion(sv.GitVersion)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := kc.Discovery.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			served[l.GroupVersion+" "+r.Kind] = true
		}
	}
	if !served["policy/v1 PodDisruptionBudget"] {
		t.Fatalf("discovery of the test cluster looks empty: %d kinds", len(served))
	}
	removed := 0
	for _, a := range kubeapis.All() {
		if !a.RemovedAt(at) {
			continue
		}
		removed++
		if served[a.String()] {
			t.Errorf("%s: the table says Kubernetes %s removed it; the %s test cluster serves it", a, a.Removed, sv.GitVersion)
		}
		if r := a.ReplacementAt(at); r != "" && !served[r+" "+a.Kind] && a.Kind != "Scale" && a.Kind != "DeploymentRollback" {
			// Scale and DeploymentRollback are subresources, not kinds discovery lists on their own.
			t.Errorf("%s: replacement %s %s is not served by the %s test cluster", a, r, a.Kind, sv.GitVersion)
		}
	}
	t.Logf("%d APIs removed by %s checked", removed, at)
}
