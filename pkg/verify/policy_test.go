package verify

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePolicy(t *testing.T) {
	p, err := Parse([]byte(`apiVersion: lade.dev/v1alpha1
kind: VerificationPolicy
rules:
- source: oci://ghcr.io/acme/charts/*
  mode: enforce
  cosign: {keys: [keys/acme.pub, /abs/other.pub]}
- source: https://charts.acme.example/**
  mode: warn
  provenance: {keyring: acme.gpg}
- source: "**"
  mode: off
`), "/etc/lade")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rules[0].Cosign.Keys; got[0] != filepath.Join("/etc/lade", "keys/acme.pub") || got[1] != "/abs/other.pub" {
		t.Errorf("keys resolved to %v", got)
	}
	for source, want := range map[string]int{
		"oci://ghcr.io/acme/charts/web":              0,
		"oci://ghcr.io/acme/charts/team/web":         0, // * crosses slashes
		"https://charts.acme.example/web-1.0.0.tgz":  1,
		"file:///home/me/web-1.0.0.tgz":              2,
		"oci://ghcr.io/acme/chartsX/web":             2,
		"https://charts.acme.example.evil/web-1.tgz": 2,
	} {
		r := p.Match(source)
		if r == nil || r.index != want {
			t.Errorf("%s matched %+v, want rule %d", source, r, want)
		}
	}
	d, err := p.Check(Chart{Source: "file:///x"})
	if err != nil || d.Annotations() != nil {
		t.Errorf("mode off: %v %v", err, d.Annotations())
	}
	_, err = p.Check(Chart{Source: "oci://ghcr.io/acme/charts/web", Digest: "sha256:00"})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "rule 1 (source \"oci://ghcr.io/acme/charts/*\", mode enforce)): cosign: not an OCI chart") {
		t.Errorf("enforce without signatures: %v", err)
	}
	d, err = p.Check(Chart{Source: "https://charts.acme.example/web-1.0.0.tgz", Digest: "sha256:00"})
	if err != nil || d.Verified() || !strings.HasPrefix(d.Annotations()[AnnotationVerification], "unverified (warn): provenance: unpacked charts cannot be verified") ||
		!strings.Contains(d.Warning(), "rule 2 (source \"https://charts.acme.example/**\", mode warn)") {
		t.Errorf("warn: %v %v %q", err, d.Annotations(), d.Warning())
	}
}

func TestParsePolicyErrors(t *testing.T) {
	head := "apiVersion: lade.dev/v1alpha1\nkind: VerificationPolicy\n"
	for body, want := range map[string]string{
		"apiVersion: v1\nkind: VerificationPolicy\n":                       "want apiVersion lade.dev/v1alpha1",
		head + "rules:\n- source: a\n  mode: enforced\n":                   `rules[0]: mode "enforced" is not enforce, warn or off`,
		head + "rules:\n- source: a\n":                                     "rules[0]: mode is missing",
		head + "rules:\n- mode: off\n":                                     "rules[0]: source is empty",
		head + "rules:\n- source: a\n  mode: enforce\n":                    "rules[0]: mode enforce needs cosign keys or a provenance keyring",
		head + "rules:\n- source: a\n  mode: warn\n  cosign: {keys: []}\n": "rules[0]: cosign.keys is empty",
		head + "rules:\n- source: '[a'\n  mode: off\n":                     "rules[0]: source \"[a\"",
		head + "rules:\n- source: a\n  mode: off\n  keyring: x\n":          "line 6: field keyring not found",
	} {
		_, err := Parse([]byte(body), "")
		if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
