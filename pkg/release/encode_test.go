package release

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

// TestEncodeFittingLevels checks that a record is written at recordLevel
// when it fits, at Helm's BestCompression when only that fits (so the
// choice to split a record does not depend on the level), and that both
// decode to the same record.
func TestEncodeFittingLevels(t *testing.T) {
	var manifest strings.Builder
	for i := range 200 {
		fmt.Fprintf(&manifest, "---\n# Source: c/templates/cm%d.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  k: v%d\n", i, i, i*7919%1000)
	}
	r := &Release{
		Name: "r", Namespace: "ns", Version: 2, Manifest: manifest.String(),
		Chart: &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0"}},
		Info:  &Info{Status: StatusDeployed, Description: "Upgrade complete"},
	}
	fast, err := encodeBytes(r, recordLevel)
	if err != nil {
		t.Fatal(err)
	}
	best, err := encodeBytes(r, 9)
	if err != nil {
		t.Fatal(err)
	}
	fastLen, bestLen := base64.StdEncoding.EncodedLen(len(fast)), base64.StdEncoding.EncodedLen(len(best))
	if bestLen >= fastLen {
		t.Fatalf("best compression %d bytes, level %d %d: the test needs a record they tell apart", bestLen, recordLevel, fastLen)
	}
	for _, c := range []struct {
		limit int
		want  []byte
	}{{fastLen, fast}, {fastLen - 1, best}, {bestLen - 1, best}} {
		raw, payload, err := encodeFitting(r, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) != string(c.want) || payload != base64.StdEncoding.EncodeToString(c.want) {
			t.Fatalf("limit %d: got %d bytes, want %d", c.limit, len(raw), len(c.want))
		}
		got, err := Decode(payload)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("limit %d: decoded %+v, want %+v", c.limit, got, r)
		}
	}
}
