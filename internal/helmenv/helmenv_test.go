package helmenv

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func unsetAll(t *testing.T) {
	for _, n := range Names {
		for _, v := range []string{"HELM_" + n, "LADE_" + n} {
			t.Setenv(v, "")
			os.Unsetenv(v)
		}
	}
}

// LADE_X wins over HELM_X when set and not empty.
func TestLookupPrecedence(t *testing.T) {
	unsetAll(t)
	if v, from := Lookup(Namespace); v != "" || from != "" {
		t.Fatalf("unset: %q from %q", v, from)
	}
	t.Setenv("HELM_NAMESPACE", "h")
	if v, from := Lookup(Namespace); v != "h" || from != "HELM_NAMESPACE" {
		t.Fatalf("HELM_ only: %q from %q", v, from)
	}
	t.Setenv("LADE_NAMESPACE", "")
	if v, _ := Lookup(Namespace); v != "h" {
		t.Fatalf("empty LADE_ must not win: %q", v)
	}
	t.Setenv("LADE_NAMESPACE", "l")
	if v, from := Lookup(Namespace); v != "l" || from != "LADE_NAMESPACE" {
		t.Fatalf("LADE_ over HELM_: %q from %q", v, from)
	}
	t.Setenv("LADE_MAX_HISTORY", "x")
	t.Setenv("HELM_MAX_HISTORY", "4")
	if n := IntOr(MaxHistory, 10); n != 10 {
		t.Fatalf("IntOr of an unparsable LADE_MAX_HISTORY: %d, want the default (as Helm ignores such values)", n)
	}
}

func TestCheckDriver(t *testing.T) {
	unsetAll(t)
	for _, ok := range []string{"", "secret", "secrets", "SECRET"} {
		t.Setenv("HELM_DRIVER", ok)
		if err := Load().CheckDriver(); err != nil {
			t.Errorf("HELM_DRIVER=%q: %v", ok, err)
		}
	}
	for d, want := range map[string]string{
		"configmap": "HELM_DRIVER=configmap: unsupported release storage driver: lade stores releases only as Secrets",
		"memory":    "HELM_DRIVER=memory: unsupported",
		"sql":       "HELM_DRIVER=sql: unsupported",
		"etcd":      `unknown driver "etcd"`,
	} {
		t.Setenv("HELM_DRIVER", d)
		err := Load().CheckDriver()
		if !errors.Is(err, ErrUnsupportedDriver) || !strings.Contains(err.Error(), want) {
			t.Errorf("HELM_DRIVER=%s: %v, want %q", d, err, want)
		}
	}
	t.Setenv("LADE_DRIVER", "secret")
	if err := Load().CheckDriver(); err != nil {
		t.Errorf("LADE_DRIVER=secret over HELM_DRIVER=etcd: %v", err)
	}
}
