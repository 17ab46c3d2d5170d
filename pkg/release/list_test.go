package release_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/lade-dev/lade/pkg/release"
)

// TestList: List returns the newest revision of each release, filtered by
// status, name and record labels, ordered by name (or reversed) and paged;
// every superseded revision when asked for all revisions.
func TestList(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, name := range []string{"b", "a", "c", "d"} {
		o := release.InstallOptions{Name: name, Chart: loadApp(t), Labels: map[string]string{"team": "t-" + name}}
		if _, err := f.cfg.Install(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.upgrade("a", map[string]any{"x": 1}, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "d", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	list := func(o release.ListOptions) string {
		t.Helper()
		rows, err := f.cfg.List(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range rows {
			if r.Namespace != f.ns {
				t.Errorf("%s is of namespace %s, want %s", r.Name, r.Namespace, f.ns)
			}
			s = append(s, fmt.Sprintf("%s.v%d:%s", r.Name, r.Version, r.Status))
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		o    release.ListOptions
		want string
	}{
		{release.ListOptions{}, "a.v2:deployed b.v1:deployed c.v1:deployed d.v1:uninstalled"},
		{release.ListOptions{Statuses: []release.Status{release.StatusDeployed}}, "a.v2:deployed b.v1:deployed c.v1:deployed"},
		{release.ListOptions{Statuses: []release.Status{release.StatusUninstalled, release.StatusFailed}}, "d.v1:uninstalled"},
		{release.ListOptions{Statuses: []release.Status{release.StatusSuperseded}}, ""},
		{release.ListOptions{Statuses: []release.Status{release.StatusSuperseded}, AllRevisions: true}, "a.v1:superseded"},
		{release.ListOptions{Filter: regexp.MustCompile("^[ab]$")}, "a.v2:deployed b.v1:deployed"},
		{release.ListOptions{Selector: labels.SelectorFromSet(labels.Set{"team": "t-c"})}, "c.v1:deployed"},
		{release.ListOptions{Reverse: true}, "d.v1:uninstalled c.v1:deployed b.v1:deployed a.v2:deployed"},
		{release.ListOptions{Offset: 1, Max: 2}, "b.v1:deployed c.v1:deployed"},
		{release.ListOptions{Offset: 3, Max: 2}, "d.v1:uninstalled"},
		{release.ListOptions{Offset: 4}, ""},
	} {
		if got := list(tc.o); got != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.o, got, tc.want)
		}
	}
}
