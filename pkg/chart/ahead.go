package chart

import "sync"

// Preloads are chart loads started ahead of their use, by path, for a
// program that knows which chart it will load before it is ready to use it
// (lade starts them while the process initialises, and passes them to the
// commands that load charts). The zero value holds no loads; so does a nil
// *Preloads. Safe for concurrent use.
type Preloads struct {
	mu    sync.Mutex
	loads map[string]*preload
}

type preload struct {
	done  chan struct{}
	chart *Chart
	err   error
	held  heldWarnings
}

// Start starts Load(p) in the background, unless a load of p was started
// already. Its warnings are kept for the Take (or Load) of p, which passes
// them to WarningHandler as if the load had happened there. Changes to the
// chart before then are not seen, so start it just before.
//
// then, if not nil, is given the chart once it has loaded, before Take can
// return it, to start more work from it; it must neither keep nor change
// the chart.
func (s *Preloads) Start(p string, then func(*Chart)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, started := s.loads[p]; started {
		return
	}
	if s.loads == nil {
		s.loads = map[string]*preload{}
	}
	a := &preload{done: make(chan struct{})}
	s.loads[p] = a
	go func() {
		defer close(a.done)
		a.chart, a.err = loadPath(p, &a.held)
		if a.err == nil && then != nil {
			then(a.chart)
		}
	}()
}

// Take returns the result of the load started for p, once it is over, and
// whether one was started; the load's warnings reach WarningHandler now.
// Each load is taken once: the next Take of p finds none.
func (s *Preloads) Take(p string) (c *Chart, started bool, err error) {
	if s == nil {
		return nil, false, nil
	}
	s.mu.Lock()
	a, ok := s.loads[p]
	delete(s.loads, p)
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	<-a.done
	for _, msg := range a.held.msgs {
		warn(msg)
	}
	return a.chart, true, a.err
}

// Load is Take, or Load(p) when no load of p was started.
func (s *Preloads) Load(p string) (*Chart, error) {
	if c, started, err := s.Take(p); started {
		return c, err
	}
	return Load(p)
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
