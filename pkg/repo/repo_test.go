package repo

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDefaultPaths(t *testing.T) {
	t.Setenv("HELM_REPOSITORY_CONFIG", "")
	t.Setenv("HELM_REPOSITORY_CACHE", "")
	os.Unsetenv("HELM_REPOSITORY_CONFIG")
	os.Unsetenv("HELM_REPOSITORY_CACHE")
	t.Setenv("HELM_CONFIG_HOME", "/hc")
	t.Setenv("HELM_CACHE_HOME", "/hk")
	if p := DefaultPaths(); p.Config != "/hc/repositories.yaml" || p.Cache != "/hk/repository" {
		t.Errorf("HELM_*_HOME: %+v", p)
	}
	t.Setenv("HELM_REPOSITORY_CONFIG", "/r.yaml")
	t.Setenv("HELM_REPOSITORY_CACHE", "/rc")
	p := DefaultPaths()
	if p.Config != "/r.yaml" || p.Cache != "/rc" {
		t.Errorf("HELM_REPOSITORY_*: %+v", p)
	}
	if p.IndexFile("b") != "/rc/b-index.yaml" || p.ChartsFile("b") != "/rc/b-charts.txt" {
		t.Errorf("cache file names: %s %s", p.IndexFile("b"), p.ChartsFile("b"))
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"bitnami", "my-repo", "a.b", "x_1"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "../x", "x..y", "a\nb"} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: %v, want ErrInvalidName", bad, err)
		}
	}
}

func TestResolveURL(t *testing.T) {
	for _, c := range []struct{ base, ref, want, err string }{
		{"https://h/charts", "web-1.0.0.tgz", "https://h/charts/web-1.0.0.tgz", ""},
		{"https://h/charts/", "sub/web.tgz", "https://h/charts/sub/web.tgz", ""},
		{"https://h/charts?token=x", "web.tgz", "https://h/charts/web.tgz?token=x", ""},
		{"https://h/charts", "https://cdn/web.tgz", "https://cdn/web.tgz", ""},
		{"https://h/charts", "/abs/web.tgz", "https://h/abs/web.tgz", ""},
		{"https://h/charts", "file:///etc/passwd", "", `scheme "file" is not allowed`},
		{"https://h/charts", "gopher://x/y", "", `scheme "gopher" is not allowed`},
		{"https://h/charts", "", "", "empty archive URL"},
	} {
		got, err := ResolveURL(c.base, c.ref)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s + %s: %q %v, want error %q", c.base, c.ref, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s + %s = %q %v, want %q", c.base, c.ref, got, err, c.want)
		}
	}
}

func TestLoadIndexLimits(t *testing.T) {
	idx := []byte("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a.tgz]\n")
	if _, err := LoadIndex(idx, "test", 10, nil); !errors.Is(err, ErrIndexTooLarge) {
		t.Errorf("size limit: %v", err)
	}
	if _, err := LoadIndex([]byte("  \n"), "test", 0, nil); !errors.Is(err, ErrEmptyIndex) {
		t.Errorf("empty: %v", err)
	}
	i, err := LoadIndex(idx, "test", 0, nil)
	if err != nil || len(i.Entries["a"]) != 1 || i.Entries["a"][0].APIVersion != "v1" {
		t.Errorf("valid index: %+v %v", i, err)
	}
	// Alias bombs are refused by the parser, not expanded.
	bomb := "apiVersion: v1\nentries: {}\na: &a [x,x,x,x,x,x,x,x,x]\n"
	for i, c := range "bcdefghi" {
		prev := string("abcdefgh"[i])
		bomb += string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
	}
	if _, err := LoadIndex([]byte(bomb), "test", 0, nil); err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Errorf("alias bomb: %v", err)
	}
	// JSON is accepted, as Helm.
	if _, err := LoadIndex([]byte(`{"apiVersion":"v1","entries":{}}`), "test", 0, nil); err != nil {
		t.Errorf("JSON index: %v", err)
	}
}

func TestScore(t *testing.T) {
	line := "web" + searchSep + "repo/web" + searchSep + "a description" + searchSep + "kw"
	for at, want := range map[int]int{0: 0, 3: 0, 4: 1, 13: 2, len(line) - 1: 3} {
		if got := score(line, at); got != want {
			t.Errorf("score at %d = %d, want %d", at, got, want)
		}
	}
}
