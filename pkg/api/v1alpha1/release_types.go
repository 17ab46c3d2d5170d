package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Release is the desired state of one release: a chart, its values and
// overlay, and how to install and upgrade it. metadata.name is the release
// name, metadata.namespace the release's namespace, metadata.labels select
// releases (`lade apply -l`).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=releases,singular=release,scope=Namespaced,categories=lade
// +kubebuilder:printcolumn:name="Chart",type=string,JSONPath=`.spec.chart.ref`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.chart.version`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 53",message="metadata.name: a release name has at most 53 characters (Helm's limit)"
type Release struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	// +required
	Spec ReleaseSpec `json:"spec"`
	// Status is what the controller last observed.
	// +optional
	Status ReleaseStatus `json:"status,omitempty"`
}

// ReleaseList is a list of Releases.
//
// +kubebuilder:object:root=true
type ReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Release `json:"items"`
}

// ReleaseSpec is the desired state of a release.
type ReleaseSpec struct {
	// Chart names the chart to install.
	// +required
	Chart ChartRef `json:"chart"`

	// Values are the release's values, merged over the chart's defaults
	// after valuesFrom and valuesFiles (these win).
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Values *apiextensionsv1.JSON `json:"values,omitempty"`

	// ValuesFiles are YAML values files, paths relative to the file that
	// declares the Release, applied in order before values. Only the CLI
	// reads them (the controller has no files).
	// +optional
	// +listType=atomic
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// ValuesFrom are values documents read from ConfigMap or Secret keys in
	// the release's namespace, applied in order before valuesFiles.
	// +optional
	// +listType=atomic
	ValuesFrom []ValuesReference `json:"valuesFrom,omitempty"`

	// Overlay is a kustomization applied to the rendered chart.
	// +optional
	Overlay *Overlay `json:"overlay,omitempty"`

	// DependsOn are Releases that must be applied and Ready before this one
	// is installed or upgraded.
	// +optional
	// +listType=atomic
	DependsOn []DependencyReference `json:"dependsOn,omitempty"`

	// CreateNamespace creates the release namespace if it is missing.
	// +optional
	CreateNamespace bool `json:"createNamespace,omitempty"`

	// Wait waits until the release's objects are ready (kstatus) before the
	// release counts as applied. True when unset.
	// +optional
	// +kubebuilder:default=true
	Wait *bool `json:"wait,omitempty"`

	// Timeout bounds each install, upgrade, rollback or wait (a Go duration
	// such as 5m or 90s; the default is written as Go prints it, 5m0s, so
	// that a Go client writing the object back changes nothing).
	// +optional
	// +kubebuilder:default="5m0s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// RollbackOnFailure undoes a failed operation: a failed install is
	// uninstalled, a failed upgrade rolled back to the previous revision.
	// +optional
	RollbackOnFailure bool `json:"rollbackOnFailure,omitempty"`

	// TakeOwnership adopts existing objects the release renders even when
	// another release or tool owns them.
	// +optional
	TakeOwnership bool `json:"takeOwnership,omitempty"`

	// MaxHistory is the number of revisions kept; 0 keeps all.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	MaxHistory *int32 `json:"maxHistory,omitempty"`

	// CRDs is the policy for the CRDs in the chart's crds/ directory: skip
	// them, create the missing ones (as Helm does), or create the missing
	// ones and replace the changed ones.
	// +optional
	// +kubebuilder:default=create
	CRDs CRDPolicy `json:"crds,omitempty"`

	// Suspend leaves the release alone: `lade apply` skips it and the
	// controller neither reconciles nor uninstalls it.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Interval is how often the controller checks the release for drift and
	// re-resolves its chart.
	// +optional
	// +kubebuilder:default="10m0s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`

	// DriftCorrection says what the controller does when live objects
	// differ from the deployed revision: correct them, only report (status
	// and an Event), or not check.
	// +optional
	// +kubebuilder:default=enabled
	DriftCorrection DriftCorrection `json:"driftCorrection,omitempty"`

	// ServiceAccountName is a ServiceAccount in the release's namespace the
	// controller impersonates for every change to the cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// Uninstall says what deleting the Release does.
	// +optional
	Uninstall *UninstallOptions `json:"uninstall,omitempty"`
}

// ChartRef names a chart and the version to install.
type ChartRef struct {
	// Ref is where the chart comes from: oci://REGISTRY/REPO/CHART,
	// REPO/CHART from an added repository, https://.../CHART.tgz, or (CLI
	// only) a local directory or archive, relative to the file that declares
	// the Release.
	// +required
	// +kubebuilder:validation:MinLength=1
	Ref string `json:"ref"`

	// Version is an exact version or a semver constraint (">=1.2 <2");
	// empty means the newest.
	// +optional
	Version string `json:"version,omitempty"`

	// Digest pins the chart's content (sha256:HEX of the archive or OCI
	// manifest): a chart with another digest is refused.
	// +optional
	// +kubebuilder:validation:Pattern=`^sha256:[a-f0-9]{64}$`
	Digest string `json:"digest,omitempty"`
}

// ValuesReference is one values document in a ConfigMap or Secret.
type ValuesReference struct {
	// Kind is ConfigMap or Secret.
	// +required
	// +kubebuilder:validation:Enum=ConfigMap;Secret
	Kind string `json:"kind"`

	// Name is the ConfigMap's or Secret's name, in the release's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key is the data key holding a YAML values document.
	// +optional
	// +kubebuilder:default="values.yaml"
	Key string `json:"key,omitempty"`

	// Optional lets the release proceed when the object or key is missing.
	// +optional
	Optional bool `json:"optional,omitempty"`
}

// Overlay is a kustomize overlay applied to the rendered chart: a
// kustomization directory or an inline kustomization, exactly one.
//
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type Overlay struct {
	// Path is a directory holding kustomization.yaml, relative to the file
	// that declares the Release (CLI only).
	// +optional
	Path string `json:"path,omitempty"`

	// Inline is a kustomization (patches written inline), as
	// kustomization.yaml would hold it.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Inline *apiextensionsv1.JSON `json:"inline,omitempty"`
}

// DependencyReference names another Release.
type DependencyReference struct {
	// Name is the Release's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace is the Release's namespace; empty means this Release's.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// UninstallOptions say what deleting a Release does.
type UninstallOptions struct {
	// Keep leaves the release installed when the Release object is
	// deleted.
	// +optional
	Keep bool `json:"keep,omitempty"`
}

// CRDPolicy is what happens to the chart's crds/ directory.
//
// +kubebuilder:validation:Enum=skip;create;create-replace
type CRDPolicy string

// The CRD policies.
const (
	CRDsSkip          CRDPolicy = "skip"
	CRDsCreate        CRDPolicy = "create"
	CRDsCreateReplace CRDPolicy = "create-replace"
)

// DriftCorrection is what the controller does about drift.
//
// +kubebuilder:validation:Enum=enabled;warn;disabled
type DriftCorrection string

// The drift correction modes.
const (
	DriftEnabled  DriftCorrection = "enabled"
	DriftWarn     DriftCorrection = "warn"
	DriftDisabled DriftCorrection = "disabled"
)
