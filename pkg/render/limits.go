package render

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"runtime/metrics"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Limits bound what one render may use, so that a hostile chart fails in
// bounded time and memory with an error naming the limit. Zero fields take
// the defaults (DefaultLimits); docs/limits.md explains each one.
type Limits struct {
	// MaxRenderBytes bounds the output of all templates together
	// (--max-render-bytes).
	MaxRenderBytes int64
	// MaxTemplateBytes bounds the strings a template builds at once: its
	// own output together with the include and tpl results being built
	// inside it, and any one string or list a function returns
	// (--max-template-bytes).
	MaxTemplateBytes int64
	// MaxTemplateDepth bounds how deeply include and tpl calls nest
	// (--max-template-depth).
	MaxTemplateDepth int
	// Timeout bounds the time the templates run (--render-timeout).
	Timeout time.Duration
	// MaxMemoryBytes bounds the heap of the process while the templates
	// run (--max-render-memory): a backstop for what the other limits do
	// not see, such as many variables each holding a large string. It is
	// the whole process's heap: a program rendering several charts at
	// once shares it between them.
	MaxMemoryBytes int64
}

// The defaults are far above what real charts use (docs/limits.md has the
// measurements). The depth is above Helm's own limit of 1000 nested
// includes of one template, which keeps Helm's error for that case.
const (
	DefaultMaxRenderBytes   = 64 << 20
	DefaultMaxTemplateBytes = 32 << 20
	DefaultMaxTemplateDepth = 1024
	DefaultRenderTimeout    = 2 * time.Minute
	DefaultMaxMemoryBytes   = 1 << 30
)

// DefaultLimits returns the limits a render has when none are set.
func DefaultLimits() Limits {
	return Limits{
		MaxRenderBytes:   DefaultMaxRenderBytes,
		MaxTemplateBytes: DefaultMaxTemplateBytes,
		MaxTemplateDepth: DefaultMaxTemplateDepth,
		Timeout:          DefaultRenderTimeout,
		MaxMemoryBytes:   DefaultMaxMemoryBytes,
	}
}

// Flags that raise each limit, named in LimitError.
const (
	FlagMaxRenderBytes   = "--max-render-bytes"
	FlagMaxTemplateBytes = "--max-template-bytes"
	FlagMaxTemplateDepth = "--max-template-depth"
	FlagRenderTimeout    = "--render-timeout"
	FlagMaxRenderMemory  = "--max-render-memory"
)

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRenderBytes > 0 {
		d.MaxRenderBytes = l.MaxRenderBytes
	}
	if l.MaxTemplateBytes > 0 {
		d.MaxTemplateBytes = l.MaxTemplateBytes
	}
	if l.MaxTemplateDepth > 0 {
		d.MaxTemplateDepth = l.MaxTemplateDepth
	}
	if l.Timeout > 0 {
		d.Timeout = l.Timeout
	}
	if l.MaxMemoryBytes > 0 {
		d.MaxMemoryBytes = l.MaxMemoryBytes
	}
	return d
}

// ErrLimit matches (errors.Is) every LimitError.
var ErrLimit = errors.New("render limit exceeded")

// LimitError is a render stopped by one of its Limits.
type LimitError struct {
	// Flag is the flag that raises the limit, e.g. "--max-template-bytes".
	Flag string
	// Limit is the limit's value as the flag takes it, e.g. "32Mi".
	Limit string
	// What says what went over it.
	What string
	// Chain lists the templates running when the limit was hit, outermost
	// first: the template file, then each include "name" and tpl.
	Chain []string
}

func (e *LimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "render limit exceeded: %s (%s=%s); if the chart is trusted, raise the limit with %s", e.What, e.Flag, e.Limit, e.Flag)
	if len(e.Chain) > 0 {
		b.WriteString("\n  in: ")
		b.WriteString(chainText(e.Chain))
	}
	return b.String()
}

// Is makes every LimitError match ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// limitErrorIn returns the LimitError err holds, if any.
func limitErrorIn(err error) *LimitError {
	var le *LimitError
	if err != nil && errors.As(err, &le) {
		return le
	}
	return nil
}

