//go:build tools

// Package tools pins the Kubernetes control-plane binaries built by
// hack/build-k8s.sh (make k8s-bins) into bin/k8s/<version>/.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
