package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/release"
)

// TestWaitOnWorkloads runs the real lade binary against a control plane
// whose pods run (kwok), some of them failing as asked by their
// testenv.lade.dev/fail label: what a failed --wait says, Ctrl-C during a
// wait, and the live progress table on a small terminal. The control plane
// is this test's own: the package's shared one runs no controllers.
func TestWaitOnWorkloads(t *testing.T) {
	bin := buildLade(t)
	env := testenv.StartT(t, testenv.WithWorkloads())
	chartDir := "../../testdata/charts/release/app"
	kc := func(ns string) []string { return []string{"--kubeconfig", env.KubeconfigPath, "-n", ns} }

	// Each failure says, under the Deployment that is not ready, what its
	// pod's container shows and the warning Event kwok recorded as a
	// kubelet would: in the progress output, the error and the recorded
	// revision's description.
	for _, c := range []struct {
		fail string
		want []string
	}{
		{"image-pull", []string{
			`container web waiting: ImagePullBackOff: Back-off pulling image "nginx"`,
			`event Failed on Pod web-web-`, `: Error: ImagePullBackOff`,
		}},
		{"crash", []string{
			`container web waiting: CrashLoopBackOff: back-off 5m0s restarting failed container; restarted 5 time(s), last exit: Error (exit code 1)`,
			`event BackOff on Pod web-web-`, `: Back-off restarting failed container`,
		}},
		{"not-ready", []string{
			`container web running but not ready`,
			`event Unhealthy on Pod web-web-`, `: Readiness probe failed: HTTP probe failed with statuscode: 503`,
		}},
	} {
		t.Run("failure="+c.fail, func(t *testing.T) {
			t.Parallel()
			ns := env.NewNamespace(t)
			r := runBin(t, bin, append([]string{"install", "web", chartDir, "--set", "deploy=true,fail=" + c.fail, "--wait", "--timeout", "10s"}, kc(ns)...)...)
			t.Logf("lade install --wait (%s pod):\n%s%s", c.fail, r.stdout, r.stderr)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1", r.code)
			}
			at := strings.Index(r.stderr, "Error: timed out")
			if at < 0 {
				t.Fatalf("no timeout error")
			}
			errText, progress := r.stderr[at:], r.stderr[:at]
			head := "Error: timed out after 10s waiting for 1 resource(s) to become ready:\n  Deployment " + ns + "/web-web: InProgress: "
			if !strings.HasPrefix(errText, head) {
				t.Errorf("the error does not start with %q:\n%s", head, errText)
			}
			hist := historyOf(t, bin, kc(ns))
			if len(hist) != 1 || hist[0].Status != "failed" || !strings.HasPrefix(hist[0].Description, `Release "web" failed: timed out after 10s`) {
				t.Fatalf("history: %+v", hist)
			}
			for _, want := range c.want {
				for where, text := range map[string]string{"error": errText, "progress": progress, "recorded description": hist[0].Description} {
					if !strings.Contains(text, want) {
						t.Errorf("the %s does not say %q:\n%s", where, want, text)
					}
				}
			}
		})
	}

	// --rollback-on-failure on an install uninstalls it and says so, in
	// Helm 4's words.
	t.Run("install-rollback-on-failure", func(t *testing.T) {
		t.Parallel()
		ns := env.NewNamespace(t)
		r := runBin(t, bin, append([]string{"install", "web", chartDir, "--set", "deploy=true,fail=crash", "--wait", "--timeout", "8s", "--rollback-on-failure"}, kc(ns)...)...)
		want := "Error: release web failed, and has been uninstalled due to rollback-on-failure being set: timed out after 8s"
		if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "CrashLoopBackOff") {
			t.Fatalf("exit %d, want 1 and %q:\n%s", r.code, want, r.stderr)
		}
		if r := runBin(t, bin, append([]string{"history", "web"}, kc(ns)...)...); r.code == 0 {
			t.Fatalf("the release is still there:\n%s", r.stdout)
		}
	})

	// Ctrl-C while `upgrade --wait` waits: lade says it was interrupted
	// (not timed out), records that, releases the lease and exits 130.
	t.Run("sigint", func(t *testing.T) {
		t.Parallel()
		ns := env.NewNamespace(t)
		mustBin(t, bin, append([]string{"install", "web", chartDir}, kc(ns)...)...)
		cmd := exec.Command(bin, append([]string{"upgrade", "web", chartDir, "--set", "deploy=true,fail=not-ready", "--wait", "--timeout", "5m"}, kc(ns)...)...)
		var stdout bytes.Buffer
		stderr := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = &stdout, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		waitFor(t, exited, stderr, "running but not ready", 60*time.Second)
		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		var err error
		select {
		case err = <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("lade did not stop within 30s of SIGINT:\n%s", stderr.String())
		}
		t.Logf("stopped %s after SIGINT:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("exit: %v, want status 130", err)
		}
		out := stderr.String()
		for _, want := range []string{
			"Interrupted (SIGINT): stopping; press Ctrl-C again to exit at once.",
			"Error: interrupted (SIGINT) after ",
			"waiting for 1 resource(s) to become ready:\n  Deployment " + ns + "/web-web: InProgress",
			"container web running but not ready",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stderr does not say %q", want)
			}
		}
		if strings.Contains(out, "timed out") {
			t.Errorf("an interrupt is reported as a timeout")
		}
		hist := historyOf(t, bin, kc(ns))
		if len(hist) != 2 || hist[1].Status != "failed" || !strings.HasPrefix(hist[1].Description, `Release "web" failed: interrupted (SIGINT) after `) ||
			!strings.Contains(hist[1].Description, "running but not ready") {
			t.Errorf("history after the interrupt: %+v", hist)
		}
		_, lerr := env.Clientset().CoordinationV1().Leases(ns).Get(context.Background(), release.LeaseName("web"), metav1.GetOptions{})
		if !apierrors.IsNotFound(lerr) {
			t.Errorf("the interrupted upgrade left its Lease: %v", lerr)
		}
		// The next upgrade needs no recovery.
		r := mustBin(t, bin, append([]string{"upgrade", "web", chartDir}, kc(ns)...)...)
		if strings.Contains(r.stdout+r.stderr, "Took over") || strings.Contains(r.stdout+r.stderr, "marked it failed") {
			t.Errorf("the next upgrade had to recover:\n%s%s", r.stdout, r.stderr)
		}
	})

	// 60 objects (a ConfigMap and 59 Deployments, one never ready) on a
	// 30-row terminal: every frame fits, is redrawn in place and the final
	// screen shows the Deployment that is not ready, why, and a summary of
	// the ready rest.
	t.Run("tty-progress", func(t *testing.T) {
		t.Parallel()
		ns := env.NewNamespace(t)
		const rows, cols = 30, 100
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		if err := pty.Setsize(ptmx, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, append([]string{"install", "web", chartDir, "--set", "deploy=true,fail=not-ready,many=58", "--wait", "--timeout", "15s"}, kc(ns)...)...)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		var screenBytes bytes.Buffer
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(&screenBytes, ptmx); close(copied) }() // ends with EIO once lade exits
		_ = cmd.Wait()
		<-copied
		raw := screenBytes.String()
		cut := strings.Index(raw, "Error: timed out")
		if cut < 0 {
			t.Fatalf("no error at the end of the output:\n%q", raw)
		}
		vt := newVT(rows, cols)
		vt.write(raw[:cut]) // the progress view, before the error is printed
		t.Logf("%d bytes of progress, %d frames; final screen:\n%s", cut, len(vt.ups)+1, strings.Join(vt.screen(), "\n"))
		if len(vt.ups) == 0 {
			t.Fatalf("the table was never redrawn:\n%q", raw[:cut])
		}
		for _, n := range vt.ups {
			if n > rows-1 {
				t.Errorf("a redraw moves the cursor up %d lines on a %d-row terminal", n, rows)
			}
		}
		for i, n := range vt.frameLines {
			if n > rows-1 {
				t.Errorf("frame %d has %d lines", i, n)
			}
		}
		if vt.wraps > 0 {
			t.Errorf("%d lines wrapped", vt.wraps)
		}
		if len(vt.scrollback) > 0 {
			t.Errorf("lines were pushed into the scrollback:\n%s", strings.Join(vt.scrollback, "\n"))
		}
		screen := vt.screen()
		if !strings.HasPrefix(screen[0], "RESOURCE") {
			t.Errorf("the table header is not on the first line: %q", screen[0])
		}
		notReady := regexp.MustCompile(`^Deployment ` + ns + `/web-web +InProgress `)
		var sawNotReady, sawDetail bool
		ready := 0
		more := regexp.MustCompile(`^\.\.\. and (\d+) more ready$`)
		summarised := -1
		for _, l := range screen[1:] {
			switch {
			case notReady.MatchString(l):
				sawNotReady = true
			case strings.Contains(l, "container web running but not ready"):
				sawDetail = true
			case strings.Contains(l, " Current "):
				ready++
			case more.MatchString(l):
				summarised, _ = strconv.Atoi(more.FindStringSubmatch(l)[1])
			}
		}
		if !sawNotReady || !sawDetail || summarised < 0 || ready+summarised != 59 {
			t.Errorf("final screen: not-ready row %v, its pod's problem %v, %d ready rows + %d summarised (want 59)", sawNotReady, sawDetail, ready, summarised)
		}
	})
}

