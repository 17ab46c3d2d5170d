package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// emitter serialises Observe calls.
type emitter struct {
	mu sync.Mutex
	f  func(Event)
}

func (e *Engine) emitter() *emitter { return &emitter{f: e.Observe} }

func (m *emitter) emit(ev Event) { m.emitUnless(nil, nil, ev) }

// emitUnless reports ev unless the channel unless is closed; then it
// closes done, if given: a release's final event and the closing of its
// done channel happen at once, so that no dependent reports waiting for it
// after it was reported final.
func (m *emitter) emitUnless(unless, done chan struct{}, ev Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if done != nil {
		defer close(done)
	}
	select {
	case <-unless:
		return
	default:
	}
	if m.f != nil {
		m.f(ev)
	}
}

// Apply applies a plan: every release in dependsOn order, independent
// ones in parallel (up to Concurrency), each once every release it depends
// on is Ready (kstatus); then, with Prune, uninstalls the releases that
// left the fleet. A release planned unchanged gets no new revision. A
// release that fails (or could not be planned) makes the releases
// depending on it, directly or not, skipped; the others still run. The
// outcome is in each item (State, Detail, Err, Elapsed); the error,
// matching ErrFailed, counts what failed and was skipped. When ctx is
// cancelled the running releases stop as an interrupted operation does
// (pkg/release) and those not started are skipped.
func (e *Engine) Apply(ctx context.Context, p *Plan) error {
	if e.Holder == "" {
		e.Holder = release.Identity()
	}
	em := e.emitter()
	done := map[Key]chan struct{}{}
	byKey := map[Key]*Item{}
	for _, it := range p.Items {
		it.done = make(chan struct{})
		done[it.Key] = it.done
		byKey[it.Key] = it
	}
	slots := make(chan struct{}, e.concurrency())
	var external sync.Map // Key -> func() error (readiness of a release outside the plan)
	var wg sync.WaitGroup
	var prunes []*Item
	for _, it := range p.Items {
		if it.Action == ActionPrune {
			prunes = append(prunes, it)
			continue
		}
		wg.Go(func() {
			start := time.Now()
			e.run(ctx, it, start, em, func() string {
				return e.awaitDeps(ctx, it, done, byKey, &external, em, start)
			}, slots)
			it.Elapsed = time.Since(start)
		})
	}
	wg.Wait()
	for _, it := range prunes {
		wg.Go(func() {
			start := time.Now()
			e.prune(ctx, it, start, em, slots)
			it.Elapsed = time.Since(start)
		})
	}
	wg.Wait()
	var failed, skipped int
	for _, it := range p.Items {
		switch it.State {
		case StateFailed:
			failed++
		case StateSkipped:
			skipped++
		}
	}
	if failed+skipped == 0 {
		return nil
	}
	err := fmt.Errorf("%w: %d failed, %d skipped", ErrFailed, failed, skipped)
	if ctx.Err() != nil {
		// Interrupted: the cause first (the command line exits 130 on it).
		return fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	return err
}

// finish records the final state of it, reports it and tells its
// dependents (closing it.done).
func finish(it *Item, em *emitter, start time.Time, st State, detail string, err error) {
	it.State, it.Detail = st, detail
	if err != nil {
		it.Err = err
		if detail == "" {
			it.Detail = err.Error()
		}
	}
	em.emitUnless(nil, it.done, Event{Key: it.Key, State: st, Detail: it.Detail, Since: start})
}

// run applies one release: it waits for its dependencies (awaitDeps says
// why it must not run, if so), takes a slot, deploys unless unchanged, and
// waits for it to be Ready when others depend on it.
func (e *Engine) run(ctx context.Context, it *Item, start time.Time, em *emitter, awaitDeps func() string, slots chan struct{}) {
	if it.Action == ActionNone {
		finish(it, em, start, StateFailed, "", it.Err)
		return
	}
	if why := awaitDeps(); why != "" {
		finish(it, em, start, StateSkipped, why, nil)
		return
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		finish(it, em, start, StateSkipped, "not started: "+context.Cause(ctx).Error(), nil)
		return
	}
	defer func() { <-slots }()
	cfg := e.config(it.Namespace)
	ready := it.Action == ActionUnchanged
	if it.Changed() {
		em.emit(Event{Key: it.Key, State: StateApplying, Detail: string(it.Action), Since: start})
		rel, err := deployRelease(ctx, cfg, it.plan, it.opts)
		if err != nil {
			finish(it, em, start, StateFailed, "", err)
			return
		}
		it.Revision = rel.Version
		ready = it.opts.Wait
	}
	if !ready && it.hasDeps {
		em.emit(Event{Key: it.Key, State: StateApplying, Detail: "waiting until Ready (others depend on it)", Since: start})
		if err := e.waitReady(ctx, it.Key, it.opts.Timeout, it.opts.WaitForJobs); err != nil {
			finish(it, em, start, StateFailed, "", err)
			return
		}
	}
	detail := fmt.Sprintf("%s, revision %d", it.Action, it.Revision)
	if it.Action == ActionUnchanged {
		detail = fmt.Sprintf("unchanged, revision %d", it.Revision)
	}
	finish(it, em, start, StateReady, detail, nil)
}

// awaitDeps waits until every dependency of it is done and returns "" if
// all are Ready, else why it must be skipped.
func (e *Engine) awaitDeps(ctx context.Context, it *Item, done map[Key]chan struct{}, byKey map[Key]*Item, external *sync.Map, em *emitter, start time.Time) string {
	for _, d := range it.DependsOn {
		ch, ok := done[d]
		if !ok {
			em.emit(Event{Key: it.Key, State: StateWaiting, Detail: "for " + d.String() + " to be Ready", Since: start})
			f, _ := external.LoadOrStore(d, sync.OnceValue(func() error {
				return e.waitReady(ctx, d, 0, false)
			}))
			if err := f.(func() error)(); err != nil {
				return fmt.Sprintf("dependency %s is not Ready: %v", d, err)
			}
			continue
		}
		em.emitUnless(ch, nil, Event{Key: it.Key, State: StateWaiting, Detail: "for " + d.String(), Since: start})
		<-ch
		if dep := byKey[d]; dep.State != StateReady {
			return fmt.Sprintf("dependency %s %s", d, dep.State)
		}
	}
	return ""
}

// waitReady waits until the objects of the deployed revision of k are
// Ready (kstatus; Jobs only with forJobs).
func (e *Engine) waitReady(ctx context.Context, k Key, timeout time.Duration, forJobs bool) error {
	cfg := e.config(k.Namespace)
	rel, err := cfg.Storage().Deployed(ctx, k.Name)
	if err != nil {
		return err
	}
	b, err := cfg.StoredObjects(rel, false)
	if err != nil {
		return err
	}
	return cfg.Kube.Wait(ctx, b.Resources, kube.WaitOptions{Timeout: timeout, WaitForJobs: forJobs})
}

// prune uninstalls a release that left the fleet.
func (e *Engine) prune(ctx context.Context, it *Item, start time.Time, em *emitter, slots chan struct{}) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		finish(it, em, start, StateSkipped, "not started: "+context.Cause(ctx).Error(), nil)
		return
	}
	defer func() { <-slots }()
	em.emit(Event{Key: it.Key, State: StatePruning, Since: start})
	_, err := e.config(it.Namespace).Uninstall(ctx, release.UninstallOptions{Name: it.Name, IgnoreNotFound: true,
		CommonOptions: release.CommonOptions{Description: "Pruned: no longer in fleet " + e.Fleet}})
	if err != nil {
		finish(it, em, start, StateFailed, "", err)
		return
	}
	finish(it, em, start, StatePruned, "uninstalled", nil)
}
