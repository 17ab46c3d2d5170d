package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ReleaseStatus is what the controller last observed of a Release, in the
// shape Kubernetes tools read (kstatus): observedGeneration and the
// conditions Ready, Reconciling and Stalled; and what lade-controller
// applied and attempted, the revision and the last drift check (`lade
// apply` leaves those empty).
type ReleaseStatus struct {
	// ObservedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions are the latest observations of the Release's state.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// LastAppliedChart is the chart of the last successful install or upgrade.
	// +optional
	LastAppliedChart *ChartStatus `json:"lastAppliedChart,omitempty"`
	// LastAttemptedChart is the chart of the last install or upgrade tried.
	// +optional
	LastAttemptedChart *ChartStatus `json:"lastAttemptedChart,omitempty"`
	// Revision is the release's deployed revision.
	// +optional
	Revision int32 `json:"revision,omitempty"`
	// Objects counts the objects of the deployed revision (hooks excluded).
	// +optional
	Objects int32 `json:"objects,omitempty"`
	// Drift is the result of the last drift check.
	// +optional
	Drift *DriftStatus `json:"drift,omitempty"`
	// InputsFingerprint is a digest of the inputs of the last reconcile that
	// reached Ready: generation, chart digest, and the resource versions of
	// the valuesFrom sources. While it and the drift check stay clean the
	// controller renders nothing.
	// +optional
	InputsFingerprint string `json:"inputsFingerprint,omitempty"`
}

// ChartStatus is a chart version and the digest it resolved to.
type ChartStatus struct {
	// Version is the chart's version.
	// +optional
	Version string `json:"version,omitempty"`
	// Digest is sha256:HEX of the OCI manifest or of the archive.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// DriftStatus is the result of a drift check.
type DriftStatus struct {
	// CheckedAt is when the live objects were last compared.
	CheckedAt metav1.Time `json:"checkedAt"`
	// Changed, Missing count objects edited or deleted by hand.
	Changed int32 `json:"changed"`
	Missing int32 `json:"missing"`
	// Objects names up to 10 drifted objects ("Kind namespace/name").
	// +optional
	Objects []string `json:"objects,omitempty"`
	// Corrected is true when the controller re-applied the revision.
	// +optional
	Corrected bool `json:"corrected,omitempty"`
}
