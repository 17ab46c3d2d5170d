package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{-1, 0, 1, 3, 64} {
		for _, n := range []int{0, 1, 7, 1000} {
			seen := make([]atomic.Int32, n)
			var running, peak atomic.Int32
			For(workers, n, func(i int) {
				r := running.Add(1)
				for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
				}
				seen[i].Add(1)
				running.Add(-1)
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("workers %d, n %d: f(%d) called %d times", workers, n, i, c)
				}
			}
			if workers > 0 && int(peak.Load()) > workers {
				t.Fatalf("workers %d: %d calls ran at once", workers, peak.Load())
			}
		}
	}
}
