package kube

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

// --qps and --burst-limit reach the client's rest.Config; unset, lade's
// defaults stay; --burst-limit alone keeps lade's QPS, --qps alone lade's burst.
func TestRateLimitFlags(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		qps   float32
		burst int
	}{
		{nil, 1000, 2000},
		{[]string{"--qps", "4.5", "--burst-limit", "7"}, 4.5, 7},
		{[]string{"--burst-limit", "100"}, 1000, 100},
		{[]string{"--qps", "50"}, 50, 2000},
	} {
		f := NewFlags()
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		f.AddFlags(fs)
		if err := fs.Parse(append([]string{"--kubeconfig", kc}, tc.args...)); err != nil {
			t.Fatal(err)
		}
		c, err := f.Client("ns")
		if err != nil {
			t.Fatal(err)
		}
		if c.Config.QPS != tc.qps || c.Config.Burst != tc.burst {
			t.Fatalf("%v: QPS %v burst %d, want %v %d", tc.args, c.Config.QPS, c.Config.Burst, tc.qps, tc.burst)
		}
	}
}
