# hack/k8s.mk — the real Kubernetes control plane and OCI registry of the test
# suite (internal/testenv). Included by the main Makefile; `make test` depends
# on k8s-bins so that the cluster tests can run.
#
#   make k8s-bins       build etcd, kube-apiserver, kube-controller-manager, kube-scheduler
#                       and kwok into bin/k8s/<version>/ (skipped when present and current;
#                       cold: 15-25 min on 2 cores, warm Go cache: about a minute)
#   make cluster-up     start the same environment by hand in .cluster/ and print the
#                       `export KUBECONFIG=...` line
#   make cluster-down   stop it (exactly the recorded PIDs) and remove .cluster/
#   make cluster-status show its PIDs and the KUBECONFIG line
#
# Tests that cannot find the binaries fail and print how to build them; set
# LADE_SKIP_CLUSTER_TESTS=1 to skip them instead, LADE_K8S_BIN=dir to use other binaries.

LADE_HACK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
LADE_ROOT_DIR := $(abspath $(LADE_HACK_DIR)/..)
GO ?= go
CLUSTER_DIR ?= $(LADE_ROOT_DIR)/.cluster
CLUSTER_NODES ?= 1

.PHONY: k8s-bins cluster-up cluster-down cluster-status

k8s-bins:
	@GO="$(GO)" "$(LADE_HACK_DIR)/build-k8s.sh"

cluster-up: k8s-bins
	@cd "$(LADE_ROOT_DIR)" && $(GO) run ./hack/cluster -dir "$(CLUSTER_DIR)" -nodes $(CLUSTER_NODES) up

cluster-down:
	@cd "$(LADE_ROOT_DIR)" && $(GO) run ./hack/cluster -dir "$(CLUSTER_DIR)" down

cluster-status:
	@cd "$(LADE_ROOT_DIR)" && $(GO) run ./hack/cluster -dir "$(CLUSTER_DIR)" status
