package overlay

// BuildOnce is Build in one krusty run.
func (o *Overlay) BuildOnce(base []Doc, addedPrefix string) ([]Doc, error) {
	return o.build(base, addedPrefix, 0)
}

// BuildSharded is the sharded build in runs of size documents; ok is false
// when the overlay or the result needs one run.
func (o *Overlay) BuildSharded(base []Doc, size int) (docs []Doc, ok bool) {
	return o.buildSharded(base, size)
}

// PerObject exposes perObject.
func (o *Overlay) PerObject() bool { return o.perObject() }
