package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without -n, the namespace is the kubeconfig context's, as with Helm and kubectl.
func TestTemplateNamespaceFromKubeconfig(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: x, namespace: team-a}
clusters:
- name: x
  cluster: {server: "https://127.0.0.1:1"}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join("..", "..", "testdata", "charts", "golden", "objects")
	for _, tc := range []struct {
		kubeconfig string
		args       []string
		want       string
	}{
		{kc, []string{"template", "rel", chart}, `releaseNamespace: "team-a"`},
		{kc, []string{"template", "rel", chart, "-n", "flag-ns"}, `releaseNamespace: "flag-ns"`},
		{"/dev/null", []string{"template", "rel", chart}, `releaseNamespace: "default"`},
	} {
		t.Setenv("KUBECONFIG", tc.kubeconfig)
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v with KUBECONFIG=%s: %q not in output", tc.args, tc.kubeconfig, tc.want)
		}
	}
}
