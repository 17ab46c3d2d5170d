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

// AppendTag and SetTag expose the two ways of tagging a base document.
func AppendTag(content string, i int) ([]byte, bool) { return appendTag(content, i) }
func SetTag(content string, i int) ([]byte, bool)    { return setTag(content, i) }

// DocKey is the tag field.
const DocKey = docKey

// SetTagOnly makes builds tag every document through kyaml (setTag), as
// they did before appendTag, until the returned function is called.
func SetTagOnly() (restore func()) {
	tagFast = func(string, int) ([]byte, bool) { return nil, false }
	return func() { tagFast = appendTag }
}
