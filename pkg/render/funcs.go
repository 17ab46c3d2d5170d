package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	goyaml3 "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/chart"
)

// baseFuncs is sprig's text function map without env/expandenv, plus Helm's
// own functions that need no per-render state. Built once per process.
var baseFuncs = sync.OnceValue(func() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	maps.Copy(f, certFuncs(f, rsaKey))
	withFastDeepCopy(f)
	maps.Copy(f, template.FuncMap{
		"toToml":        toTOML,
		"mustToToml":    mustToTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"mustToYaml":    mustToYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"mustToJson":    mustToJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,

		"mustToDuration":       mustToDuration,
		"durationSeconds":      durationFloat(time.Duration.Seconds),
		"durationMilliseconds": durationInt(time.Duration.Milliseconds),
		"durationMicroseconds": durationInt(time.Duration.Microseconds),
		"durationNanoseconds":  durationInt(time.Duration.Nanoseconds),
		"durationMinutes":      durationFloat(time.Duration.Minutes),
		"durationHours":        durationFloat(time.Duration.Hours),
		"durationDays":         durationFloat(func(d time.Duration) float64 { return d.Hours() / 24.0 }),
		"durationWeeks":        durationFloat(func(d time.Duration) float64 { return d.Hours() / 24.0 / 7.0 }),
		"durationRoundTo":      durationRoundTo,
		"durationTruncateTo":   durationTruncateTo,

		// Placeholders so templates parse; each render binds the real ones.
		"include":  func(string, any) string { return "not implemented" },
		"tpl":      func(string, any) any { return "not implemented" },
		"required": func(string, any) (any, error) { return "not implemented", nil },
		"lookup": func(string, string, string, string) (map[string]any, error) {
			return map[string]any{}, nil
		},
	})
	return f
})

func toYAML(v any) string {
	data, err := marshalYAML(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func mustToYAML(v any) string {
	data, err := marshalYAML(v)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v any) string {
	var buf bytes.Buffer
	enc := goyaml3.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := yamljson.UnmarshalMap([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// parsedCache remembers, for one render, what fromYaml parsed: charts parse
// the same string more than once (istio's CRD template parses each CRD
// twice). Callers get deep copies, as they may modify the result.
type parsedCache struct {
	mu      sync.Mutex
	entries map[string]map[string]any
	bytes   int
}

// maxParsedCacheBytes bounds the text a render keeps parsed.
const maxParsedCacheBytes = 16 << 20

func newParsedCache() *parsedCache {
	return &parsedCache{entries: map[string]map[string]any{}}
}

// fromYAML is fromYaml through the cache.
func (c *parsedCache) fromYAML(s string) map[string]any {
	if m, ok := c.get(s); ok {
		return m
	}
	m := fromYAML(s)
	c.put(s, m)
	return chart.CopyValue(m).(map[string]any)
}

func (c *parsedCache) get(s string) (map[string]any, bool) {
	c.mu.Lock()
	m, ok := c.entries[s]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return chart.CopyValue(m).(map[string]any), true
}

func (c *parsedCache) put(s string, m map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(s) > maxParsedCacheBytes {
		return
	}
	c.entries[s] = m
	c.bytes += len(s)
}

func fromYAMLArray(s string) []any {
	a := []any{}
	if err := yamljson.UnmarshalSlice([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toTOML(v any) string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return err.Error()
	}
	return buf.String()
}

func mustToTOML(v any) string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		panic(err)
	}
	return buf.String()
}

func fromTOML(s string) map[string]any {
	m := map[string]any{}
	if err := toml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func mustToJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func fromJSON(s string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []any {
	a := []any{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

// Duration helpers: a value is a Go duration string, a number of seconds
// (integer, float or numeric string) or a time.Duration.

const (
	maxDurationSeconds = int64(math.MaxInt64 / int64(time.Second))
	minDurationSeconds = int64(math.MinInt64 / int64(time.Second))
)

func secondsFloat(s float64) (time.Duration, error) {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, fmt.Errorf("invalid duration seconds: %v", s)
	}
	if s > float64(math.MaxInt64)/float64(time.Second) || s < float64(math.MinInt64)/float64(time.Second) {
		return 0, fmt.Errorf("duration seconds overflow: %v", s)
	}
	n := s * float64(time.Second)
	if n > float64(math.MaxInt64) || n < float64(math.MinInt64) {
		return 0, fmt.Errorf("duration nanoseconds overflow: %v", n)
	}
	return time.Duration(n), nil
}

func asDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, errors.New("empty duration")
		}
		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return secondsFloat(f)
		}
		return 0, fmt.Errorf("could not parse duration %q", x)
	case nil:
		return 0, errors.New("invalid duration")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n > maxDurationSeconds || n < minDurationSeconds {
			return 0, fmt.Errorf("duration seconds overflow: %d", n)
		}
		return time.Duration(n) * time.Second, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		if n > uint64(maxDurationSeconds) {
			return 0, fmt.Errorf("duration seconds overflow: %d", n)
		}
		return time.Duration(int64(n)) * time.Second, nil
	case reflect.Float32, reflect.Float64:
		return secondsFloat(rv.Float())
	}
	return 0, fmt.Errorf("unsupported duration type %T", v)
}

func mustToDuration(v any) time.Duration {
	d, err := asDuration(v)
	if err != nil {
		panic(err)
	}
	return d
}

func durationFloat(f func(time.Duration) float64) func(any) float64 {
	return func(v any) float64 {
		d, err := asDuration(v)
		if err != nil {
			return 0
		}
		return f(d)
	}
}

func durationInt(f func(time.Duration) int64) func(any) int64 {
	return func(v any) int64 {
		d, err := asDuration(v)
		if err != nil {
			return 0
		}
		return f(d)
	}
}

func durationRoundTo(v, m any) time.Duration {
	d, err := asDuration(v)
	if err != nil {
		return 0
	}
	mul, err := asDuration(m)
	if err != nil {
		return d
	}
	return d.Round(mul)
}

func durationTruncateTo(v, m any) time.Duration {
	d, err := asDuration(v)
	if err != nil {
		return 0
	}
	mul, err := asDuration(m)
	if err != nil {
		return d
	}
	return d.Truncate(mul)
}
