package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// FleetLabel is the release-record label naming the fleet that applied a
// release (`lade apply --fleet NAME`): what pruning looks for.
const FleetLabel = "lade.dev/fleet"

// DefaultConcurrency is how many releases are planned or applied at once
// when Engine.Concurrency is 0: each one's apply is itself parallel (16
// requests at a time), so a few releases keep a laptop's API server busy.
const DefaultConcurrency = 8

// Key names a release: its namespace and name.
type Key struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func (k Key) String() string { return k.Namespace + "/" + k.Name }

// Node is one release of a fleet to apply.
type Node struct {
	Key
	// DependsOn are the releases that must be applied and Ready first:
	// releases of the fleet, or releases already installed.
	DependsOn []Key
	// Options builds the release's upgrade options (chart loaded, values,
	// overlay, install and upgrade settings). Planning calls it,
	// concurrently with other nodes' Options. Name and Namespace are set
	// from the Key; Install is always set.
	Options func(ctx context.Context) (release.UpgradeOptions, error)
}

// Engine plans and applies fleets on one cluster.
type Engine struct {
	Kube *kube.Client
	// Fleet names the fleet: recorded as FleetLabel on every release it
	// applies. Required: a valid label value.
	Fleet string
	// Members are every release of the fleet, selected or not (default:
	// the planned nodes). Pruning uninstalls the releases recorded with
	// the fleet's label that are not among them.
	Members []Key
	// Prune plans (and Apply runs) the uninstall of the releases that left
	// the fleet.
	Prune bool
	// Concurrency bounds the releases planned, applied or pruned at once
	// (default DefaultConcurrency).
	Concurrency int
	// Diff tunes the previews (masking, concurrency); set ShowSecrets to
	// print Secret values.
	Diff diff.Options
	// Observe, when set, receives every change of a release's state, one
	// call at a time (from the engine's goroutines).
	Observe func(Event)
	// Warn receives warnings of release operations (nil: slog).
	Warn io.Writer
	// Holder identifies this process in release leases (default
	// release.Identity()).
	Holder string
}

// ErrInvalid is matched (errors.Is) by errors in the fleet itself: a bad
// fleet name, a duplicate release, a dependency cycle, a dependency that is
// neither in the fleet nor installed.
var ErrInvalid = errors.New("invalid fleet")

// ErrFailed is matched by Apply's error when a release failed or was skipped.
var ErrFailed = errors.New("the fleet was not applied completely")

var labelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)

// ValidFleetName checks that name can be stored as the value of FleetLabel.
func ValidFleetName(name string) error {
	if name == "" || len(name) > 63 || !labelValue.MatchString(name) {
		return fmt.Errorf("%w: fleet name %q: must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (a label value)", ErrInvalid, name)
	}
	return nil
}

// order checks the nodes (no duplicates, no cycles among them) and returns
// them with every node after the nodes it depends on, otherwise in their
// given order.
func order(nodes []*Node) ([]*Node, error) {
	index := map[Key]int{}
	for i, n := range nodes {
		if j, ok := index[n.Key]; ok {
			return nil, fmt.Errorf("%w: release %s is given twice (#%d and #%d)", ErrInvalid, n.Key, j+1, i+1)
		}
		index[n.Key] = i
	}
	const (
		unseen = iota
		visiting
		done
	)
	mark := make([]int, len(nodes))
	var out []*Node
	var path []Key
	var visit func(i int) error
	visit = func(i int) error {
		switch mark[i] {
		case done:
			return nil
		case visiting:
			at := slices.Index(path, nodes[i].Key)
			var names []string
			for _, k := range append(path[at:], nodes[i].Key) {
				names = append(names, k.String())
			}
			return fmt.Errorf("%w: dependency cycle: %s", ErrInvalid, strings.Join(names, " -> "))
		}
		mark[i] = visiting
		path = append(path, nodes[i].Key)
		for _, d := range nodes[i].DependsOn {
			if j, ok := index[d]; ok {
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		mark[i] = done
		out = append(out, nodes[i])
		return nil
	}
	for i := range nodes {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// State is where a release is in planning or applying.
type State string

// The states an Event reports, in the order a release goes through them.
const (
	StatePlanning State = "planning"
	StatePlanned  State = "planned"
	// StateWaiting: for its dependencies to be Ready, or for a free slot.
	StateWaiting  State = "waiting"
	StateApplying State = "applying"
	// StateReady: applied (or unchanged) and Ready.
	StateReady   State = "ready"
	StatePruning State = "pruning"
	StatePruned  State = "pruned"
	StateFailed  State = "failed"
	StateSkipped State = "skipped"
)

// Final reports whether s ends a release's apply.
func (s State) Final() bool {
	return s == StateReady || s == StatePruned || s == StateFailed || s == StateSkipped
}

// Event is a change of one release's state.
type Event struct {
	Key   Key
	State State
	// Detail says more: what it waits for, why it was skipped, the error.
	Detail string
	// Since is when the release entered its current phase (planning, or
	// applying: waiting included).
	Since time.Time
	At    time.Time
}

func (e *Engine) concurrency() int {
	if e.Concurrency > 0 {
		return e.Concurrency
	}
	return DefaultConcurrency
}

// config is the release configuration of namespace ns.
func (e *Engine) config(ns string) *release.Config {
	return &release.Config{Kube: e.Kube, Namespace: ns, Warn: e.Warn, Holder: e.Holder}
}
