package release

import (
	"context"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/lade-dev/lade/pkg/render"
)

// Test runs the release's test hooks under the release's lease (it records
// their results in the newest revision, and must not race an upgrade).
func (c *Config) Test(ctx context.Context, name string, o TestOptions) (*Release, error) {
	return c.withLease(ctx, name, "lade test "+name, false, func(ctx context.Context) (*Release, error) {
		return c.test(ctx, name, o)
	})
}

// TestOptions are the options of Test.
type TestOptions struct {
	// Timeout bounds each test hook (5 minutes when 0).
	Timeout time.Duration
	// Include, when set, runs only the tests of these names; Exclude skips
	// the tests of these names (helm test --filter name=X, !name=X).
	Include, Exclude []string
}

func (c *Config) test(ctx context.Context, name string, o TestOptions) (*Release, error) {
	rel, err := c.Storage().Last(ctx, name)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	selected := func(h *Hook) bool {
		return !slices.Contains(o.Exclude, h.Name) && (len(o.Include) == 0 || slices.Contains(o.Include, h.Name))
	}
	terr := c.runSelectedHooks(ctx, rel, render.HookTest, timeout, selected)
	if leaseLost(ctx) {
		return rel, terr
	}
	if err := c.Storage().Update(ctx, rel); err != nil && !apierrors.IsConflict(err) {
		return rel, err
	}
	return rel, terr
}
