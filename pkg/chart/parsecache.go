package chart

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"sigs.k8s.io/yaml"
)

// ParseCache remembers what loads parsed (values.yaml and Chart.yaml), keyed
// by the files' bytes, so loading a chart again (a subchart linted on its own
// after its umbrella was loaded) parses nothing twice. Loads get deep copies,
// so processing one loaded chart never changes another; a chart loaded
// through the cache is identical to one loaded by Load. Parse errors are not
// remembered. Safe for concurrent use.
type ParseCache struct {
	mu     sync.Mutex
	values map[string]map[string]any
	meta   map[string]*Metadata
}

// NewParseCache returns an empty cache.
func NewParseCache() *ParseCache {
	return &ParseCache{values: map[string]map[string]any{}, meta: map[string]*Metadata{}}
}

// Load is Load, parsing through the cache.
func (pc *ParseCache) Load(p string) (*Chart, error) {
	c, err := load(p, pc, nil)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", p, err)
	}
	return c, nil
}

// loadValues is LoadValues through the cache (pc may be nil).
func (pc *ParseCache) loadValues(data []byte) (map[string]any, error) {
	if pc == nil {
		return LoadValues(data)
	}
	pc.mu.Lock()
	v, ok := pc.values[string(data)]
	pc.mu.Unlock()
	if ok {
		return CopyValues(v), nil
	}
	v, err := LoadValues(data)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.values[string(data)] = CopyValues(v)
	pc.mu.Unlock()
	return v, nil
}

// loadMetadata unmarshals Chart.yaml (BOM already trimmed) into a new
// Metadata through the cache (pc may be nil).
func (pc *ParseCache) loadMetadata(data []byte) (*Metadata, error) {
	if pc == nil {
		m := new(Metadata)
		return m, yaml.Unmarshal(data, m)
	}
	pc.mu.Lock()
	cached, ok := pc.meta[string(data)]
	pc.mu.Unlock()
	if ok {
		return cached.clone(), nil
	}
	m := new(Metadata)
	if err := yaml.Unmarshal(data, m); err != nil {
		return m, err
	}
	pc.mu.Lock()
	pc.meta[string(data)] = m.clone()
	pc.mu.Unlock()
	return m, nil
}

// clone deep-copies the metadata.
func (m *Metadata) clone() *Metadata {
	c := *m
	c.Sources = slices.Clone(m.Sources)
	c.Keywords = slices.Clone(m.Keywords)
	c.Annotations = maps.Clone(m.Annotations)
	if m.Maintainers != nil {
		c.Maintainers = make([]*Maintainer, len(m.Maintainers))
		for i, x := range m.Maintainers {
			if x != nil {
				y := *x
				c.Maintainers[i] = &y
			}
		}
	}
	if m.Dependencies != nil {
		c.Dependencies = make([]*Dependency, len(m.Dependencies))
		for i, x := range m.Dependencies {
			if x != nil {
				y := *x
				y.Tags = slices.Clone(x.Tags)
				if x.ImportValues != nil {
					y.ImportValues = CopyValue(x.ImportValues).([]any)
				}
				c.Dependencies[i] = &y
			}
		}
	}
	return &c
}
