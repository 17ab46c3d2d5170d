package release

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/lade-dev/lade/pkg/kube"
)

// Config is what every release operation needs.
type Config struct {
	Kube      *kube.Client
	Namespace string
	// Out receives progress (waiting, hooks, recovery notices); nil discards.
	Out io.Writer
	// Holder identifies this process in leases (default Identity()).
	Holder string
	// LeaseDuration is how long the lease lives without renewal (default 30s).
	LeaseDuration time.Duration
	// Warn receives warnings, such as objects of stored revisions whose API
	// version the cluster no longer serves (see StoredObjects); nil logs
	// them with slog.
	Warn io.Writer

	warnMu sync.Mutex
	warned map[string]bool // warnings given, see warnRemapped
}

// Storage returns the release storage of the namespace.
func (c *Config) Storage() *Storage {
	return NewStorage(c.Kube.Clientset, c.Kube.Metadata, c.Namespace)
}

func (c *Config) printf(format string, args ...any) {
	if c.Out != nil {
		fmt.Fprintf(c.Out, format, args...)
	}
}

func (c *Config) holder() string {
	if c.Holder == "" {
		c.Holder = Identity()
	}
	return c.Holder
}

// DryRun says whether an operation only simulates, and how far.
type DryRun string

// The dry-run modes, as --dry-run names them.
const (
	// DryRunNone changes the cluster and records a revision.
	DryRunNone DryRun = ""
	// DryRunClient renders and plans without writing to the cluster.
	DryRunClient DryRun = "client"
	// DryRunServer also sends every object to the API server with dryRun=All.
	DryRunServer DryRun = "server"
)

// Enabled reports whether d simulates (client or server).
func (d DryRun) Enabled() bool { return d != DryRunNone }

// CommonOptions are shared by install, upgrade, rollback and uninstall.
type CommonOptions struct {
	NoHooks        bool
	Wait           bool
	WaitForJobs    bool
	Timeout        time.Duration
	ForceConflicts bool
	TakeOwnership  bool
	// Atomic (--rollback-on-failure) undoes a failed operation.
	Atomic      bool
	HistoryMax  int
	DryRun      DryRun
	Description string
	// RecoverPending marks a pending revision without a lade lease failed and proceeds.
	RecoverPending bool
	// CleanupOnFail (--cleanup-on-fail, upgrade and rollback) deletes, when
	// the operation fails after applying, the objects it created: those of
	// the new revision that did not exist in the cluster before it. Objects
	// that existed are left as the failed operation left them.
	CleanupOnFail bool
	// FieldManager (--field-manager) is the server-side apply field
	// manager to apply as, recorded in the revision; "" keeps the one the
	// release recorded, or DefaultFieldManager (see manager.go).
	FieldManager string

	// ForceCRDUpdate (--force-crd-update) applies CustomResourceDefinition
	// changes the compatibility check (crds.go) refuses, saying what it overrides.
	ForceCRDUpdate bool

	// takeOverFrom are the managers the deploy takes ownership over from
	// (takeOverFrom in manager.go), set by the operation.
	takeOverFrom []string
}

func (o *CommonOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 5 * time.Minute
	}
	return o.Timeout
}
