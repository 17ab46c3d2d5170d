# lade — Makefile. `make demo` shows lade's main job on a local cluster; `make test` runs every test.
GO        ?= go
BIN       ?= bin/lade
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -X github.com/lade-dev/lade/internal/version.Version=$(VERSION) -X github.com/lade-dev/lade/internal/version.Commit=$(COMMIT)
CONFORMANCE ?= ../shared/conformance
PYTHON ?= python3

.PHONY: build demo demo-render test test-interop helm-ref cosign-ref helmfile-ref bench bench-controller bench-fleet bench-compare lint fuzz clean pgo generate verify-generate

# The test cluster (etcd, kube-apiserver, ... built from Go modules) and
# cluster-up/cluster-down targets.
include hack/k8s.mk

# A static binary: no libc, and kustomize's (unused) Go plugin support does not
# make the linker export every symbol (20 MiB more binary, 20 MiB more RSS).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lade
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(dir $(BIN))lade-controller ./cmd/lade-controller

# Profile-guided optimisation: `go build` uses cmd/lade/default.pgo, a CPU
# profile of the render benchmarks (every conformance chart and the
# 100-subchart umbrella). Refresh it after large changes to the render path;
# it needs ../shared (conformance charts, gen-umbrella).
pgo:
	tmp=$$(mktemp -d) && $(GO) test ./pkg/render -run '^$$' -bench 'Conformance|Umbrella100' -benchtime 5x \
		-o $$tmp/render.test -cpuprofile $(CURDIR)/cmd/lade/default.pgo && rm -rf $$tmp

