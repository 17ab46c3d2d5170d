package render

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
)

// LookupFunc backs the `lookup` template function (apiVersion, kind, namespace, name).
type LookupFunc func(apiVersion, kind, namespace, name string) (map[string]any, error)

// Engine renders chart templates. The zero value renders as `helm template` does.
type Engine struct {
	// Strict makes a missing map key an error (missingkey=error).
	Strict bool
	// LintMode turns `required` and `fail` into warnings.
	LintMode bool
	// EnableDNS lets getHostByName resolve names; off, it returns "".
	EnableDNS bool
	// Lookup backs `lookup`; nil returns an empty map (no cluster).
	Lookup LookupFunc
	// Parallelism bounds concurrent template execution (0: GOMAXPROCS).
	Parallelism int
	// Warn receives lint-mode warnings from `required` and `fail`; nil logs them.
	Warn func(msg string)
	// Limits bound the render's time, output and nesting (zero fields:
	// the defaults).
	Limits Limits

	// stats, when set (tests), records how much of each limit renders use.
	stats *limitStats

	// beforeShared, when set, runs before the first template that may
	// change objects templates share; its error ends the render.
	beforeShared func() error
}

const (
	errStart         = "HELM_ERR_START"
	errEnd           = "HELM_ERR_END"
	includeMaxNested = 1000
	rootName         = "gotpl"
)

// tplSource is one template to parse, with the data it renders with.
type tplSource struct {
	name     string
	src      string
	vals     map[string]any
	basePath string
	partial  bool
}

// Render executes every template of ch (and its subcharts) with the render
// values top (see NewRenderValues) and returns the output by template path
// ("chart/templates/x.yaml"). Partials (_*) are parsed but not returned.
//
// The render stops at the first limit of e.Limits it reaches, with a
// *LimitError. Templates run under the render deadline in a goroutine of
// their own: one that loops without writing anything or calling a function
// cannot be interrupted, and is left running when Render returns.
func (e *Engine) Render(ctx context.Context, ch *chart.Chart, top map[string]any) (map[string]string, error) {
	lim := e.Limits.withDefaults()
	ctx, cancel := context.WithTimeoutCause(ctx, lim.Timeout, timeoutError(lim.Timeout))
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go watchMemory(ctx, stop, lim.MaxMemoryBytes)
	g, release := newGuard(ctx, lim, e.stats)
	defer release()
	type result struct {
		out map[string]string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := e.render(ctx, g, ch, top)
		done <- result{out, err}
	}()
	select {
	case res := <-done:
		return res.out, res.err
	case <-ctx.Done():
	}
	// Templates stop at their next write or function call, with an error
	// naming the template chain: give them a moment.
	select {
	case res := <-done:
		return res.out, res.err
	case <-time.After(stopGrace):
		return nil, g.stopped(nil)
	}
}

// stopGrace is how long Render waits, after the deadline, for templates to
// notice it.
const stopGrace = time.Second

func (e *Engine) render(ctx context.Context, g *guard, ch *chart.Chart, top map[string]any) (map[string]string, error) {
	srcs := collectTemplates(ch, top)
	set, shared, err := e.parse(srcs, !e.LintMode)
	if err != nil {
		return nil, err
	}
	var before map[string]any
	if shared {
		before = copyRenderValues(top)
	}
	out, err := e.execute(ctx, g, set, srcs)
	if err != nil && shared && ctx.Err() == nil && !errors.Is(err, ErrLimit) {
		// Errors name the file a template came from, and a shared parse
		// names only one of the identical files: render again, parsing
		// each file, from the values as they were, for Helm's error.
		srcs = collectTemplates(ch, before)
		if set, _, err = e.parse(srcs, false); err != nil {
			return nil, err
		}
		g.out.Store(0)
		return e.execute(ctx, g, set, srcs)
	}
	return out, err
}

