package kube

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// Flags are the cluster-access flags with Helm's names, backed by
// cli-runtime's ConfigFlags (which also honours KUBECONFIG).
type Flags struct {
	Config *genericclioptions.ConfigFlags
	// QPS (--qps) and BurstLimit (--burst-limit) are the client-side rate
	// limit of requests to the API server; 0 keeps lade's default (see New).
	QPS        float32
	BurstLimit int
}

// NewFlags returns flags with cli-runtime defaults.
func NewFlags() *Flags {
	return &Flags{Config: genericclioptions.NewConfigFlags(true)}
}

// AddFlags registers --kubeconfig, --kube-context, --kube-token,
// --kube-as-user, --kube-as-group, --kube-apiserver, --kube-ca-file,
// --kube-tls-server-name, --kube-insecure-skip-tls-verify, --request-timeout,
// --qps and --burst-limit. Values already set in f (from the environment,
// say) are the flags' defaults, as Helm's are; --help shows them, except
// a token.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	c := f.Config
	fs.StringVar(c.KubeConfig, "kubeconfig", *c.KubeConfig, "path to the kubeconfig file")
	fs.StringVar(c.Context, "kube-context", *c.Context, "name of the kubeconfig context to use")
	fs.StringVar(c.BearerToken, "kube-token", *c.BearerToken, "bearer token used for authentication")
	fs.Lookup("kube-token").DefValue = ""
	fs.StringVar(c.Impersonate, "kube-as-user", *c.Impersonate, "username to impersonate for the operation")
	fs.StringArrayVar(c.ImpersonateGroup, "kube-as-group", *c.ImpersonateGroup, "group to impersonate for the operation, this flag can be repeated to specify multiple groups")
	fs.StringVar(c.APIServer, "kube-apiserver", *c.APIServer, "the address and the port for the Kubernetes API server")
	fs.StringVar(c.CAFile, "kube-ca-file", *c.CAFile, "the certificate authority file for the Kubernetes API server connection")
	fs.StringVar(c.TLSServerName, "kube-tls-server-name", *c.TLSServerName, "server name to use for Kubernetes API server certificate validation")
	fs.BoolVar(c.Insecure, "kube-insecure-skip-tls-verify", *c.Insecure, "if true, the Kubernetes API server's certificate will not be checked for validity")
	fs.StringVar(c.Timeout, "request-timeout", *c.Timeout, "the length of time to wait before giving up on a single server request")
	fs.Float32Var(&f.QPS, "qps", f.QPS, "queries per second used when communicating with the Kubernetes API, not including bursting (0: lade's default, 1000)")
	fs.IntVar(&f.BurstLimit, "burst-limit", f.BurstLimit, "client-side default throttling limit (0: lade's default, 2000; Helm's is 100)")
}

// RESTConfig is the REST configuration the flags select, with --qps and
// --burst-limit applied.
func (f *Flags) RESTConfig() (*rest.Config, error) {
	cfg, err := f.Config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster unreachable: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	if f.QPS != 0 {
		cfg.QPS = f.QPS
	}
	if f.BurstLimit != 0 {
		cfg.Burst = f.BurstLimit
	}
	return cfg, nil
}

// Client builds a cluster client for namespace ns (the -n flag).
func (f *Flags) Client(ns string) (*Client, error) {
	if ns != "" {
		f.Config.Namespace = &ns
	}
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// Namespace returns -n if set, else the kubeconfig context's namespace, else "default".
func (f *Flags) Namespace(flag string) string {
	if flag != "" {
		return flag
	}
	if ns, _, err := f.Config.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}
