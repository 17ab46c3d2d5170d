package release

import (
	"encoding/json"
	"time"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/object"
	"github.com/lade-dev/lade/pkg/render"
)

// Status is the state of one revision, spelled as Helm spells it.
type Status string

// Revision states (Helm's).
const (
	StatusUnknown         Status = "unknown"
	StatusDeployed        Status = "deployed"
	StatusUninstalled     Status = "uninstalled"
	StatusSuperseded      Status = "superseded"
	StatusFailed          Status = "failed"
	StatusUninstalling    Status = "uninstalling"
	StatusPendingInstall  Status = "pending-install"
	StatusPendingUpgrade  Status = "pending-upgrade"
	StatusPendingRollback Status = "pending-rollback"
)

func (s Status) String() string { return string(s) }

// IsPending reports the states of an operation in progress.
func (s Status) IsPending() bool {
	return s == StatusPendingInstall || s == StatusPendingUpgrade || s == StatusPendingRollback
}

// Info is a revision's metadata; the JSON names are Helm's.
type Info struct {
	FirstDeployed    time.Time `json:"first_deployed,omitzero"`
	LastDeployed     time.Time `json:"last_deployed,omitzero"`
	Deleted          time.Time `json:"deleted,omitzero"`
	Description      string    `json:"description,omitempty"`
	Status           Status    `json:"status,omitempty"`
	RollbackRevision int       `json:"rollback_revision,omitempty"`
	Notes            string    `json:"notes,omitempty"`
}

// UnmarshalJSON reads Info as Helm 3 and Helm 4 write it: Helm 3 writes an
// unset time (deleted, or all of them in a record it never deployed) as
// "", Helm 4 leaves it out; both mean the zero time.
func (i *Info) UnmarshalJSON(b []byte) error {
	type plain Info
	aux := struct {
		*plain
		FirstDeployed object.RecordTime `json:"first_deployed"`
		LastDeployed  object.RecordTime `json:"last_deployed"`
		Deleted       object.RecordTime `json:"deleted"`
	}{plain: (*plain)(i)}
	aux.FirstDeployed.T, aux.LastDeployed.T, aux.Deleted.T = &i.FirstDeployed, &i.LastDeployed, &i.Deleted
	return json.Unmarshal(b, &aux)
}

// HookPhase is the outcome of a hook's last run.
type HookPhase = object.HookPhase

// Hook phases (Helm's).
const (
	HookPhaseUnknown   = object.HookPhaseUnknown
	HookPhaseRunning   = object.HookPhaseRunning
	HookPhaseSucceeded = object.HookPhaseSucceeded
	HookPhaseFailed    = object.HookPhaseFailed
)

// HookExecution records a hook's last run.
type HookExecution = object.HookExecution

// Hook is a hook as stored in a release record (Helm's JSON): the shape
// the render gives it (see package object).
type Hook = object.Hook

// recordHooks are the hooks of a render as a new revision records them:
// copies, whose last runs the operation fills in.
func recordHooks(in []*render.Hook) []*Hook {
	out := make([]*Hook, 0, len(in))
	for _, h := range in {
		cp := *h
		out = append(out, &cp)
	}
	return out
}

// Release is one revision of a release. Its JSON form is Helm's release
// record (pkg/release/v1), so Helm reads what lade writes and vice versa.
type Release struct {
	Name        string         `json:"name,omitempty"`
	Info        *Info          `json:"info,omitempty"`
	Chart       *chart.Chart   `json:"chart,omitempty"`
	Config      map[string]any `json:"config,omitempty"`
	Manifest    string         `json:"manifest,omitempty"`
	Hooks       []*Hook        `json:"hooks,omitempty"`
	Version     int            `json:"version,omitempty"`
	Namespace   string         `json:"namespace,omitempty"`
	ApplyMethod string         `json:"apply_method,omitempty"`
	// Overlay is the kustomize overlay the revision was built with. It is
	// stored in the chart (see helmform.go); the JSON field is where
	// earlier lade versions wrote it, still read.
	Overlay *Overlay `json:"lade_overlay,omitempty"`
	// FieldManager is the server-side apply field manager lade applied the
	// revision's objects as ("" for a revision Helm wrote, or earlier lade
	// versions, which applied as "lade"); stored in the chart's metadata.
	FieldManager string `json:"-"`
	// ChartAnnotations are added to the chart's metadata annotations when
	// the revision is recorded (InstallOptions.ChartAnnotations); once
	// read back they are part of the chart's annotations.
	ChartAnnotations map[string]string `json:"-"`

	// Labels are the user labels of the record (--labels), stored on the Secret only.
	Labels map[string]string `json:"-"`
	// SecretLabels are all the labels of the record Secret as read (Helm's
	// name, owner, status, version, modifiedAt... and the user labels).
	SecretLabels map[string]string `json:"-"`
	// Holder is the lade lease holder writing the revision (an annotation of its Secret).
	Holder string `json:"-"`

	// rendered are the objects of a revision just rendered, whose text is
	// Manifest (nil for one read from its record): built once, by
	// Config.renderedObjects.
	rendered []object.Doc
}

// ChartRef is "name-version" as Helm's list prints it.
func (r *Release) ChartRef() string {
	if r.Chart == nil || r.Chart.Metadata == nil {
		return ""
	}
	return r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version
}

// AppVersion is the chart's appVersion.
func (r *Release) AppVersion() string {
	if r.Chart == nil || r.Chart.Metadata == nil {
		return ""
	}
	return r.Chart.Metadata.AppVersion
}
