package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one control-plane component started by the environment.
type process struct {
	Name    string
	Path    string
	Args    []string
	LogFile string

	cmd    *exec.Cmd
	pid    int
	done   chan struct{} // closed when the process has exited (attached mode)
	waitMu sync.Mutex
	err    error
}

// spawnReq asks the spawner thread to start a command.
type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

// startOnLockedThread starts cmd from an OS thread that lives as long as this process.
//
// Pdeathsig is delivered when the *thread* that forked the child exits, not the
// process (golang/go#27505); the Go runtime may retire threads, so all attached
// children are forked from one goroutine that stays locked to its thread forever.
// That way the children die with the test binary even when a test panics or
// `go test -timeout` kills it, and no control plane is ever left behind.
func startOnLockedThread(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not exit
			for req := range spawnCh {
				req.errc <- req.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, errc: errc}
	return <-errc
}

// start launches the process in its own process group. Attached processes die
// with the current process (Pdeathsig); detached ones (make cluster-up) get their
// own session and outlive it.
func (p *process) start(detached bool) error {
	logf, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== %s starting: %s %s\n", time.Now().UTC().Format(time.RFC3339), p.Path, strings.Join(p.Args, " "))

	cmd := exec.Command(p.Path, p.Args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = filepath.Dir(p.LogFile)
	if detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		err = cmd.Start()
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		err = startOnLockedThread(cmd)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd = cmd
	p.pid = cmd.Process.Pid
	p.done = make(chan struct{})
	go func() {
		err := cmd.Wait()
		p.waitMu.Lock()
		p.err = err
		p.waitMu.Unlock()
		close(p.done)
	}()
	return nil
}

// exited reports whether the process has ended, with its exit error.
func (p *process) exited() (bool, error) {
	if p.done == nil {
		return !pidAlive(p.pid, p.Path), nil
	}
	select {
	case <-p.done:
		p.waitMu.Lock()
		defer p.waitMu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the process group, waits up to grace, then SIGKILLs it.
func (p *process) stop(grace time.Duration) {
	if p == nil || p.pid <= 0 {
		return
	}
	if done, _ := p.exited(); done {
		killGroup(p.pid, syscall.SIGKILL) // leftovers in the group, if any
		return
	}
	killGroup(p.pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if done, _ := p.exited(); done {
			killGroup(p.pid, syscall.SIGKILL)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	killGroup(p.pid, syscall.SIGKILL)
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	if p.done != nil {
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	}
}

// killGroup signals the process group led by pid (each component is started
// as a group leader), never anything else.
func killGroup(pid int, sig syscall.Signal) {
	if pid > 1 {
		_ = syscall.Kill(-pid, sig)
	}
}

// pidAlive reports whether pid runs the executable exe (guards against PID reuse).
func pidAlive(pid int, exe string) bool {
	if pid <= 1 {
		return false
	}
	target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return false
	}
	target = strings.TrimSuffix(target, " (deleted)")
	if exe == "" {
		return true
	}
	want, err := filepath.EvalSymlinks(exe)
	if err != nil {
		want = exe
	}
	return target == want || target == exe
}

// logTail returns the last n lines of the process log.
func (p *process) logTail(n int) string {
	data, err := os.ReadFile(p.LogFile)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// diedError describes a component that exited during start-up, with its log.
func (p *process) diedError(waitingFor string) error {
	_, err := p.exited()
	msg := fmt.Sprintf("%s exited while waiting for %s", p.Name, waitingFor)
	if err != nil {
		msg += " (" + err.Error() + ")"
	}
	return &startError{msg: fmt.Sprintf("%s; log %s:\n%s", msg, p.LogFile, p.logTail(30)), portClash: strings.Contains(p.logTail(60), "address already in use")}
}

// startError is a start-up failure; portClash marks a lost race for a free port,
// after which Start retries with new ports.
type startError struct {
	msg       string
	portClash bool
}

func (e *startError) Error() string { return e.msg }

func isPortClash(err error) bool {
	var se *startError
	return errors.As(err, &se) && se.portClash
}
