package object

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Head is the part of an object the render's sorter reads (apiVersion,
// kind, metadata.name and metadata.annotations), as Helm decodes it.
type Head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind,omitempty"`
	Metadata   *struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}

// Doc is one YAML document rendered from the template at Path.
type Doc struct {
	Path    string
	Content string
	Head    *Head
	// Object is the document as it appears in the release manifest (Text)
	// parsed, when the render was asked for objects and could vouch for
	// the parse; nil otherwise (a consumer then parses Text). Text is then
	// a single document: a manifest split at its separators gives it whole.
	Object map[string]any
}

// Text is the document as it appears in a release manifest, and as
// splitting the manifest at its separators cuts it out:
// "# Source: PATH\nCONTENT\n".
func (d *Doc) Text() string {
	return Document(d.Path, d.Content)
}

// Document is Doc.Text for a path and a content.
func Document(path, content string) string {
	return "# Source: " + path + "\n" + content + "\n"
}

// Manifest is the multi-document manifest of docs, as a release records
// it: each document's Text after a "---" line.
func Manifest(docs []Doc) string {
	var b strings.Builder
	WriteManifest(&b, docs)
	return b.String()
}

// WriteManifest writes Manifest(docs) to b.
func WriteManifest(b *strings.Builder, docs []Doc) {
	for i := range docs {
		b.WriteString("---\n# Source: ")
		b.WriteString(docs[i].Path)
		b.WriteString("\n")
		b.WriteString(docs[i].Content)
		b.WriteString("\n")
	}
}

// HookEvent is a lifecycle point a hook runs at.
type HookEvent string

// Hook events, as Helm names them.
const (
	HookPreInstall   HookEvent = "pre-install"
	HookPostInstall  HookEvent = "post-install"
	HookPreDelete    HookEvent = "pre-delete"
	HookPostDelete   HookEvent = "post-delete"
	HookPreUpgrade   HookEvent = "pre-upgrade"
	HookPostUpgrade  HookEvent = "post-upgrade"
	HookPreRollback  HookEvent = "pre-rollback"
	HookPostRollback HookEvent = "post-rollback"
	HookTest         HookEvent = "test"
)

// Hook is a rendered object annotated helm.sh/hook: its document
// (Manifest, rendered from the template at Path) and when and how it runs.
// Its JSON form is Helm's, as a release record stores it; LastRun is the
// record's, zero in a render.
type Hook struct {
	Name              string        `json:"name,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	Path              string        `json:"path,omitempty"`
	Manifest          string        `json:"manifest,omitempty"`
	Events            []HookEvent   `json:"events,omitempty"`
	LastRun           HookExecution `json:"last_run"`
	Weight            int           `json:"weight,omitempty"`
	DeletePolicies    []string      `json:"delete_policies,omitempty"`
	OutputLogPolicies []string      `json:"output_log_policies,omitempty"`
}

// IsTest reports whether the hook runs on `test`.
func (h *Hook) IsTest() bool {
	return h.HasEvent(HookTest)
}

// HasEvent reports whether the hook runs at e.
func (h *Hook) HasEvent(e HookEvent) bool {
	return slices.Contains(h.Events, e)
}

// HasDeletePolicy reports whether the hook carries policy p.
func (h *Hook) HasDeletePolicy(p string) bool {
	return slices.Contains(h.DeletePolicies, p)
}

// HookPhase is the outcome of a hook's last run.
type HookPhase string

// Hook phases (Helm's).
const (
	HookPhaseUnknown   HookPhase = "Unknown"
	HookPhaseRunning   HookPhase = "Running"
	HookPhaseSucceeded HookPhase = "Succeeded"
	HookPhaseFailed    HookPhase = "Failed"
)

// HookExecution records a hook's last run.
type HookExecution struct {
	StartedAt   time.Time `json:"started_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	Phase       HookPhase `json:"phase"`
}

// UnmarshalJSON reads a hook's last run as Helm 3 (unset times as "") and
// Helm 4 (unset times left out) write it.
func (h *HookExecution) UnmarshalJSON(b []byte) error {
	type plain HookExecution
	aux := struct {
		*plain
		StartedAt   RecordTime `json:"started_at"`
		CompletedAt RecordTime `json:"completed_at"`
	}{plain: (*plain)(h)}
	aux.StartedAt.T, aux.CompletedAt.T = &h.StartedAt, &h.CompletedAt
	return json.Unmarshal(b, &aux)
}

// RecordTime decodes a time of a Helm release record into *T: RFC 3339,
// or "" and null for the zero time (Helm 3's helm.sh/helm/v3/pkg/time
// writes ""). The hooks here and the record's Info (package release) use it.
type RecordTime struct{ T *time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (h *RecordTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`""`)) || bytes.Equal(b, []byte("null")) {
		*h.T = time.Time{}
		return nil
	}
	return h.T.UnmarshalJSON(b)
}
