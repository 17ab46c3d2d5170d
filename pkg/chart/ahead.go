package chart

import "sync"

// aheadLoads holds the loads LoadAhead started, by path: an *aheadLoad each.
var aheadLoads sync.Map

type aheadLoad struct {
	done  chan struct{}
	chart *Chart
	err   error
	held  heldWarnings
}

// LoadAhead starts Load(p) in the background, for a program that knows which
// chart it will load before it is ready to use it (lade starts it while the
// process initialises). The next Load of the same path p waits for that
// result instead of reading the chart again (so does a ParseCache's Load);
// its warnings reach
// WarningHandler then, as if the load had happened there. Changes to the
// chart between the two calls are not seen, so start it just before.
//
// then, if not nil, is given the chart once it has loaded, before any Load
// can take it, to start more work from it; it must neither keep nor change
// the chart.
func LoadAhead(p string, then func(*Chart)) {
	a := &aheadLoad{done: make(chan struct{})}
	if _, started := aheadLoads.LoadOrStore(p, a); started {
		return
	}
	go func() {
		defer close(a.done)
		a.chart, a.err = loadPath(p, &a.held)
		if a.err == nil && then != nil {
			then(a.chart)
		}
	}()
}

// takeAhead returns the load LoadAhead started for p, if any, once it is
// over; each is taken once.
func takeAhead(p string) *aheadLoad {
	x, ok := aheadLoads.LoadAndDelete(p)
	if !ok {
		return nil
	}
	a := x.(*aheadLoad)
	<-a.done
	return a
}

// result replays the load's warnings and returns its chart or error.
func (a *aheadLoad) result() (*Chart, error) {
	for _, msg := range a.held.msgs {
		warn(msg)
	}
	return a.chart, a.err
}

// heldWarnings keeps a load's warnings, in the order they came.
type heldWarnings struct {
	mu   sync.Mutex
	msgs []string
}

func (h *heldWarnings) add(msg string) {
	h.mu.Lock()
	h.msgs = append(h.msgs, msg)
	h.mu.Unlock()
}
