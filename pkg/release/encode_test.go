package release

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

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

// TestDecodeHelm3Times: Helm 3 writes an unset time as "" (info.deleted of
// every live revision, a hook's last run before it ran) and lade reads it as
// the zero time; set times keep their instant; null is the zero time too.
// test/interop-helm3 proves the same against records Helm 3's code wrote.
func TestDecodeHelm3Times(t *testing.T) {
	js := `{"name":"web","version":1,"namespace":"ns",
"info":{"first_deployed":"2026-12-06T12:00:01.123456789Z","last_deployed":"2026-12-06T12:00:02+01:00","deleted":"","description":"Install complete","status":"deployed"},
"chart":{"metadata":{"name":"c","version":"1.0.0","apiVersion":"v1"},"lock":null,"templates":[],"values":null,"schema":null,"files":[]},
"config":null,"manifest":"",
"hooks":[{"name":"h","kind":"Job","path":"c/templates/h.yaml","manifest":"","events":["pre-install"],"last_run":{"started_at":"","completed_at":null,"phase":""}}]}`
	r, err := Decode(base64.StdEncoding.EncodeToString([]byte(js)))
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 12, 6, 12, 0, 1, 123456789, time.UTC)
	last := time.Date(2026, 12, 6, 11, 0, 2, 0, time.UTC)
	if !r.Info.FirstDeployed.Equal(first) || !r.Info.LastDeployed.Equal(last) || !r.Info.Deleted.IsZero() {
		t.Fatalf("info times: %v %v %v", r.Info.FirstDeployed, r.Info.LastDeployed, r.Info.Deleted)
	}
	if r.Info.Status != StatusDeployed || r.Info.Description != "Install complete" || r.ChartRef() != "c-1.0.0" {
		t.Fatalf("info: %+v, chart %s", r.Info, r.ChartRef())
	}
	if len(r.Hooks) != 1 || !r.Hooks[0].LastRun.StartedAt.IsZero() || !r.Hooks[0].LastRun.CompletedAt.IsZero() || r.Hooks[0].Name != "h" {
		t.Fatalf("hooks: %+v", r.Hooks[0])
	}
	// A bad time still fails, naming what it could not parse.
	bad := strings.Replace(js, `"deleted":""`, `"deleted":"yesterday"`, 1)
	if _, err := Decode(base64.StdEncoding.EncodeToString([]byte(bad))); err == nil || !strings.Contains(err.Error(), "yesterday") {
		t.Fatalf("bad time: %v", err)
	}
	// What lade writes back leaves unset times out, as Helm 4 does.
	p, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(p)
	if err != nil || !reflect.DeepEqual(back.Info, r.Info) {
		t.Fatalf("round trip: %v %+v", err, back.Info)
	}
}