// collectTemplates builds the per-chart objects (.Chart, .Values, .Files,
// .Subcharts...) and lists templates in Helm's parse order: deepest paths
// first, so a parent's `define` overrides a subchart's.
func collectTemplates(ch *chart.Chart, top map[string]any) []*tplSource {
	var out []*tplSource
	collectChart(ch, top, &out)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].name, out[j].name
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca != cb {
			return ca > cb
		}
		return a > b
	})
	return out
}

func collectChart(ch *chart.Chart, parent map[string]any, out *[]*tplSource) map[string]any {
	meta := metadataMap(ch.Metadata)
	if meta != nil {
		meta["IsRoot"] = ch.IsRoot()
	}
	subcharts := make(map[string]any)
	next := map[string]any{
		"Chart":        meta,
		"Files":        newFiles(ch.Files),
		"Release":      parent["Release"],
		"Capabilities": parent["Capabilities"],
		"Values":       common.Values{},
		"Subcharts":    subcharts,
	}
	// .Values is Helm's Values type in every chart (its methods are part
	// of what templates may call); a subchart's is its table of the
	// parent's, looked up as Helm does (a dotted name is a path).
	if ch.IsRoot() {
		next["Values"] = parent["Values"]
		if v, ok := parent["Values"].(map[string]any); ok {
			next["Values"] = common.Values(v)
		}
	} else if sv, err := common.Values(parent).Table("Values." + ch.Name()); err == nil {
		next["Values"] = sv
	}
	for _, dep := range ch.Dependencies() {
		subcharts[dep.Name()] = collectChart(dep, next, out)
	}
	full := ch.ChartFullPath()
	library := ch.IsLibrary()
	for _, t := range ch.Templates {
		if t == nil {
			continue
		}
		partial := strings.HasPrefix(path.Base(t.Name), "_")
		if library && !partial {
			continue
		}
		*out = append(*out, &tplSource{
			name:     path.Join(full, t.Name),
			src:      string(t.Data),
			vals:     next,
			basePath: path.Join(full, "templates"),
			partial:  partial,
		})
	}
	return next
}

func (e *Engine) missingKey() string {
	if e.Strict {
		return "missingkey=error"
	}
	return "missingkey=zero"
}

// parse parses all templates into one namespace. Sources are parsed
// concurrently (parsing is pure), then their trees are added in Helm's order,
// which is what text/template's Parse does one file at a time.
//
// With share, identical sources are parsed once (an umbrella's subcharts, or
// the copies of a library such as bitnami's common, often hold the same
// files) and reported as shared: every copy gets the trees of the last copy
// in Helm's order, whose defines are the ones that win, so output is the
// same, but error positions name that copy's file (see Render).
func (e *Engine) parse(srcs []*tplSource, share bool) (*template.Template, bool, error) {
	t := template.New(rootName).Option(e.missingKey()).Funcs(baseFuncs())
	// rep[i] is the source whose parse serves source i.
	rep := make([]int, len(srcs))
	shared := false
	if share {
		last := make(map[string]int, len(srcs))
		for i, s := range srcs {
			last[s.src] = i
		}
		for i, s := range srcs {
			rep[i] = last[s.src]
			shared = shared || rep[i] != i
		}
	} else {
		for i := range srcs {
			rep[i] = i
		}
	}
	var unique []int
	for i := range srcs {
		if rep[i] == i {
			unique = append(unique, i)
		}
	}
	trees := make([]map[string]*parse.Tree, len(srcs))
	errs := make([]error, len(srcs))
	funcs := []map[string]any{baseFuncs(), builtinNames}
	parallel.For(0, len(unique), func(k int) {
		i := unique[k]
		trees[i], errs[i] = parse.Parse(srcs[i].name, srcs[i].src, "", "", funcs...)
	})
	for _, i := range unique {
		if errs[i] != nil && shared {
			// Report the first failing file in Helm's order.
			return e.parse(srcs, false)
		}
	}
	for i, s := range srcs {
		r := rep[i]
		if errs[r] != nil {
			return nil, false, parseError(s.name, errs[r])
		}
		nt := t.New(s.name)
		for name, tree := range trees[r] {
			if name == srcs[r].name {
				name = s.name // the file's own template
			}
			if _, err := nt.AddParseTree(name, tree); err != nil {
				if shared {
					return e.parse(srcs, false)
				}
				return nil, false, parseError(s.name, err)
			}
		}
	}
	return t, shared, nil
}

