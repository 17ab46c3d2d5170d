package render

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// includeCache remembers what `include` returned for a template name and
// argument, for one runner. Charts include the same helpers with the same
// argument many times per template (labels, names, a whole ConfigMap
// template for a checksum annotation), and an include is a function of its
// argument unless it changed something or used something else:
//
//   - every change to a map (set, unset, merge*) and every template start on
//     shared objects moves epoch on, and entries of an older epoch are stale;
//   - every call of a function whose result is not a function of its
//     arguments (random values, time, keys, lookup, DNS) or that changes a
//     map moves impure on, and an include during which impure moved is not
//     remembered.
//
// An entry keeps its argument alive, so a map's address cannot be reused by
// another map while the entry exists.
type includeCache struct {
	entries map[includeKey]includeEntry
	epoch   uint64
	impure  uint64
	nesting int // includes running now
	peak    int // deepest nesting reached by the running includes
	bytes   int // output held by entries
}

// maxIncludeCacheBytes bounds the output an includeCache holds.
const maxIncludeCacheBytes = 16 << 20

// put remembers an entry, unless the cache holds too much already.
func (c *includeCache) put(k includeKey, e includeEntry) {
	if c.bytes+len(e.out) > maxIncludeCacheBytes {
		return
	}
	c.entries[k] = e
	c.bytes += len(e.out)
}

type includeKey struct {
	set  *template.Template // a tpl string may redefine templates in its copy
	name string
	ptr  uintptr // a map argument, by identity
	val  string  // a scalar argument, or a small dict by content
}

type includeEntry struct {
	data  any
	epoch uint64
	out   string
}

// maxCachedNesting keeps the cache away from deep recursion, so a hit can
// never hide the nesting limit Helm enforces.
const maxCachedNesting = 16

// impureFuncs are sprig's functions whose results are not functions of
// their arguments.
var impureFuncs = []string{
	"randAlpha", "randAlphaNum", "randAscii", "randNumeric", "randBytes", "randInt", "shuffle",
	"uuidv4", "now", "ago", "htpasswd", "bcrypt", "encryptAES",
	"genCA", "genSelfSignedCert", "genSignedCert", "genPrivateKey",
	"genCAWithKey", "genSelfSignedCertWithKey", "genSignedCertWithKey",
	"lookup", "getHostByName",
}

// keyOf returns the cache key of an include in set, or false when the
// argument is not one the cache can recognise again.
func keyOf(set *template.Template, name string, data any) (includeKey, bool) {
	k := includeKey{set: set, name: name}
	d, isMap := data.(map[string]any)
	switch {
	case isMap && d == nil:
		k.val = "nil map"
	case isMap && len(d) > 4:
		k.ptr = reflect.ValueOf(d).Pointer()
	case isMap:
		// A small dict is usually built for the call ((dict "value" .
		// "context" $)): recognise it by content, maps inside by identity.
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString("dict")
		for _, key := range keys {
			b.WriteByte(0)
			b.WriteString(key)
			b.WriteByte(0)
			if !writeIdentity(&b, d[key]) {
				return includeKey{}, false
			}
		}
		k.val = b.String()
	default:
		var b strings.Builder
		if !writeIdentity(&b, data) {
			return includeKey{}, false
		}
		k.val = b.String()
	}
	return k, true
}

// writeIdentity writes what identifies v: scalars by type and value, maps
// by address. Other values are not recognised.
func writeIdentity(b *strings.Builder, v any) bool {
	switch x := v.(type) {
	case nil:
		b.WriteString("n")
	case string:
		b.WriteString("s")
		b.WriteString(x)
	case bool:
		b.WriteString("b")
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString("i")
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString("I")
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString("f")
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case map[string]any:
		b.WriteString("m")
		b.WriteString(strconv.FormatUint(uint64(reflect.ValueOf(x).Pointer()), 16))
	case common.Values:
		// Not "m": the same map as a Values has methods a plain map lacks.
		b.WriteString("v")
		b.WriteString(strconv.FormatUint(uint64(reflect.ValueOf(x).Pointer()), 16))
	default:
		return false
	}
	return true
}

// lookup returns a remembered result. (A map argument is keyed by address;
// the entry keeps it alive, so the address still means the same map.)
func (c *includeCache) lookup(k includeKey) (string, bool) {
	if c.nesting >= maxCachedNesting {
		return "", false
	}
	e, ok := c.entries[k]
	if !ok || e.epoch != c.epoch {
		return "", false
	}
	return e.out, true
}

// counting wraps the function f (of any signature) so that each call runs
// bump first.
func counting(f any, bump func()) any {
	v := reflect.ValueOf(f)
	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		bump()
		if v.Type().IsVariadic() {
			return v.CallSlice(args)
		}
		return v.Call(args)
	}).Interface()
}

// watch puts into funcs wrapped versions of the functions the cache must
// know about: those in impureFuncs, and those that change maps
// (guardedNames), each taken from funcs or, if funcs lacks it, from base.
func (c *includeCache) watch(funcs, base template.FuncMap) {
	wrap := func(names []string, bump func()) {
		for _, n := range names {
			f, ok := funcs[n]
			if !ok {
				f, ok = base[n]
			}
			if ok {
				funcs[n] = counting(f, bump)
			}
		}
	}
	wrap(impureFuncs, func() { c.impure++ })
	wrap(guardedNames, func() { c.impure++; c.epoch++ })
}
