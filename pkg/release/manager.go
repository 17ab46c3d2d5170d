package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/lade-dev/lade/pkg/kube"
)

// DefaultFieldManager is the server-side apply field manager lade applies a
// release's objects as when neither --field-manager nor the release's
// record names one: "helm", the manager of the helm command. Helm and lade
// then own a release's fields as one manager, so each tool's next apply
// (with Helm's default flags: no --force-conflicts) neither conflicts with
// the other's nor leaves behind fields the other set that its chart no
// longer renders. See docs/helm-interop.md.
const DefaultFieldManager = kube.HelmFieldManager

// ErrFieldManager is returned for a field manager name the API server
// would refuse.
var ErrFieldManager = errors.New("invalid field manager")

// ValidateFieldManager checks a --field-manager value as the API server
// does: at most 128 printable characters ("" means the release's recorded
// manager, or DefaultFieldManager).
func ValidateFieldManager(m string) error {
	if len(m) > 128 {
		return fmt.Errorf("%w %q: at most 128 characters", ErrFieldManager, m)
	}
	for _, r := range m {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w %q: only printable characters", ErrFieldManager, m)
		}
	}
	return nil
}

// FieldManagerFor is the field manager an operation applies as: flag when
// given, else the one recorded in the first of recorded that has one, else
// DefaultFieldManager. A rollback passes the newest revision then the
// target; PlanUpgrade's next revision has it already.
func FieldManagerFor(flag string, recorded ...*Release) string {
	return fieldManager(flag, recorded...)
}

func fieldManager(flag string, recorded ...*Release) string {
	if flag != "" {
		return flag
	}
	for _, r := range recorded {
		if r != nil && r.FieldManager != "" {
			return r.FieldManager
		}
	}
	return DefaultFieldManager
}

// takeOverFrom returns the field managers whose apply entries an apply of
// the release as m takes over (kube.ApplyOptions.TakeOverFrom): none when
// lade wrote every revision from version from on as m (sums, read from
// Secret metadata: a revision Helm wrote or rewrote does not count);
// otherwise every manager that may have applied the release's objects
// before: "lade" (lade's manager before it recorded one), "helm" (the helm
// command's) and the managers recorded in the release, except m.
func takeOverFrom(m string, sums []*Summary, from int, recorded ...*Release) []string {
	settled := false
	for _, sm := range sums {
		if sm.Version < from {
			continue
		}
		if sm.FieldManager != m {
			return candidates(m, recorded)
		}
		settled = true
	}
	if settled {
		return nil
	}
	return candidates(m, recorded)
}

func candidates(m string, recorded []*Release) []string {
	all := []string{kube.FieldManager, kube.HelmFieldManager}
	for _, r := range recorded {
		if r != nil {
			all = append(all, r.FieldManager)
		}
	}
	var out []string
	for _, x := range all {
		if x != "" && x != m && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// ladeRevision returns r when lade wrote it, else the newest earlier
// revision of sums lade wrote (nil when there is none): after a Helm
// upgrade, whose record has Helm's chart without lade's record, the overlay
// and field manager of the release are those of the last revision lade wrote.
func (s *Storage) ladeRevision(ctx context.Context, r *Release, sums []*Summary) (*Release, error) {
	if writtenByLade(r) {
		return r, nil
	}
	for i := len(sums) - 1; i >= 0; i-- {
		if sums[i].Version >= r.Version {
			continue
		}
		prev, err := s.Get(ctx, r.Name, sums[i].Version)
		if err != nil {
			return nil, err
		}
		if writtenByLade(prev) {
			return prev, nil
		}
	}
	return nil, nil
}

// handOver counts the objects whose fields an apply took over from other
// managers (kube.ApplyOptions.TookOver), to say so once.
type handOver struct {
	mu   sync.Mutex
	n    int
	from []string
}

func (h *handOver) add(_ *kube.Resource, from []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	for _, m := range from {
		if !slices.Contains(h.from, m) {
			h.from = append(h.from, m)
		}
	}
}

func (h *handOver) report(c *Config, manager string) {
	if h.n == 0 {
		return
	}
	slices.Sort(h.from)
	c.printf("Field manager %q took over the fields of %d object(s) from %s (fields only they set, which this revision does not, were removed).\n",
		manager, h.n, `"`+strings.Join(h.from, `", "`)+`"`)
}
