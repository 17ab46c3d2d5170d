package kube

import (
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Flags are the cluster-access flags with Helm's names, backed by
// cli-runtime's ConfigFlags (which also honours KUBECONFIG).
type Flags struct {
	Config *genericclioptions.ConfigFlags
}

// NewFlags returns flags with cli-runtime defaults.
func NewFlags() *Flags {
	return &Flags{Config: genericclioptions.NewConfigFlags(true)}
}

// AddFlags registers --kubeconfig, --kube-context, --kube-token,
// --kube-as-user, --kube-as-group, --kube-apiserver, --kube-ca-file,
// --kube-tls-server-name, --kube-insecure-skip-tls-verify and --request-timeout.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	c := f.Config
	fs.StringVar(c.KubeConfig, "kubeconfig", "", "path to the kubeconfig file")
	fs.StringVar(c.Context, "kube-context", "", "name of the kubeconfig context to use")
	fs.StringVar(c.BearerToken, "kube-token", "", "bearer token used for authentication")
	fs.StringVar(c.Impersonate, "kube-as-user", "", "username to impersonate for the operation")
	fs.StringArrayVar(c.ImpersonateGroup, "kube-as-group", nil, "group to impersonate for the operation, this flag can be repeated to specify multiple groups")
	fs.StringVar(c.APIServer, "kube-apiserver", "", "the address and the port for the Kubernetes API server")
	fs.StringVar(c.CAFile, "kube-ca-file", "", "the certificate authority file for the Kubernetes API server connection")
	fs.StringVar(c.TLSServerName, "kube-tls-server-name", "", "server name to use for Kubernetes API server certificate validation")
	fs.BoolVar(c.Insecure, "kube-insecure-skip-tls-verify", false, "if true, the Kubernetes API server's certificate will not be checked for validity")
	fs.StringVar(c.Timeout, "request-timeout", "0", "the length of time to wait before giving up on a single server request")
}

// Client builds a cluster client for namespace ns (the -n flag).
func (f *Flags) Client(ns string) (*Client, error) {
	if ns != "" {
		f.Config.Namespace = &ns
	}
	return FromFlags(f.Config)
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