// parseError shortens text/template's parse errors to Helm's form:
// "parse error at (chart/templates/x.yaml:3): unexpected ...".
func parseError(name string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %w", name, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

// execute renders all non-partial templates. They run concurrently, each
// worker on its own clone of the set. Helm runs them one after the other on
// shared objects, and a template may change one for all later templates
// (istio's charts `set $ "Values"`, vault's `set . "mode"`): such a template
// runs alone, after everything before it and before everything after it, as
// in Helm (see mutate.go); the rest runs concurrently again.
func (e *Engine) execute(ctx context.Context, g *guard, set *template.Template, srcs []*tplSource) (map[string]string, error) {
	var jobs []int
	for i, s := range srcs {
		if !s.partial {
			jobs = append(jobs, i)
		}
	}
	workers := e.Parallelism
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rendered := make(map[string]string, len(jobs))
	keys := newKeyReplay()
	pending := jobs
	fruitless := 0 // concurrent phases stopped by their first template
	for phase := 0; len(pending) > 0; phase++ {
		if min(workers, len(pending)) <= 1 || phase == maxPhases || fruitless == maxFruitless {
			return e.executeSerial(ctx, g, set, srcs, pending, rendered, keys)
		}
		outs, stop, err := e.executeParallel(ctx, g, set, srcs, pending, min(workers, len(pending)), keys)
		if err != nil {
			return nil, err
		}
		for _, i := range pending[:stop] {
			if err := g.keep(outs[i]); err != nil {
				return nil, err
			}
			rendered[srcs[i].name] = outs[i]
		}
		if stop == len(pending) {
			break
		}
		if stop == 0 {
			fruitless++
		}
		// pending[stop] is about to change a shared object and nothing ran
		// after it: run it alone on the shared objects, as Helm does, then
		// go on concurrently with what follows it.
		if _, err := e.executeSerial(ctx, g, set, srcs, pending[stop:stop+1], rendered, keys); err != nil {
			return nil, err
		}
		pending = pending[stop+1:]
	}
	return rendered, nil
}

// maxPhases bounds how often a render goes back to concurrent execution
// after a template that changed shared objects; then the rest runs in order.
const maxPhases = 8

// maxFruitless is how many concurrent phases may stop at their very first
// template before the rest runs in order: nothing ran concurrently in them,
// and the work the other workers did was thrown away. Charts whose
// templates change shared objects as they start (vault sets computed flags
// on its root object in most templates) then render serially at once, 11%
// faster; a chart with one such template (istio's profile) loses nothing.
const maxFruitless = 2

// errNeedSerial stops a concurrent render when a template is about to change
// an object other templates share.
var errNeedSerial = errors.New("template mutates shared state: render serially")

// executeParallel runs jobs (indexes into srcs, in Helm's order)
// concurrently, each worker on its own clone of the set and each template on
// its own copy of its chart's root object. It returns the outputs by source
// index and stop: jobs[:stop] ran to the end without changing shared
// objects; jobs[stop], if any, was about to change one (see mutate.go), and
// what ran after it is void. The first template in order that failed
// otherwise is the error, as in Helm.
func (e *Engine) executeParallel(ctx context.Context, g *guard, set *template.Template, srcs []*tplSource, jobs []int, workers int, keys *keyReplay) ([]string, int, error) {
	roots := make([]map[string]any, len(srcs))
	shared := newSharedMaps()
	for _, i := range jobs {
		roots[i] = make(map[string]any, len(srcs[i].vals)+1)
		maps.Copy(roots[i], srcs[i].vals)
		shared.add(roots[i])
	}
	guards := guardMutations(baseFuncs(), shared)

	outs := make([]string, len(srcs))
	errs := make([]error, len(jobs))
	// limit is the first position that failed or must run alone: nothing
	// after it needs to run.
	var limit atomic.Int64
	limit.Store(int64(len(jobs)))
	lower := func(p int) {
		for {
			cur := limit.Load()
			if int64(p) >= cur || limit.CompareAndSwap(cur, int64(p)) {
				return
			}
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		ws := set
		if w > 0 {
			var err error
			if ws, err = set.Clone(); err != nil {
				close(next)
				wg.Wait()
				return nil, 0, fmt.Errorf("clone templates: %w", err)
			}
		}
		r := e.newRunner(ctx, g, ws, guards, keys)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				if int64(p) > limit.Load() || ctx.Err() != nil {
					continue
				}
				i := jobs[p]
				outs[i], errs[p] = r.run(srcs[i], roots[i])
				if errs[p] != nil {
					lower(p)
				}
			}
		}()
	}
	for p := range jobs {
		if int64(p) > limit.Load() || ctx.Err() != nil {
			break
		}
		next <- p
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, 0, g.stopped(nil)
	}
	for p := range jobs {
		if errs[p] == nil {
			continue
		}
		if errors.Is(errs[p], errNeedSerial) {
			return outs, p, nil
		}
		return nil, 0, errs[p]
	}
	return outs, len(jobs), nil
}

