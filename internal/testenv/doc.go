// Package testenv runs a real Kubernetes control plane and a real OCI registry
// on 127.0.0.1 for lade's tests and for `make cluster-up`.
//
// The control plane is etcd + kube-apiserver (like controller-runtime's envtest)
// and, on request, kube-controller-manager, kube-scheduler and kwok, whose fake
// nodes move pods through their lifecycle (see the Fail* constants for the
// failures a test can trigger). The binaries are built from Go modules by
// `make k8s-bins` into bin/k8s/<KubernetesVersion>/.
//
// Typical use, one control plane per test package:
//
//	func TestMain(m *testing.M) { testenv.Main(m, testenv.WithWorkloads()) }
//
//	func TestX(t *testing.T) {
//		env := testenv.Shared(t)      // started on first use, stopped after m.Run
//		ns := testenv.NewNamespace(t) // per-test namespace, deleted at cleanup
//		cs := env.Clientset()
//		...
//	}
//
// Every process is started in its own process group and killed by PID when the
// environment stops; attached processes also die with the test binary (Linux
// Pdeathsig), so a panicking or timed-out test leaves nothing running.
//
// The apiserver's "cluster" egress (webhooks, aggregated APIs, proxy, logs, exec)
// is routed to a Unix socket nobody listens on, so it never dials the fake pod
// and service addresses: all traffic stays on loopback.
//
// It imports nothing of lade.
package testenv
