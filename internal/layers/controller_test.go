package layers

import (
	"os/exec"
	"strings"
	"testing"
)

// The lade CLI must not pay for controller-runtime at start-up: only
// cmd/lade-controller (through pkg/controller) links it.
func TestCLIDoesNotLinkControllerRuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"cmd/lade").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "sigs.k8s.io/controller-runtime") || p == module+"pkg/controller" {
			t.Errorf("cmd/lade depends on %s", p)
		}
	}
	if !strings.Contains(string(out), module+"pkg/release") {
		t.Fatalf("go list -deps cmd/lade does not list pkg/release: not the CLI's dependencies?\n%.500s", out)
	}
}