// executeSerial runs jobs one after the other on the shared objects, adding
// their outputs to rendered.
func (e *Engine) executeSerial(ctx context.Context, g *guard, set *template.Template, srcs []*tplSource, jobs []int, rendered map[string]string, keys *keyReplay) (map[string]string, error) {
	if e.beforeShared != nil {
		if err := e.beforeShared(); err != nil {
			return nil, err
		}
	}
	r := e.newRunner(ctx, g, set, nil, keys)
	for _, i := range jobs {
		if ctx.Err() != nil {
			return nil, g.stopped(nil)
		}
		// Like Helm, .Template is set on the chart's shared object.
		out, err := r.run(srcs[i], srcs[i].vals)
		if err != nil {
			return nil, err
		}
		if err := g.keep(out); err != nil {
			return nil, err
		}
		rendered[srcs[i].name] = out
	}
	return rendered, nil
}

// runner executes templates of one worker's template set.
type runner struct {
	e        *Engine
	ctx      context.Context
	g        *guard
	stack    []frame // the template chain running now
	live     int64   // bytes held by the limitedBuffers of the chain
	set      *template.Template
	depth    map[string]int
	tplCache map[string]*template.Template
	tplFuncs template.FuncMap
	proto    *template.Template
	yaml     *parsedCache
	inc      *includeCache // nil: no cache
	keys     *keyReplay
	current  string // the template being run
	keyCount int    // keys the current template was given
}

// newRunner binds the per-render functions to set; guards (for concurrent
// runners) replace the functions that change maps.
func (e *Engine) newRunner(ctx context.Context, g *guard, set *template.Template, guards template.FuncMap, keys *keyReplay) *runner {
	r := &runner{e: e, ctx: ctx, g: g, set: set, depth: map[string]int{}, tplCache: map[string]*template.Template{}, yaml: newParsedCache(), keys: keys}
	funcs := certFuncs(baseFuncs(), r.key)
	maps.Copy(funcs, template.FuncMap{
		"include":  r.includeIn(set),
		"tpl":      r.tpl,
		"required": r.required,
		"fail":     r.fail,
		"fromYaml": r.yaml.fromYAML,
	})
	maps.Copy(funcs, limitFuncs(r, baseFuncs()))
	if e.Lookup != nil && !e.LintMode {
		funcs["lookup"] = e.Lookup
	}
	if !e.EnableDNS {
		funcs["getHostByName"] = func(string) string { return "" }
	}
	if guards == nil {
		// The set may have served a concurrent runner: restore the plain
		// functions.
		guards = unguarded()
	}
	maps.Copy(funcs, guards)
	if !e.LintMode {
		// Lint mode turns required/fail into warnings, which a
		// remembered include would not repeat.
		r.inc = &includeCache{entries: map[includeKey]includeEntry{}}
		r.inc.watch(funcs, baseFuncs())
	}
	set.Funcs(funcs)
	r.tplFuncs = funcs
	return r
}

