package main

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Commands that are not release operations end on the first Ctrl-C, as
// without lade's interrupt handling: here one blocked reading a password.
func TestInterruptEndsOtherCommandsAtOnce(t *testing.T) {
	bin := buildLade(t)
	cmd := exec.Command(bin, "registry", "login", "127.0.0.1:1", "-u", "me", "--password-stdin")
	stdin, err := cmd.StdinPipe() // never written nor closed: login waits
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("lade registry login did not end on SIGINT:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("want the process ended by SIGINT, got %v\n%s", ee, stderr.String())
	}
}
