package kubeapis

// v is a Version literal.
func v(major, minor int) Version { return Version{major, minor} }

// table is every built-in API version Kubernetes deprecated with a planned
// removal: the removed APIs of the Kubernetes deprecation guide and of
// helm-mapkubeapis' Map.yaml, and every type of k8s.io/api that declares
// APILifecycleRemoved (TestTableMatchesK8sAPI keeps the two in step). Where
// k8s.io/api and the deprecation guide disagree the guide wins (see
// guideReplacements in the test).
var table = []API{
	{"admissionregistration.k8s.io/v1alpha1", "MutatingAdmissionPolicy", v(1, 35), v(1, 38), ""},
	{"admissionregistration.k8s.io/v1alpha1", "MutatingAdmissionPolicyBinding", v(1, 35), v(1, 38), ""},
	{"admissionregistration.k8s.io/v1alpha1", "ValidatingAdmissionPolicy", v(1, 29), v(1, 32), ""},
	{"admissionregistration.k8s.io/v1alpha1", "ValidatingAdmissionPolicyBinding", v(1, 29), v(1, 32), ""},
	{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", v(1, 37), v(1, 40), "admissionregistration.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicyBinding", v(1, 37), v(1, 40), "admissionregistration.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", v(1, 16), v(1, 22), "admissionregistration.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", v(1, 31), v(1, 34), ""},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicyBinding", v(1, 31), v(1, 34), ""},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", v(1, 16), v(1, 22), "admissionregistration.k8s.io/v1"},

	{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", v(1, 16), v(1, 22), "apiextensions.k8s.io/v1"},
	{"apiregistration.k8s.io/v1beta1", "APIService", v(1, 19), v(1, 22), "apiregistration.k8s.io/v1"},

	{"apps/v1beta1", "ControllerRevision", v(1, 8), v(1, 16), "apps/v1"},
	{"apps/v1beta1", "Deployment", v(1, 8), v(1, 16), "apps/v1"},
	{"apps/v1beta1", "DeploymentRollback", v(1, 8), v(1, 16), "apps/v1"},
	{"apps/v1beta1", "ReplicaSet", v(1, 8), v(1, 16), "apps/v1"},
	{"apps/v1beta1", "Scale", v(1, 8), v(1, 16), "autoscaling/v1"},
	{"apps/v1beta1", "StatefulSet", v(1, 8), v(1, 16), "apps/v1"},
	{"apps/v1beta2", "ControllerRevision", v(1, 9), v(1, 16), "apps/v1"},
	{"apps/v1beta2", "DaemonSet", v(1, 9), v(1, 16), "apps/v1"},
	{"apps/v1beta2", "Deployment", v(1, 9), v(1, 16), "apps/v1"},
	{"apps/v1beta2", "ReplicaSet", v(1, 9), v(1, 16), "apps/v1"},
	{"apps/v1beta2", "Scale", v(1, 9), v(1, 16), "autoscaling/v1"},
	{"apps/v1beta2", "StatefulSet", v(1, 9), v(1, 16), "apps/v1"},

	{"authentication.k8s.io/v1alpha1", "SelfSubjectReview", v(1, 29), v(1, 32), ""},
	{"authentication.k8s.io/v1beta1", "SelfSubjectReview", v(1, 30), v(1, 33), ""},
	{"authentication.k8s.io/v1beta1", "TokenReview", v(1, 19), v(1, 22), "authentication.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "LocalSubjectAccessReview", v(1, 19), v(1, 22), "authorization.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", v(1, 19), v(1, 22), "authorization.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "SelfSubjectRulesReview", v(1, 19), v(1, 22), "authorization.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", "SubjectAccessReview", v(1, 19), v(1, 22), "authorization.k8s.io/v1"},

	{"autoscaling/v2beta1", "HorizontalPodAutoscaler", v(1, 22), v(1, 25), "autoscaling/v2"},
	{"autoscaling/v2beta2", "HorizontalPodAutoscaler", v(1, 23), v(1, 26), "autoscaling/v2"},

	{"batch/v1beta1", "CronJob", v(1, 21), v(1, 25), "batch/v1"},
	{"batch/v2alpha1", "CronJob", v(1, 8), v(1, 21), "batch/v1"},

	{"certificates.k8s.io/v1alpha1", "ClusterTrustBundle", v(1, 34), v(1, 37), ""},
	{"certificates.k8s.io/v1beta1", "CertificateSigningRequest", v(1, 19), v(1, 22), "certificates.k8s.io/v1"},
	{"certificates.k8s.io/v1beta1", "ClusterTrustBundle", v(1, 37), v(1, 40), "certificates.k8s.io/v1"},
	{"certificates.k8s.io/v1beta1", "PodCertificateRequest", v(1, 37), v(1, 40), "certificates.k8s.io/v1"},

	{"coordination.k8s.io/v1alpha2", "LeaseCandidate", v(1, 35), v(1, 38), ""},
	{"coordination.k8s.io/v1beta1", "Lease", v(1, 19), v(1, 22), "coordination.k8s.io/v1"},
	{"coordination.k8s.io/v1beta1", "LeaseCandidate", v(1, 36), v(1, 39), ""},

	{"discovery.k8s.io/v1beta1", "EndpointSlice", v(1, 21), v(1, 25), "discovery.k8s.io/v1"},
	{"events.k8s.io/v1beta1", "Event", v(1, 22), v(1, 25), "events.k8s.io/v1"},

	{"extensions/v1beta1", "DaemonSet", v(1, 8), v(1, 16), "apps/v1"},
	{"extensions/v1beta1", "Deployment", v(1, 8), v(1, 16), "apps/v1"},
	{"extensions/v1beta1", "DeploymentRollback", v(1, 8), v(1, 16), ""},
	{"extensions/v1beta1", "Ingress", v(1, 14), v(1, 22), "networking.k8s.io/v1"},
	{"extensions/v1beta1", "NetworkPolicy", v(1, 9), v(1, 16), "networking.k8s.io/v1"},
	{"extensions/v1beta1", "PodSecurityPolicy", v(1, 11), v(1, 16), "policy/v1beta1"},
	{"extensions/v1beta1", "ReplicaSet", v(1, 8), v(1, 16), "apps/v1"},
	{"extensions/v1beta1", "Scale", v(1, 2), v(1, 16), ""},

	{"flowcontrol.apiserver.k8s.io/v1alpha1", "FlowSchema", v(1, 20), v(1, 21), "flowcontrol.apiserver.k8s.io/v1beta1"},
	{"flowcontrol.apiserver.k8s.io/v1alpha1", "PriorityLevelConfiguration", v(1, 20), v(1, 21), "flowcontrol.apiserver.k8s.io/v1beta1"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", v(1, 23), v(1, 26), "flowcontrol.apiserver.k8s.io/v1beta3"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", v(1, 23), v(1, 26), "flowcontrol.apiserver.k8s.io/v1beta3"},
	{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", v(1, 26), v(1, 29), "flowcontrol.apiserver.k8s.io/v1beta3"},
	{"flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", v(1, 26), v(1, 29), "flowcontrol.apiserver.k8s.io/v1beta3"},
	{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", v(1, 29), v(1, 32), "flowcontrol.apiserver.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", v(1, 29), v(1, 32), "flowcontrol.apiserver.k8s.io/v1"},

	{"lifecycle.k8s.io/v1alpha1", "Eviction", v(1, 40), v(1, 43), ""},
	{"lifecycle.k8s.io/v1alpha1", "EvictionRequest", v(1, 40), v(1, 43), ""},

	{"networking.k8s.io/v1beta1", "IPAddress", v(1, 34), v(1, 37), ""},
	{"networking.k8s.io/v1beta1", "Ingress", v(1, 19), v(1, 22), "networking.k8s.io/v1"},
	{"networking.k8s.io/v1beta1", "IngressClass", v(1, 19), v(1, 22), "networking.k8s.io/v1"},
	{"networking.k8s.io/v1beta1", "ServiceCIDR", v(1, 34), v(1, 37), ""},

	{"node.k8s.io/v1beta1", "RuntimeClass", v(1, 22), v(1, 25), "node.k8s.io/v1"},

	{"policy/v1beta1", "Eviction", v(1, 22), v(1, 25), ""},
	{"policy/v1beta1", "PodDisruptionBudget", v(1, 21), v(1, 25), "policy/v1"},
	{"policy/v1beta1", "PodSecurityPolicy", v(1, 21), v(1, 25), ""},

	{"rbac.authorization.k8s.io/v1alpha1", "ClusterRole", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1alpha1", "ClusterRoleBinding", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1alpha1", "Role", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1alpha1", "RoleBinding", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRole", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "Role", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", "RoleBinding", v(1, 17), v(1, 22), "rbac.authorization.k8s.io/v1"},

	{"resource.k8s.io/v1alpha3", "DeviceTaintRule", v(1, 36), v(1, 39), ""},
	{"resource.k8s.io/v1alpha3", "ResourcePoolStatusRequest", v(1, 39), v(1, 42), ""},
	{"resource.k8s.io/v1beta1", "DeviceClass", v(1, 35), v(1, 38), ""},
	{"resource.k8s.io/v1beta1", "ResourceClaim", v(1, 35), v(1, 38), ""},
	{"resource.k8s.io/v1beta1", "ResourceClaimTemplate", v(1, 35), v(1, 38), ""},
	{"resource.k8s.io/v1beta1", "ResourceSlice", v(1, 35), v(1, 38), ""},
	{"resource.k8s.io/v1beta2", "DeviceClass", v(1, 36), v(1, 39), ""},
	{"resource.k8s.io/v1beta2", "DeviceTaintRule", v(1, 39), v(1, 42), ""},
	{"resource.k8s.io/v1beta2", "ResourceClaim", v(1, 36), v(1, 39), ""},
	{"resource.k8s.io/v1beta2", "ResourceClaimTemplate", v(1, 36), v(1, 39), ""},
	{"resource.k8s.io/v1beta2", "ResourceSlice", v(1, 36), v(1, 39), ""},

	{"scheduling.k8s.io/v1alpha1", "PriorityClass", v(1, 14), v(1, 17), "scheduling.k8s.io/v1"},
	{"scheduling.k8s.io/v1beta1", "PodGroup", v(1, 40), v(1, 43), ""},
	{"scheduling.k8s.io/v1beta1", "PriorityClass", v(1, 14), v(1, 22), "scheduling.k8s.io/v1"},
	{"scheduling.k8s.io/v1beta1", "Workload", v(1, 40), v(1, 43), ""},

	{"storage.k8s.io/v1alpha1", "CSIStorageCapacity", v(1, 21), v(1, 24), "storage.k8s.io/v1beta1"},
	{"storage.k8s.io/v1alpha1", "VolumeAttachment", v(1, 21), v(1, 24), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1alpha1", "VolumeAttributesClass", v(1, 32), v(1, 35), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "CSIDriver", v(1, 19), v(1, 22), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "CSINode", v(1, 17), v(1, 22), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "CSIStorageCapacity", v(1, 24), v(1, 27), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "StorageClass", v(1, 19), v(1, 22), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "VolumeAttachment", v(1, 19), v(1, 22), "storage.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", "VolumeAttributesClass", v(1, 34), v(1, 37), "storage.k8s.io/v1"},

	{"storagemigration.k8s.io/v1beta1", "StorageVersionMigration", v(1, 37), v(1, 40), "storagemigration.k8s.io/v1"},
}