func (r *runner) run(s *tplSource, vals map[string]any) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rendering template failed: %v", p)
		}
	}()
	if r.inc != nil {
		// vals may be the chart's shared root, changed below; and what
		// was remembered for the last template's root is of no more use.
		r.inc.epoch++
		clear(r.inc.entries)
		r.inc.bytes = 0
	}
	vals["Template"] = common.Values{"Name": s.name, "BasePath": s.basePath}
	r.current, r.keyCount = s.name, 0
	r.stack = append(r.stack[:0], frame{name: s.name})
	r.live = 0
	b := &limitedBuffer{r: r, kind: 't', name: s.name}
	if err := r.set.ExecuteTemplate(b, s.name, vals); err != nil {
		if errors.Is(err, errNeedSerial) {
			return "", errNeedSerial
		}
		var le *LimitError
		if errors.As(err, &le) {
			return "", le
		}
		if r.g.stop.Load() {
			return "", r.g.stopped(r)
		}
		return "", execError(s.name, err)
	}
	return strings.ReplaceAll(b.done(), "<no value>", ""), nil
}

// key hands the current template its next RSA key.
func (r *runner) key(size int) (*rsa.PrivateKey, error) {
	r.keyCount++
	return r.keys.key(r.current, r.keyCount-1, size)
}

// includeIn returns `include` executing named templates of set, with Helm's
// nesting limit per name.
func (r *runner) includeIn(set *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		c := r.inc
		var key includeKey
		cacheable := false
		if c != nil {
			if key, cacheable = keyOf(set, name, data); cacheable {
				if out, ok := c.lookup(key); ok {
					return out, nil
				}
			}
		}
		if r.depth[name] > includeMaxNested {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: %w",
				name, errors.New("unable to execute template"))
		}
		if err := r.enter(frame{include: true, name: name}); err != nil {
			return "", err
		}
		defer r.leave()
		r.depth[name]++
		defer func() { r.depth[name]-- }()
		b := &limitedBuffer{r: r, kind: 'i', name: name}
		if c == nil {
			err := set.ExecuteTemplate(b, name, data)
			if le := limitErrorIn(err); le != nil {
				return "", le
			}
			return b.done(), err
		}
		impure, epoch, saved := c.impure, c.epoch, c.peak
		c.nesting++
		c.peak = c.nesting
		err := set.ExecuteTemplate(b, name, data)
		out := b.done()
		if le := limitErrorIn(err); le != nil {
			return "", le
		}
		deepest := c.peak - c.nesting + 1 // levels this call went down
		c.nesting--
		c.peak = max(saved, c.peak)
		if err == nil && cacheable && c.impure == impure && c.epoch == epoch && deepest+c.nesting < maxCachedNesting {
			c.put(key, includeEntry{data: data, epoch: epoch, out: out})
		}
		return out, err
	}
}

func (r *runner) required(msg string, val any) (any, error) {
	if val == nil || val == "" {
		if r.e.LintMode {
			// Helm words the two cases apart: "value" for a missing value,
			// "values" for an empty string.
			if val == nil {
				r.e.warn("missing required value: " + msg)
			} else {
				r.e.warn("missing required values: " + msg)
			}
			return "", nil
		}
		return val, errors.New(errStart + msg + errEnd)
	}
	return val, nil
}

func (r *runner) fail(msg string) (string, error) {
	if r.e.LintMode {
		r.e.warn("fail: " + msg)
		return "", nil
	}
	return "", errors.New(errStart + msg + errEnd)
}

func (e *Engine) warn(msg string) {
	if e.Warn != nil {
		e.Warn(msg)
		return
	}
	slog.Warn(msg)
}