# The main job on the local control plane: install with --wait, diff an
# upgrade, upgrade, history, rollback. The cluster is built on first use
# (15-25 min on 2 cores with a cold Go cache, about a minute when warm) and
# left running; `make cluster-down` stops it.
demo: build
	@if ! ls bin/k8s/*/.stamp >/dev/null 2>&1; then \
	  echo "make demo: first use builds the local Kubernetes control plane from the Go module proxy:"; \
	  echo "           15-25 minutes on 2 cores with a cold Go cache (about a minute when warm)."; fi
	@$(MAKE) --no-print-directory cluster-up
	LADE=$(BIN) CLUSTER_DIR=$(CLUSTER_DIR) scripts/demo.sh

# Render only (no cluster): what `helm template` prints, byte for byte.
demo-render: build
	$(BIN) template demo testdata/charts/demo

# Every test: unit tests, cluster and registry tests (the control plane is built first),
# and the Helm conformance corpus when it exists beside the project.
test: build k8s-bins helm-ref cosign-ref
	HELM_REF=$(HELM_REF_BIN) COSIGN_REF=$(COSIGN_REF_BIN) $(GO) test -count=1 ./...
	$(MAKE) test-interop
	@if [ -d "$(CONFORMANCE)" ]; then $(PYTHON) $(CONFORMANCE)/check --bin $(abspath $(BIN)) --corpus $(CONFORMANCE) -j 2; \
	else echo "conformance corpus not found at $(CONFORMANCE): skipped"; fi

# The reference Helm the tests compare with (goldens, lint, env, create,
# repositories), built from the Go module proxy into bin/helmref, outside
# lade's module; skipped when it is there already.
HELM_REF_VERSION := v4.3.1
HELM_REF_BIN := $(CURDIR)/bin/helmref/helm
helm-ref:
	@if ! [ -x "$(HELM_REF_BIN)" ] || [ "$$($(HELM_REF_BIN) version --template '{{.Version}}')" != "$(HELM_REF_VERSION)" ]; then \
	  echo "building the reference Helm $(HELM_REF_VERSION) into bin/helmref (the tests compare lade with it)"; \
	  cd "$$(mktemp -d)" && GOBIN="$(dir $(HELM_REF_BIN))" $(GO) install -trimpath \
	    -ldflags "-X helm.sh/helm/v4/internal/version.version=$(HELM_REF_VERSION)" helm.sh/helm/v4/cmd/helm@$(HELM_REF_VERSION); fi

# The reference cosign the signature tests sign charts with, built from the Go
# module proxy into bin/cosignref, outside lade's module (lade links only
# sigstore's verification library, not cosign); skipped when it is there.
# 15.5 minutes with a cold module cache on 2 busy cores (mostly downloads),
# 1.5 minutes with warm module and build caches, nothing when bin/ has it.
COSIGN_REF_VERSION := v2.6.5
COSIGN_REF_BIN := $(CURDIR)/bin/cosignref/cosign
cosign-ref:
	@if ! [ -x "$(COSIGN_REF_BIN)" ] || ! "$(COSIGN_REF_BIN)" version 2>/dev/null | grep -q 'GitVersion: *$(COSIGN_REF_VERSION)$$'; then \
	  echo "building the reference cosign $(COSIGN_REF_VERSION) into bin/cosignref (the signature tests sign with it)"; \
	  cd "$$(mktemp -d)" && GOBIN="$(dir $(COSIGN_REF_BIN))" CGO_ENABLED=0 $(GO) install -trimpath \
	    github.com/sigstore/cosign/v2/cmd/cosign@$(COSIGN_REF_VERSION); fi

# helmfile, the peer of the fleet benchmark (scripts/bench-fleet.sh), built
# from its module's source on the Go module proxy into bin/helmfileref, outside
# lade's module (its go.mod has replace directives, so `go install mod@v` refuses
# it: it is built as the main module in a scratch copy); skipped when it is there
# already. It drives the reference Helm (make helm-ref).
HELMFILE_REF_VERSION := v1.8.0
HELMFILE_REF_BIN := $(CURDIR)/bin/helmfileref/helmfile
helmfile-ref:
	@if ! [ -x "$(HELMFILE_REF_BIN)" ] || ! $(HELMFILE_REF_BIN) version -o short 2>/dev/null | grep -q "$(HELMFILE_REF_VERSION:v%=%)"; then \
	  echo "building helmfile $(HELMFILE_REF_VERSION) into bin/helmfileref (the fleet benchmark compares lade apply with it)"; \
	  src=$$(cd "$$(mktemp -d)" && $(GO) mod download -json github.com/helmfile/helmfile@$(HELMFILE_REF_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p') && \
	  tmp=$$(mktemp -d) && cp -r "$$src/." "$$tmp" && chmod -R u+w "$$tmp" && cd "$$tmp" && \
	  CGO_ENABLED=0 $(GO) build -trimpath -o "$(HELMFILE_REF_BIN)" \
	    -ldflags "-X go.szostok.io/version.version=$(HELMFILE_REF_VERSION)" . && rm -rf "$$tmp"; fi

# Benchmarks: Go benchmarks (time and allocations per render), then whole-process
# timings beside the reference Helm when HELM=/path/to/helm v4.3.1 is given, and
# the fleet benchmark when HELMFILE=/path/to/helmfile v1.8.0 is given too.
bench: build k8s-bins cosign-ref
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./pkg/...
	COSIGN_REF=$(COSIGN_REF_BIN) $(GO) test -run '^$$' -bench VerifiedInstall -benchtime 20x ./cmd/lade
	cd test/interop && GOFLAGS=-mod=mod HELM=$(HELM) $(GO) test -run '^$$' -bench . -benchmem -benchtime 5x .
	HELM=$(HELM) scripts/bench-render.sh
	HELM=$(HELM) scripts/bench-release.sh
	HELM=$(HELM) scripts/bench-repo.sh
	$(MAKE) bench-controller
	@if [ -n "$(HELM)" ] && [ -n "$(HELMFILE)" ]; then HELM=$(HELM) HELMFILE=$(HELMFILE) scripts/bench-fleet.sh; \
	else echo "# fleet benchmark skipped: it needs HELM=... and HELMFILE=... (make helm-ref helmfile-ref; make bench-fleet)"; fi

# lade-controller with BENCH_RELEASES Release objects on the test cluster
# (docs/benchmarks.md, "Controller").
BENCH_RELEASES ?= 1000
bench-controller:
	LADE_BENCH_RELEASES=$(BENCH_RELEASES) $(GO) test ./cmd/lade-controller -run '^TestBenchReleases$$' -count=1 -v -timeout 60m

# Before/after: lade built at BASE and at HEAD, alternating run by run on
# the test cluster (template, install, no-op upgrade, diff, list; medians
# side by side). make bench-compare BASE=c0126ec [RUNS=5]
bench-compare:
	@[ -n "$(BASE)" ] || { echo "usage: make bench-compare BASE=<git rev>" >&2; exit 2; }
	scripts/bench-compare.sh $(BASE)

# The fleet benchmark alone: lade apply beside Helm and helmfile (bin/helmref,
# bin/helmfileref unless HELM and HELMFILE name others). A few minutes.
bench-fleet: build
	HELM=$(or $(HELM),$(HELM_REF_BIN)) HELMFILE=$(or $(HELMFILE),$(HELMFILE_REF_BIN)) scripts/bench-fleet.sh

# Interop with Helm's own code (separate modules importing helm.sh/helm/v4,
# or helm.sh/helm/v3 in test/interop-helm3; never a dependency of lade's
# go.mod): OCI format, release records, taking over Helm 3's releases.
INTEROP := test/interop test/interop-release test/interop-helm3
test-interop:
	@for m in $(INTEROP); do echo "== $$m"; (cd $$m && GOFLAGS=-mod=mod $(GO) test -count=1 ./...) || exit 1; done

# Generated from the lade.dev API types (pkg/api/...): deep-copy functions,
# the CRD (deploy/crds, embedded in the package as crd.yaml), the Release
# reference in docs/fleets.md.
# controller-gen runs from the module proxy; nothing of it is in go.mod.
CONTROLLER_GEN ?= $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0
API := ./pkg/api/v1alpha1
CRD := deploy/crds/lade.dev_releases.yaml
generate:
	$(CONTROLLER_GEN) object paths=$(API) crd:crdVersions=v1 output:crd:dir=$(dir $(CRD))
	cp $(CRD) $(API)/crd.yaml
	cp $(CRD) deploy/chart/crds/$(notdir $(CRD))
	$(GO) run ./hack/gen-fleet-docs

# Fails when a generated file differs from what `make generate` would write.
verify-generate:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(CONTROLLER_GEN) object paths=$(API) output:object:stdout > $$tmp/deepcopy.go && \
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=$(API) output:crd:dir=$$tmp && \
	for f in $(API)/zz_generated.deepcopy.go:deepcopy.go $(CRD):$(notdir $(CRD)) $(API)/crd.yaml:$(notdir $(CRD)) deploy/chart/crds/$(notdir $(CRD)):$(notdir $(CRD)); do \
	  if ! diff -u "$${f%%:*}" "$$tmp/$${f##*:}"; then echo "$${f%%:*} is stale: run make generate"; exit 1; fi; done && \
	$(GO) run ./hack/gen-fleet-docs -check

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: verify-generate
	@files=$$(gofmt -l cmd internal pkg hack test); if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@for m in $(INTEROP); do (cd $$m && GOFLAGS=-mod=mod $(GO) vet ./...) || exit 1; done

FUZZTIME ?= 30s
# Each fuzzer for FUZZTIME (plain `go test` runs only their seed corpora).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoadArchive$$' -fuzztime $(FUZZTIME) ./pkg/chart
	$(GO) test -run '^$$' -fuzz '^FuzzChartYAML$$' -fuzztime $(FUZZTIME) ./pkg/chart
	$(GO) test -run '^$$' -fuzz '^FuzzParseSet$$' -fuzztime $(FUZZTIME) ./pkg/values
	$(GO) test -run '^$$' -fuzz '^FuzzParseHead$$' -fuzztime $(FUZZTIME) ./pkg/render
	$(GO) test -run '^$$' -fuzz '^FuzzFastMap$$' -fuzztime $(FUZZTIME) ./internal/yamljson
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./internal/kubejson
	$(GO) test -run '^$$' -fuzz '^FuzzMarshalObject$$' -fuzztime $(FUZZTIME) ./internal/kubejson
	$(GO) test -run '^$$' -fuzz '^FuzzLoadFile$$' -fuzztime $(FUZZTIME) ./pkg/fleet/load

clean:
	rm -rf bin
