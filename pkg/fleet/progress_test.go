package fleet

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Without a terminal every change is one line; final states say how long
// the release took.
func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := Key{Namespace: "shop", Name: "web"}
	p.Observe(Event{Key: k, State: StateWaiting, Detail: "for shop/db", Since: t0, At: t0})
	p.Observe(Event{Key: k, State: StateApplying, Detail: "upgrade", Since: t0, At: t0.Add(time.Second)})
	p.Observe(Event{Key: k, State: StateFailed, Detail: "timed out\n  Deployment shop/web: InProgress", Since: t0, At: t0.Add(2500 * time.Millisecond)})
	p.Close()
	want := "shop/web: waiting (for shop/db)\nshop/web: applying (upgrade)\nshop/web: failed after 2.5s (timed out ...)\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// On a terminal one line per release, with its elapsed time; when the
// releases do not fit, those still in progress are shown first.
func TestProgressFrame(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Progress{rows: map[Key]Event{}, now: func() time.Time { return t0.Add(7 * time.Second) }}
	add := func(name string, st State, at time.Duration, detail string) {
		k := Key{Namespace: "ns", Name: name}
		p.keys = append(p.keys, k)
		p.rows[k] = Event{Key: k, State: st, Since: t0, At: t0.Add(at), Detail: detail}
	}
	add("db", StateReady, 3*time.Second, "install, revision 1")
	add("api", StateApplying, time.Second, "upgrade")
	add("web", StateWaiting, 0, "for ns/api")
	add("cache", StateReady, 2*time.Second, "unchanged (revision 4)")
	got := strings.Join(p.frame(10, 80), "\n")
	want := strings.Join([]string{
		"ns/db     ready        3s  install, revision 1",
		"ns/api    applying     7s  upgrade",
		"ns/web    waiting      7s  for ns/api",
		"ns/cache  ready        2s  unchanged (revision 4)",
	}, "\n")
	if got != want {
		t.Errorf("frame:\n%s\nwant:\n%s", got, want)
	}
	got = strings.Join(p.frame(3, 30), "\n")
	want = strings.Join([]string{
		"ns/api   applying     7s  u...",
		"ns/web   waiting      7s  f...",
		"... and 2 more",
	}, "\n")
	if got != want {
		t.Errorf("small frame:\n%s\nwant:\n%s", got, want)
	}
}
