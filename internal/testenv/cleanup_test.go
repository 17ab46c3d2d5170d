package testenv

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const panicChildEnv = "LADE_TESTENV_PANIC_CHILD"

// TestPanicChild is the child half of TestProcessesDieWithPanickingTest: it
// starts a control plane, prints its PIDs and panics without any cleanup.
func TestPanicChild(t *testing.T) {
	if os.Getenv(panicChildEnv) != "1" {
		t.Skip("helper process for TestProcessesDieWithPanickingTest")
	}
	env, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, pid := range env.PIDs() {
		fmt.Printf("PID %s %d %s\n", name, pid, filepath.Join(env.BinDir, name))
	}
	fmt.Printf("DIR %s\n", env.Dir)
	panic("simulated test panic with a running control plane")
}

// A test that panics (or is killed by -timeout) must not leave etcd or the
// apiserver running: they are started with Pdeathsig from a thread that lives
// as long as the test binary.
func TestProcessesDieWithPanickingTest(t *testing.T) {
	if SkipRequested() {
		t.Skipf("cluster test skipped: %s=1", EnvSkip)
	}
	if os.Getenv(panicChildEnv) == "1" {
		t.Skip("in the child")
	}
	dir, err := FindBinDir()
	if err == nil {
		err = checkBinaries(dir, []string{Etcd, KubeAPIServer})
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPanicChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), panicChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "simulated test panic") {
		t.Fatalf("child did not panic as planned (err %v):\n%s", err, out)
	}
	type proc struct {
		name, exe string
		pid       int
	}
	var procs []proc
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "PID":
			pid, _ := strconv.Atoi(f[2])
			procs = append(procs, proc{f[1], f[3], pid})
		case len(f) == 2 && f[0] == "DIR" && strings.Contains(f[1], tempPrefix):
			t.Cleanup(func() { os.RemoveAll(f[1]) })
		}
	}
	if len(procs) < 2 {
		t.Fatalf("child reported %d processes:\n%s", len(procs), out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range procs {
		for pidAlive(p.pid, p.exe) {
			if time.Now().After(deadline) {
				t.Fatalf("%s (pid %d) survived the panicking test binary", p.name, p.pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
