package load_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/fleet/load"
)

// BenchmarkLoad50 loads a fleet of 50 Releases in a chain of dependencies,
// the size of issue 20's benchmark fleet.
func BenchmarkLoad50(b *testing.B) {
	dir := b.TempDir()
	var s strings.Builder
	for i := range 50 {
		fmt.Fprintf(&s, "---\napiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: r%d, labels: {n: \"%d\"}}\nspec:\n  chart: {ref: oci://registry.example/charts/c%d, version: 1.0.0}\n  values: {replicas: %d, image: {tag: v1}}\n", i, i, i, i)
		if i > 0 {
			fmt.Fprintf(&s, "  dependsOn: [{name: r%d}]\n", i-1)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f, err := load.Load(context.Background(), dir, load.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Order()) != 50 {
			b.Fatalf("%d levels", len(f.Order()))
		}
	}
}
