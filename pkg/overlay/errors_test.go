package overlay_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/overlay"
)

// TestInvalidDocumentNamed: a rendered document that is not valid YAML (or
// not an object) fails the build with an error naming its template, not
// lade's in-memory file name, in one run and in the sharded build.
func TestInvalidDocumentNamed(t *testing.T) {
	ok := doc("c/templates/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
	for _, bad := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: 'unterminated\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n bad: indent\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  tab: |2\n  \tx\n",
		"- a\n- b\n",
	} {
		for _, more := range []int{0, 70} {
			base := []overlay.Doc{ok, doc("c/templates/bad.yaml", bad)}
			for i := range more {
				base = append(base, doc("c/templates/more.yaml", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more-%d\n", i)))
			}
			for _, name := range []string{"namespace", "smp"} {
				_, err := load(t, name).Build(base, "")
				if err == nil {
					t.Fatalf("%q with %s: no error", bad, name)
				}
				if msg := err.Error(); !strings.Contains(msg, "rendered c/templates/bad.yaml") || strings.Contains(msg, "doc-") {
					t.Errorf("%q with %s: error does not name the template: %v", bad, name, err)
				}
			}
		}
	}
}