// chainText joins frames, keeping the first and last few of a long chain.
func chainText(frames []string) string {
	const keep = 3
	if len(frames) <= 2*keep+1 {
		return strings.Join(frames, " -> ")
	}
	return fmt.Sprintf("%s -> ... (%d more) ... -> %s",
		strings.Join(frames[:keep], " -> "), len(frames)-2*keep, strings.Join(frames[len(frames)-keep:], " -> "))
}

// byteSize formats n as the byte flags take it (a Kubernetes quantity).
func byteSize(n int64) string {
	return resource.NewQuantity(n, resource.BinarySI).String()
}

// amounts formats n bytes against a limit of lim: in bytes when rounding
// would show them equal.
func amounts(n, lim int64) (string, string) {
	a, b := human(n), human(lim)
	if a == b {
		return fmt.Sprintf("%d bytes", n), fmt.Sprintf("%d bytes", lim)
	}
	return a, b
}

// human formats n bytes for people: 512 B, 76.3 MiB.
func human(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB", "PiB", "EiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return fmt.Sprintf("%.1f %s", f, unit)
}

// frame is one level of the template chain: a template file, an include
// of name, or a tpl call (name "").
type frame struct {
	include bool
	name    string
}

func (f frame) String() string {
	switch {
	case f.include:
		return fmt.Sprintf("include %q", f.name)
	case f.name == "":
		return "tpl"
	}
	return f.name
}

// guard enforces a render's limits; its checks are cheap enough to run on
// every write and every call of the functions that loop or build strings.
type guard struct {
	lim  Limits
	ctx  context.Context
	stop atomic.Bool  // the context is done: every check fails
	out  atomic.Int64 // bytes of the templates' outputs kept so far
	// stats, when set (tests), records the largest use of each limit.
	stats *limitStats
}

// limitStats is the largest use of each limit seen by renders (tests
// measure real charts with it).
type limitStats struct {
	render, template, depth atomic.Int64
}

func raise(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// newGuard returns the guard of a render running under ctx, which carries
// the render deadline; release stops watching ctx.
func newGuard(ctx context.Context, lim Limits, stats *limitStats) (g *guard, release func() bool) {
	g = &guard{lim: lim, ctx: ctx, stats: stats}
	return g, context.AfterFunc(ctx, func() { g.stop.Store(true) })
}

// stopped is the error of a render whose context is done: the timeout's
// LimitError, or the context's own error (an interrupt).
func (g *guard) stopped(r *runner) error {
	err := context.Cause(g.ctx)
	var le *LimitError
	if errors.As(err, &le) && r != nil {
		c := *le
		c.Chain = r.chain()
		return &c
	}
	return err
}

// watchMemory cancels a render, with the memory limit's error, when the
// process's live heap passes max. It samples the heap (live objects and
// garbage not yet swept) every 10 ms until ctx is done; only when that is
// over max does it collect garbage and compare what is still live. So
// garbage, which a program that raised its GC target holds plenty of, never
// trips the limit, and collections are forced only once the heap is over
// max, at most once per max-minus-live bytes allocated.
func watchMemory(ctx context.Context, cancel context.CancelCauseFunc, max int64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if heap := int64(sample[0].Value.Uint64()); heap <= max {
			continue
		}
		runtime.GC()
		metrics.Read(sample)
		if live := int64(sample[0].Value.Uint64()); live > max {
			have, lim := amounts(live, max)
			cancel(&LimitError{Flag: FlagMaxRenderMemory, Limit: byteSize(max),
				What: fmt.Sprintf("the heap reached %s while templates ran, over the %s limit", have, lim)})
			return
		}
	}
}

// timeoutError is the cause of a render's deadline.
func timeoutError(d time.Duration) *LimitError {
	return &LimitError{Flag: FlagRenderTimeout, Limit: d.String(), What: fmt.Sprintf("templates still running after %s", d)}
}

// tooBig is the error of a value of n bytes, described by what.
func (g *guard) tooBig(r *runner, what string, n int64) error {
	have, lim := amounts(n, g.lim.MaxTemplateBytes)
	return &LimitError{Flag: FlagMaxTemplateBytes, Limit: byteSize(g.lim.MaxTemplateBytes),
		What: fmt.Sprintf("%s would hold %s, over the %s a template may build", what, have, lim), Chain: r.chain()}
}

