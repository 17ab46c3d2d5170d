package scaffold

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scaffold file whose place holds a directory fails the create before
// anything is written (Helm writes the files before it and then fails).
func TestCreateChecksBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "mychart", "templates", "deployment.yaml")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Create("mychart", dir, io.Discard)
	if err == nil || !strings.Contains(err.Error(), blocker+" already exists and is not a regular file") {
		t.Fatalf("Create: %v", err)
	}
	for _, f := range []string{"Chart.yaml", "values.yaml", "templates/ingress.yaml", "charts"} {
		if _, err := os.Stat(filepath.Join(dir, "mychart", f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was written (%v)", f, err)
		}
	}
}

func TestStarterPath(t *testing.T) {
	starters := filepath.Join(string(filepath.Separator)+"data", "starters")
	for _, tc := range []struct {
		starter, want string
		outside       bool
	}{
		{"web", filepath.Join(starters, "web"), false},
		{"team/web", filepath.Join(starters, "team", "web"), false},
		{"a/../web", filepath.Join(starters, "web"), false},
		{string(filepath.Separator) + filepath.Join("srv", "web"), string(filepath.Separator) + filepath.Join("srv", "web"), false},
		{"../web", "", true},
		{"..", "", true},
		{".", "", true},
		{"a/../../web", "", true},
	} {
		got, err := StarterPath(tc.starter, starters)
		if tc.outside != errors.Is(err, ErrStarterOutside) || got != tc.want {
			t.Errorf("StarterPath(%q) = %q, %v; want %q (outside: %v)", tc.starter, got, err, tc.want, tc.outside)
		}
	}
}
