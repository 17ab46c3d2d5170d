package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// FieldManager is the server-side apply field manager of lade.
const FieldManager = "lade"

// Client talks to one cluster.
type Client struct {
	Config    *rest.Config
	Clientset kubernetes.Interface
	Dynamic   dynamic.Interface
	Metadata  metadata.Interface
	Discovery discovery.CachedDiscoveryInterface
	Mapper    meta.ResettableRESTMapper
	// Concurrency bounds parallel requests of one step (default 16).
	Concurrency int

	capsOnce sync.Once
	caps     *common.Capabilities
	capsErr  error

	raw rawClients // see rawClient
}

// DefaultQPS and DefaultBurst are the client-side rate limit of a client
// whose REST config sets none (client-go's defaults are 5 and 10, Helm's
// 0 and 100).
const (
	DefaultQPS   = 1000
	DefaultBurst = 2000
)

// New builds a client from a REST config.
func New(cfg *rest.Config) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	markUnreachable(cfg)
	// One install of a 200-object chart makes over 400 requests: at
	// 100/s after a burst of 200, client-side throttling alone cost it
	// 2 s. The apiserver's priority and fairness protects it. A caller's
	// QPS and burst (--qps, --burst-limit) are kept, each on its own.
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc := memory.NewMemCacheClient(cs.Discovery())
	return &Client{
		Config: cfg, Clientset: cs, Dynamic: dyn, Metadata: md, Discovery: disc,
		Mapper: restmapper.NewDeferredDiscoveryRESTMapper(disc), Concurrency: 16,
	}, nil
}

// FromFlags builds a client from cli-runtime config flags.
func FromFlags(f *genericclioptions.ConfigFlags) (*Client, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster unreachable: %w", err)
	}
	return New(cfg)
}

// Capabilities returns the cluster's version and API versions as Helm's
// .Capabilities reports them: every group/version and group/version/Kind.
func (c *Client) Capabilities() (*common.Capabilities, error) {
	c.capsOnce.Do(func() {
		sv, err := c.Discovery.ServerVersion()
		if err != nil {
			c.capsErr = fmt.Errorf("kubernetes cluster unreachable: %w", err)
			return
		}
		kv, err := common.ParseKubeVersion(sv.GitVersion)
		if err != nil {
			c.capsErr = err
			return
		}
		_, lists, err := c.Discovery.ServerGroupsAndResources()
		if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
			c.capsErr = fmt.Errorf("could not get apiVersions from Kubernetes: %w", err)
			return
		}
		caps := common.DefaultCapabilities(kv)
		seen := map[string]bool{}
		var set common.VersionSet
		for _, l := range lists {
			if !seen[l.GroupVersion] {
				seen[l.GroupVersion] = true
				set = append(set, l.GroupVersion)
			}
			for _, r := range l.APIResources {
				k := l.GroupVersion + "/" + r.Kind
				if !seen[k] {
					seen[k] = true
					set = append(set, k)
				}
			}
		}
		caps.APIVersions = set
		c.caps = caps
	})
	return c.caps, c.capsErr
}

// ResetMapper forgets cached discovery (after CRDs were created).
func (c *Client) ResetMapper() {
	c.Discovery.Invalidate()
	c.Mapper.Reset()
}

// Lookup implements the template function `lookup` against the cluster.
func (c *Client) Lookup(apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return map[string]any{}, err
	}
	m, err := c.Mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return map[string]any{}, nil
		}
		return map[string]any{}, err
	}
	ri := c.Dynamic.Resource(m.Resource)
	var res dynamic.ResourceInterface = ri
	if m.Scope.Name() == meta.RESTScopeNameNamespace && namespace != "" {
		res = ri.Namespace(namespace)
	}
	ctx := context.Background()
	if name != "" {
		obj, err := res.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return map[string]any{}, nil
		}
		if err != nil {
			return map[string]any{}, err
		}
		return obj.Object, nil
	}
	list, err := res.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return map[string]any{}, err
	}
	return list.UnstructuredContent(), nil
}

// Resource is one object of a release with its REST mapping.
type Resource struct {
	Object     *unstructured.Unstructured
	Mapping    *meta.RESTMapping
	Namespaced bool
}

// Kind is the object's kind.
func (r *Resource) Kind() string { return r.Object.GetKind() }

// Name is the object's name.
func (r *Resource) Name() string { return r.Object.GetName() }

// Namespace is the object's namespace ("" when cluster-scoped).
func (r *Resource) Namespace() string { return r.Object.GetNamespace() }

// Key identifies an object across revisions: group/Kind/namespace/name.
func (r *Resource) Key() string {
	gvk := r.Object.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind + "/" + r.Object.GetNamespace() + "/" + r.Object.GetName()
}

// String is "Kind namespace/name" (or "Kind name").
func (r *Resource) String() string {
	if r.Namespace() == "" {
		return r.Kind() + " " + r.Name()
	}
	return r.Kind() + " " + r.Namespace() + "/" + r.Name()
}

func (c *Client) client(r *Resource) dynamic.ResourceInterface {
	ri := c.Dynamic.Resource(r.Mapping.Resource)
	if r.Namespaced {
		return ri.Namespace(r.Namespace())
	}
	return ri
}

// Get reads the live object (nil, nil when it does not exist).
func (c *Client) Get(ctx context.Context, r *Resource) (*unstructured.Unstructured, error) {
	obj, err := c.client(r).Get(ctx, r.Name(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", r, err)
	}
	return obj, nil
}

// each runs f over items with bounded concurrency and returns the first error.
func (c *Client) each(n int, f func(i int) error) error {
	lim := c.Concurrency
	if lim <= 0 {
		lim = 16
	}
	sem := make(chan struct{}, lim)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return joinErrors(errs)
}

// joinErrors is nil when every error is nil, the one error when there is
// one, and else all of them as "N errors:" and one indented line each
// (errors.Is and errors.As see every one).
func joinErrors(errs []error) error {
	var all []error
	for _, e := range errs {
		if e != nil {
			all = append(all, e)
		}
	}
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	}
	return multiError(all)
}

type multiError []error

func (m multiError) Error() string {
	msgs := make([]string, len(m))
	for i, e := range m {
		msgs[i] = e.Error()
	}
	return fmt.Sprintf("%d errors:\n  %s", len(m), strings.Join(msgs, "\n  "))
}

func (m multiError) Unwrap() []error { return m }

// Missing returns the objects of rs that do not exist in the cluster: one
// metadata-only read per resource type and namespace (see liveMetadata).
// An operation that may have to remove what it created (--cleanup-on-fail)
// asks this before applying.
func (c *Client) Missing(ctx context.Context, rs []*Resource) ([]*Resource, error) {
	live, err := c.liveMetadata(ctx, rs)
	if err != nil {
		return nil, err
	}
	var out []*Resource
	for i, r := range rs {
		if live[i] == nil {
			out = append(out, r)
		}
	}
	return out, nil
}
