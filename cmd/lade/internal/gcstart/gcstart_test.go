package gcstart

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func percent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestStartUpThenDefault checks the life of the setting: 400 until the
// first collection, runPercent after it, and a command's own choice is kept.
func TestStartUpThenDefault(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: the package leaves the collector alone")
	}
	mu.Lock()
	s := started
	mu.Unlock()
	if s && percent() != startPercent {
		t.Fatalf("before the first collection GC percent is %d, want %d", percent(), startPercent)
	}
	deadline := time.Now().Add(5 * time.Second)
	for percent() != runPercent {
		if time.Now().After(deadline) {
			t.Fatalf("after collections GC percent is still %d, want %d", percent(), runPercent)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}

	restore := Set(300)
	if p := percent(); p != 300 {
		t.Fatalf("after Set(300) GC percent is %d", p)
	}
	restore()
	if p := percent(); p != runPercent {
		t.Fatalf("after restore GC percent is %d, want %d", p, runPercent)
	}

	// Raise raises only.
	restore = Raise(200)
	if p := percent(); p != 200 {
		t.Fatalf("after Raise(200) GC percent is %d", p)
	}
	inner := Raise(150)
	if p := percent(); p != 200 {
		t.Fatalf("Raise(150) lowered the GC percent to %d", p)
	}
	inner()
	if p := percent(); p != 200 {
		t.Fatalf("the restore of a Raise that changed nothing set the GC percent to %d", p)
	}
	restore()
	if p := percent(); p != runPercent {
		t.Fatalf("after the restore of Raise(200) GC percent is %d, want %d", p, runPercent)
	}
}

// TestRaiseDuringStartUp: a Raise while the start-up setting (higher) is in
// force keeps it, and the first collection ends it at the raised target;
// the restore goes back to runPercent.
func TestRaiseDuringStartUp(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: the package leaves the collector alone")
	}
	// The process's own start-up setting ends first, so that its
	// finalizer cannot run in the middle of this test.
	for deadline := time.Now().Add(5 * time.Second); ; {
		mu.Lock()
		s := started
		mu.Unlock()
		if !s {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the start-up setting did not end after collections")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	savedStarted, savedOverride := started, override
	started, override = true, false
	mu.Unlock()
	prev := debug.SetGCPercent(startPercent)
	defer func() {
		mu.Lock()
		started, override, floor = savedStarted, savedOverride, 0
		mu.Unlock()
		debug.SetGCPercent(prev)
	}()

	restore := Raise(200)
	if p := percent(); p != startPercent {
		t.Fatalf("Raise(200) during start-up changed the GC percent to %d, want %d kept", p, startPercent)
	}
	end() // what the first collection does
	if p := percent(); p != 200 {
		t.Fatalf("start-up ended at GC percent %d, want the raised 200", p)
	}
	restore()
	if p := percent(); p != runPercent {
		t.Fatalf("after the restore GC percent is %d, want %d", p, runPercent)
	}

	// A Raise restored before the start-up ends leaves no trace.
	mu.Lock()
	started = true
	mu.Unlock()
	debug.SetGCPercent(startPercent)
	Raise(200)()
	end()
	if p := percent(); p != runPercent {
		t.Fatalf("start-up ended at GC percent %d after a restored Raise, want %d", p, runPercent)
	}
}
