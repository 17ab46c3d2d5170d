// Command cluster starts and stops lade's local Kubernetes environment (the
// same one the tests use, see internal/testenv) for trying lade by hand:
//
//	make cluster-up     # go run ./hack/cluster up
//	export KUBECONFIG=$PWD/.cluster/kubeconfig
//	make cluster-down   # go run ./hack/cluster down
//
// It runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (fake nodes) on 127.0.0.1 from bin/k8s/<version> (make k8s-bins). The
// processes keep running after this command exits; their PIDs, certificates,
// data and logs are kept in the state directory (default .cluster).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/lade-dev/lade/internal/testenv"
)

func main() {
	dir := flag.String("dir", ".cluster", "state directory (kubeconfig, pki, data, logs)")
	nodes := flag.Int("nodes", 1, "number of fake kwok nodes (110 pods each)")
	timeout := flag.Duration("timeout", 3*time.Minute, "start-up timeout per step")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] up|down|status\n", filepath.Base(os.Args[0]))
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fail(err)
	}
	switch flag.Arg(0) {
	case "up":
		up(abs, *nodes, *timeout)
	case "down":
		if err := testenv.StopDir(abs); err != nil {
			fail(err)
		}
		if err := os.RemoveAll(abs); err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "cluster stopped, %s removed\n", abs)
	case "status":
		kubeconfig, pids, alive := testenv.Running(abs)
		if pids == nil {
			fmt.Fprintf(os.Stderr, "no cluster in %s (make cluster-up)\n", abs)
			os.Exit(1)
		}
		printPIDs(pids)
		if !alive {
			fmt.Fprintf(os.Stderr, "some components are down (logs: %s/logs); restart with make cluster-down cluster-up\n", abs)
			os.Exit(1)
		}
		fmt.Printf("export KUBECONFIG=%s\n", kubeconfig)
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func up(dir string, nodes int, timeout time.Duration) {
	if kubeconfig, pids, alive := testenv.Running(dir); alive {
		fmt.Fprintf(os.Stderr, "cluster already running in %s\n", dir)
		printPIDs(pids)
		fmt.Printf("export KUBECONFIG=%s\n", kubeconfig)
		return
	}
	// leftovers of a partly dead cluster: stop exactly its recorded PIDs first
	if err := testenv.StopDir(dir); err != nil {
		fail(err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	env, err := testenv.Start(context.Background(),
		testenv.WithDir(dir), testenv.WithDetached(), testenv.WithNodes(nodes),
		testenv.WithTimeout(timeout), testenv.WithLogf(logf))
	if err != nil {
		fail(err)
	}
	printPIDs(env.PIDs())
	fmt.Fprintf(os.Stderr, "kubernetes %s at %s, logs in %s/logs; stop with: make cluster-down\n",
		testenv.KubernetesVersion, env.Server, dir)
	fmt.Fprintf(os.Stderr, "pods become Ready through kwok; label a pod %s=%s|%s|%s|%s to simulate failures\n",
		testenv.FailLabel, testenv.FailImagePull, testenv.FailNotReady, testenv.FailCrash, testenv.FailError)
	fmt.Printf("export KUBECONFIG=%s\n", env.KubeconfigPath)
}

func printPIDs(pids map[string]int) {
	names := make([]string, 0, len(pids))
	for n := range pids {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-24s pid %d\n", n, pids[n])
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
	os.Exit(1)
}
