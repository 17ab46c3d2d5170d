package gcstart

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// startPercent raises Go's minimum heap goal (4 MiB x GOGC/100) to 16 MiB.
const startPercent = 400

// runPercent is the GC percent after the first collection. 150 made a few
// charts 4-8% faster but let opentelemetry-kube-stack's peak RSS reach
// Helm's in some runs (59-61 MiB against 57-60): peak memory below Helm's
// is a target too.
const runPercent = 100

var (
	mu       sync.Mutex
	started  bool // the start-up setting is in force
	override bool // a command chose its own setting
	floor    int  // raised by Raise during start-up: what end sets if higher than runPercent
)

func init() {
	if os.Getenv("GOGC") != "" {
		return
	}
	started = true
	debug.SetGCPercent(startPercent)
	// The first collection finds the sentinel unreachable and runs its
	// finalizer, which ends the start-up setting.
	s := &sentinel{}
	runtime.SetFinalizer(s, func(*sentinel) { end() })
}

// sentinel holds a pointer so it is not batched with other tiny objects,
// whose finalizers may never run.
type sentinel struct {
	_ *int
	_ [16]byte
}

func end() {
	mu.Lock()
	defer mu.Unlock()
	if started && !override {
		debug.SetGCPercent(max(runPercent, floor))
	}
	started = false
}

// Set gives the rest of the process the GC percent p (unless GOGC is set in
// the environment) and returns a function restoring the previous setting.
func Set(p int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	mu.Lock()
	override = true
	prev := debug.SetGCPercent(p)
	mu.Unlock()
	return func() { debug.SetGCPercent(prev) }
}

// Raise is Set(p) when the GC percent in force is lower than p (and GOGC is
// not set in the environment); otherwise it changes nothing and neither
// does the function it returns. While the start-up setting is in force
// (higher), the first collection ends it at p instead of runPercent.
func Raise(p int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	mu.Lock()
	defer mu.Unlock()
	if started && !override {
		if p <= max(runPercent, floor) {
			return func() {}
		}
		prev := floor
		floor = p
		return func() {
			mu.Lock()
			defer mu.Unlock()
			floor = prev
			if !started && !override {
				debug.SetGCPercent(max(runPercent, prev))
			}
		}
	}
	prev := debug.SetGCPercent(p)
	if prev >= p || prev < 0 {
		debug.SetGCPercent(prev)
		return func() {}
	}
	override = true
	return func() { debug.SetGCPercent(prev) }
}