// allow checks that a function may build a value of n bytes.
func (g *guard) allow(r *runner, what string, n int64) error {
	if g.stop.Load() {
		return g.stopped(r)
	}
	if n > g.lim.MaxTemplateBytes || n < 0 {
		return g.tooBig(r, what, n)
	}
	return nil
}

// limitedBuffer collects a template's output, or an include or tpl
// result, within the limits. Every write checks the deadline: templates
// that loop write as they go.
type limitedBuffer struct {
	b    strings.Builder
	r    *runner
	kind byte   // 't' a template's own output (counts toward MaxRenderBytes), 'i' include, 'p' tpl
	name string // the template or include
}

// what describes the buffer's string in errors.
func (w *limitedBuffer) what() string {
	switch w.kind {
	case 't':
		return "the output of " + w.name
	case 'i':
		return fmt.Sprintf("the result of include %q", w.name)
	}
	return "the result of tpl"
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	r := w.r
	g := r.g
	if g.stop.Load() {
		return 0, g.stopped(r)
	}
	n := int64(len(p))
	if r.live+n > g.lim.MaxTemplateBytes {
		if int64(w.b.Len())+n > g.lim.MaxTemplateBytes {
			return 0, g.tooBig(r, w.what(), int64(w.b.Len())+n)
		}
		have, lim := amounts(r.live+n, g.lim.MaxTemplateBytes)
		return 0, &LimitError{Flag: FlagMaxTemplateBytes, Limit: byteSize(g.lim.MaxTemplateBytes), Chain: r.chain(),
			What: fmt.Sprintf("the strings being built by %s and the includes and tpl calls inside it would hold %s, over the %s a template may build", r.stack[0].String(), have, lim)}
	}
	if w.kind == 't' {
		if total := g.out.Load() + int64(w.b.Len()) + n; total > g.lim.MaxRenderBytes {
			return 0, &LimitError{Flag: FlagMaxRenderBytes, Limit: byteSize(g.lim.MaxRenderBytes), Chain: r.chain(),
				What: renderOver(total, g.lim.MaxRenderBytes)}
		}
	}
	r.live += n
	return w.b.Write(p)
}

// done returns what was written and gives its bytes back to the runner's
// budget (the caller writes the string on, or keeps it as a value).
func (w *limitedBuffer) done() string {
	w.r.live -= int64(w.b.Len())
	if s := w.r.g.stats; s != nil {
		raise(&s.template, int64(w.b.Len()))
	}
	return w.b.String()
}

func renderOver(total, max int64) string {
	have, lim := amounts(total, max)
	return fmt.Sprintf("the rendered output would be %s, over the %s limit", have, lim)
}

// keep adds a template's output to the render's total.
func (g *guard) keep(out string) error {
	total := g.out.Add(int64(len(out)))
	if g.stats != nil {
		raise(&g.stats.render, total)
	}
	if total > g.lim.MaxRenderBytes {
		return &LimitError{Flag: FlagMaxRenderBytes, Limit: byteSize(g.lim.MaxRenderBytes),
			What: renderOver(total, g.lim.MaxRenderBytes)}
	}
	return nil
}

// enter pushes a frame for an include or tpl call, failing past the
// nesting limit; leave pops it.
func (r *runner) enter(f frame) error {
	g := r.g
	if g.stop.Load() {
		return g.stopped(r)
	}
	depth := len(r.stack) // frames below the template file, plus this one
	if depth > g.lim.MaxTemplateDepth {
		r.stack = append(r.stack, f)
		err := &LimitError{Flag: FlagMaxTemplateDepth, Limit: fmt.Sprint(g.lim.MaxTemplateDepth), Chain: r.chain(),
			What: fmt.Sprintf("include and tpl calls nest more than %d deep", g.lim.MaxTemplateDepth)}
		r.stack = r.stack[:len(r.stack)-1]
		return err
	}
	r.stack = append(r.stack, f)
	if s := g.stats; s != nil {
		raise(&s.depth, int64(depth))
	}
	return nil
}

func (r *runner) leave() { r.stack = r.stack[:len(r.stack)-1] }

// chain is the runner's template chain as text, outermost first.
func (r *runner) chain() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.stack))
	for i, f := range r.stack {
		out[i] = f.String()
	}
	return out
}
