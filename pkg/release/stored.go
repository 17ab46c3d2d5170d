package release

import (
	"fmt"
	"log/slog"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// StoredObjects builds the objects of rel's manifest, a stored revision, as
// every operation on an existing release must (upgrade and rollback for
// the revision they replace and the one they restore, uninstall, status,
// diff): objects of API versions the cluster no longer serves are taken at
// the version that replaces them (kube.Client.BuildStored), with a warning
// for each (once per Config, revision and object) on c.Warn. With lenient,
// custom resources whose CRD is in the manifest but not served yet are
// returned in Unmapped instead of failing (kube.Client.BuildLenient).
func (c *Config) StoredObjects(rel *Release, lenient bool) (kube.Built, error) {
	b, err := c.Kube.BuildStored(rel.Manifest, c.Namespace, lenient)
	if err != nil {
		return b, err
	}
	for _, rm := range b.Remapped {
		c.warnRemapped(rel, rm)
	}
	return b, nil
}

// renderedObjects builds the objects of rel, a revision just rendered
// (lenient: see kube.Client.BuildLenient), from the rendered objects it
// carries: the render parsed them, and the client takes their trees over,
// so they are built once; a revision carrying none (built already, or made
// by a caller) is built from its manifest text.
func (c *Config) renderedObjects(rel *Release, lenient bool) (kube.Built, error) {
	docs := rel.rendered
	rel.rendered = nil
	if docs != nil {
		return c.Kube.BuildObjects(docs, c.Namespace, lenient)
	}
	var b kube.Built
	var err error
	if lenient {
		b.Resources, b.Unmapped, err = c.Kube.BuildLenient(rel.Manifest, c.Namespace)
	} else {
		b.Resources, err = c.Kube.Build(rel.Manifest, c.Namespace)
	}
	return b, err
}

// storedObjects is StoredObjects for operations, which need every object mapped.
func (c *Config) storedObjects(rel *Release) ([]*kube.Resource, error) {
	b, err := c.StoredObjects(rel, false)
	return b.Resources, err
}

// hookObjects builds the objects of a hook of rel. The hooks of rollback,
// delete and test run from a stored revision (the rollback's target, the
// release being uninstalled or tested), so they are built as stored
// objects (see StoredObjects); install and upgrade hooks are the new
// chart's and must be served as they are.
func (c *Config) hookObjects(rel *Release, h *Hook, event render.HookEvent) ([]*kube.Resource, error) {
	switch event {
	case render.HookPreRollback, render.HookPostRollback, render.HookPreDelete, render.HookPostDelete, render.HookTest:
	default:
		return c.Kube.Build(h.Manifest, rel.Namespace)
	}
	b, err := c.Kube.BuildStored(h.Manifest, rel.Namespace, false)
	if err != nil {
		return nil, err
	}
	for _, rm := range b.Remapped {
		c.warnRemapped(rel, rm)
	}
	return b.Resources, nil
}

// warnRemapped says, once per revision and object, that a stored object's
// apiVersion is no longer served and what lade takes it as.
func (c *Config) warnRemapped(rel *Release, rm kube.Remapped) {
	obj := rm.Object.GetName()
	if ns := rm.Object.GetNamespace(); ns != "" {
		obj = ns + "/" + obj
	}
	var msg string
	if rm.To != "" {
		msg = fmt.Sprintf("%s %s in revision %d uses %s, which the cluster no longer serves; treated as %s",
			rm.Object.GetKind(), obj, rel.Version, rm.From, rm.To)
	} else {
		msg = fmt.Sprintf("%s %s in revision %d uses %s, which the cluster no longer serves in any version; no such object can exist, skipped",
			rm.Object.GetKind(), obj, rel.Version, rm.From)
	}
	c.warnMu.Lock()
	defer c.warnMu.Unlock()
	key := fmt.Sprintf("%s/%d/%s/%s", rel.Name, rel.Version, rm.Object.GetKind(), obj)
	if c.warned[key] {
		return
	}
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[key] = true
	if c.Warn == nil {
		slog.Warn(msg)
		return
	}
	fmt.Fprintf(c.Warn, "warning: %s\n", msg)
}
