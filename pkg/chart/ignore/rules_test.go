package ignore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // raw rules kept
		wantErr string
	}{
		{name: "comments and blanks", in: "#c\n\n   \n\t# indented comment\nfoo\nbar/*\n baz/x.txt \n", want: []string{"foo", "bar/*", "baz/x.txt"}},
		{name: "bom and crlf", in: "\xEF\xBB\xBF*.tmp\r\n.git/\r\n", want: []string{"*.tmp", ".git/"}},
		{name: "double star", in: "ok\nfoo/**/bar\n", wantErr: "line 2: double-star (**) syntax is not supported"},
		{name: "bad glob", in: "[z-\n", wantErr: `line 1: invalid rule "[z-": syntax error in pattern`},
		{name: "bad glob negated", in: "#\n![\n", wantErr: `line 2: invalid rule "![": syntax error in pattern`},
		{name: "too long line", in: strings.Repeat("a", 70000), wantErr: "line 1: bufio.Scanner: token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Len() != len(tt.want) {
				t.Fatalf("got %d rules, want %d", r.Len(), len(tt.want))
			}
			for i, p := range r.patterns {
				if p.raw != tt.want[i] {
					t.Errorf("rule %d = %q, want %q", i, p.raw, tt.want[i])
				}
			}
		})
	}
}

func TestIgnore(t *testing.T) {
	tests := []struct {
		rules string
		name  string
		dir   bool
		want  bool
	}{
		// Globs without a slash match the base name anywhere.
		{"helm.txt", "helm.txt", false, true},
		{"helm.*", "helm.txt", false, true},
		{"helm.*", "rudder.txt", false, false},
		{"*.txt", "cargo/a.txt", false, true},
		{"*.tgz", "charts/sub-1.0.0.tgz", false, true},
		{"ru[c-e]?er.txt", "rudder.txt", false, true},
		{`a\*b`, "a*b", false, true},
		{`a\*b`, "axb", false, false},
		// Globs with a slash match the whole path; * does not cross "/".
		{"cargo/*.txt", "cargo/a.txt", false, true},
		{"cargo/*.txt", "mast/a.txt", false, false},
		{"cargo/*.txt", "x/cargo/a.txt", false, false},
		{"cargo/*", "cargo/sub/a.txt", false, false},
		// The root is never ignored.
		{".*", ".", true, false},
		{".*", "./", true, false},
		{".*", "", true, false},
		{".*", ".joonix", false, true},
		{".*", "helm.txt", false, false},
		// Directory-only rules.
		{"cargo/", "cargo", true, true},
		{"cargo/", "cargo", false, false},
		{"cargo/", "cargo/", true, true},
		{"cargo/", "mast", true, false},
		{"cargo/", "x/cargo", true, true},
		// Anchored rules.
		{"/a.txt", "a.txt", false, true},
		{"/a.txt", "cargo/a.txt", false, false},
		{"/cargo/a.txt", "cargo/a.txt", false, true},
		{"/cargo/", "cargo", true, true},
		// Helm's negation: a non-match of a negated rule ignores the path.
		{"!helm.txt", "helm.txt", false, false},
		{"!helm.txt", "tiller.txt", false, true},
		{"!*.txt", "cargo", true, true},
		{"!cargo/", "mast", true, true},
		{"!cargo/", "cargo", true, false},
		{"!cargo/", "cargo", false, true},
		// First decision wins.
		{"*.txt\n!keep.txt", "keep.txt", false, true},
		{"!*.txt\nsecret.txt", "secret.txt", false, true},
		{"!*.txt\nsecret.txt", "other.txt", false, false},
		// Default rule: dotfiles directly under templates/ only.
		{DefaultRule, "templates/.dotfile", false, true},
		{DefaultRule, "templates/.", false, false},
		{DefaultRule, "templates/a/.dotfile", false, false},
		{DefaultRule, "charts/sub/templates/.dotfile", false, false},
		{DefaultRule, ".dotfile", false, false},
	}
	for _, tt := range tests {
		r, err := Parse(strings.NewReader(tt.rules))
		if err != nil {
			t.Fatalf("%q: %v", tt.rules, err)
		}
		if got := r.Ignore(tt.name, tt.dir); got != tt.want {
			t.Errorf("rules %q: Ignore(%q, dir=%v) = %v, want %v", tt.rules, tt.name, tt.dir, got, tt.want)
		}
	}
}

func TestDefaultsAndNil(t *testing.T) {
	var nilRules *Rules
	if nilRules.Ignore("x", false) || nilRules.Len() != 0 {
		t.Fatal("nil rules must ignore nothing")
	}
	r, err := Parse(strings.NewReader("*.bak\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.AddDefaults()
	if r.Len() != 2 || r.patterns[1].raw != DefaultRule {
		t.Fatalf("defaults not appended last: %+v", r.patterns)
	}
	if !r.Ignore("templates/.x", false) || !r.Ignore("a.bak", false) || r.Ignore("templates/x", false) {
		t.Fatal("unexpected decisions with defaults")
	}
	if Empty().Ignore("anything", false) {
		t.Fatal("Empty must ignore nothing")
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, HelmIgnore)
	if err := os.WriteFile(name, []byte("# rules\n*.swp\nsecret/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ParseFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Fatalf("got %d rules, want 2", r.Len())
	}
	if err := os.WriteFile(name, []byte("a/**\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile(name)
	if want := name + ": line 1: double-star (**) syntax is not supported"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if _, err := ParseFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}