// waitFor waits until out holds want, failing if the process exits first.
func waitFor(t *testing.T, exited chan error, out *syncBuffer, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(out.String(), want) {
		select {
		case err := <-exited:
			t.Fatalf("lade ended before saying %q: %v\n%s", want, err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lade did not say %q within %s:\n%s", want, d, out.String())
		}
	}
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// vt is a minimal terminal: printable runes, CR, LF (scrolling lines off
// the top into scrollback), wrapping at the last column, cursor up (CSI n
// A) and erase below (CSI J); other escape sequences are ignored. It
// records every cursor-up, the lines written between two of them, and
// every wrap.
type vt struct {
	rows, cols int
	lines      [][]rune
	row, col   int
	scrollback []string
	ups        []int
	frameLines []int
	wraps      int
}

func newVT(rows, cols int) *vt {
	v := &vt{rows: rows, cols: cols, lines: make([][]rune, rows)}
	for i := range v.lines {
		v.lines[i] = []rune(strings.Repeat(" ", cols))
	}
	return v
}

func (v *vt) lineFeed() {
	v.row++
	if v.row == v.rows {
		v.scrollback = append(v.scrollback, strings.TrimRight(string(v.lines[0]), " "))
		copy(v.lines, v.lines[1:])
		v.lines[v.rows-1] = []rune(strings.Repeat(" ", v.cols))
		v.row = v.rows - 1
	}
}

func (v *vt) write(s string) {
	newlines := 0
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\r':
			v.col = 0
		case r == '\n':
			newlines++
			v.lineFeed()
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ';' || rs[j] == '?') {
				j++
			}
			if j == len(rs) {
				return
			}
			param := string(rs[i+2 : j])
			switch rs[j] {
			case 'A':
				n, err := strconv.Atoi(param)
				if err != nil {
					n = 1
				}
				v.ups = append(v.ups, n)
				v.frameLines = append(v.frameLines, newlines)
				newlines = 0
				v.row = max(v.row-n, 0)
			case 'J':
				for c := v.col; c < v.cols; c++ {
					v.lines[v.row][c] = ' '
				}
				for l := v.row + 1; l < v.rows; l++ {
					v.lines[l] = []rune(strings.Repeat(" ", v.cols))
				}
			}
			i = j
		case r < ' ':
		default:
			if v.col == v.cols {
				v.wraps++
				v.col = 0
				v.lineFeed()
			}
			v.lines[v.row][v.col] = r
			v.col++
		}
	}
	v.frameLines = append(v.frameLines, newlines)
}

// screen returns the screen's lines without trailing blanks, up to the
// last one written.
func (v *vt) screen() []string {
	var out []string
	for _, l := range v.lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