// tpl renders a string as a template. Parsed strings are cached per worker:
// Helm clones and re-parses the whole template set on every call.
func (r *runner) tpl(src string, vals any) (string, error) {
	if err := r.enter(frame{}); err != nil {
		return "", err
	}
	defer r.leave()
	t, err := r.tplTemplate(src)
	if err != nil {
		return "", err
	}
	b := &limitedBuffer{r: r, kind: 'p'}
	err = t.Execute(b, vals)
	out := b.done()
	if err != nil {
		if le := limitErrorIn(err); le != nil {
			return "", le // once, not once per level of a deep chain
		}
		return "", fmt.Errorf("error during tpl function execution for %q: %w", src, err)
	}
	return strings.ReplaceAll(out, "<no value>", ""), nil
}

func (r *runner) tplTemplate(src string) (*template.Template, error) {
	if t, ok := r.tplCache[src]; ok {
		return t, nil
	}
	trees, err := parse.Parse(rootName, src, "", "", r.tplParseFuncs()...)
	if err != nil {
		return nil, fmt.Errorf("cannot parse template %q: %w", src, err)
	}
	var t *template.Template
	if tree := trees[rootName]; len(trees) == 1 && tree != nil && !usesTemplateAction(tree) {
		// Fast path: a string that defines nothing and calls no {{template}}
		// only needs the functions, which it shares with a prototype instead
		// of copying them; `include` reaches the chart's defines through them.
		if t, err = r.tplProto().New(rootName).AddParseTree(rootName, tree); err != nil {
			return nil, fmt.Errorf("cannot parse template %q: %w", src, err)
		}
	} else {
		// Helm's semantics: the string sees, and may add to, a copy of the set.
		c, err := r.set.Clone()
		if err != nil {
			return nil, fmt.Errorf("cannot clone template: %w", err)
		}
		c.Option(r.e.missingKey())
		c.Funcs(template.FuncMap{"include": r.includeIn(c)})
		if t, err = c.New(rootName).Parse(src); err != nil {
			return nil, fmt.Errorf("cannot parse template %q: %w", src, err)
		}
	}
	if len(r.tplCache) < maxTplCache {
		r.tplCache[src] = t
	}
	return t, nil
}

// maxTplCache bounds the strings a runner keeps parsed for tpl.
const maxTplCache = 4096

// tplProto is the runner's template that tpl strings share functions with.
func (r *runner) tplProto() *template.Template {
	if r.proto == nil {
		r.proto = template.New("tpl-proto").Option(r.e.missingKey()).Funcs(baseFuncs()).Funcs(r.tplFuncs)
	}
	return r.proto
}

// tplParseFuncs are the function names a tpl string may call, for the parser.
func (r *runner) tplParseFuncs() []map[string]any {
	return []map[string]any{baseFuncs(), r.tplFuncs, builtinNames}
}

// builtinNames are text/template's predefined functions (the parser only
// checks that a name exists).
var builtinNames = map[string]any{
	"and": true, "call": true, "html": true, "index": true, "slice": true, "js": true,
	"len": true, "not": true, "or": true, "print": true, "printf": true, "println": true,
	"urlquery": true, "eq": true, "ge": true, "gt": true, "le": true, "lt": true, "ne": true,
}

// usesTemplateAction reports whether a parse tree contains {{template}}.
func usesTemplateAction(tree *parse.Tree) bool {
	if tree == nil || tree.Root == nil {
		return false
	}
	var walk func(n parse.Node) bool
	walk = func(n parse.Node) bool {
		switch x := n.(type) {
		case *parse.TemplateNode:
			return true
		case *parse.ListNode:
			if x == nil {
				return false
			}
			for _, c := range x.Nodes {
				if walk(c) {
					return true
				}
			}
		case *parse.IfNode:
			return walk(x.List) || walk(x.ElseList)
		case *parse.RangeNode:
			return walk(x.List) || walk(x.ElseList)
		case *parse.WithNode:
			return walk(x.List) || walk(x.ElseList)
		}
		return false
	}
	return walk(tree.Root)
}
