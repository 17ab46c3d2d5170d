package load_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lade-dev/lade/pkg/fleet/load"
)

// FuzzLoadFile: any file content gives a Fleet or *Error values, never a
// panic, and a Fleet's Releases are all in its levels.
func FuzzLoadFile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.y*ml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: &a {name: x}\nspec: {chart: {ref: a/b}, values: *a, dependsOn: [{name: x}]}\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "fleet.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fl, err := load.Load(context.Background(), file, load.Options{})
		if err != nil {
			var e *load.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *load.Error: %v", err)
			}
			return
		}
		n := 0
		for _, l := range fl.Order() {
			n += len(l)
		}
		if n != len(fl.Releases) || n == 0 {
			t.Fatalf("%d releases in levels, %d in Releases", n, len(fl.Releases))
		}
	})
}
