package interop

import (
	"os"
	"slices"
	"testing"

	helmcli "helm.sh/helm/v4/pkg/cli"
	helmpath "helm.sh/helm/v4/pkg/helmpath"

	"github.com/lade-dev/lade/internal/helmenv"
)

// lade reads the environment as Helm's own EnvSettings does: for each set
// of variables, every setting and path lade takes from HELM_* equals the
// one Helm's cli.New computes (BurstLimit and QPS only where set and
// valid: unset, lade keeps its own client defaults).
func TestEnvironmentReadAsHelmReadsIt(t *testing.T) {
	home := t.TempDir()
	vars := []string{"HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME", "HELM_PLUGINS", "HELM_REGISTRY_CONFIG",
		"HELM_REPOSITORY_CONFIG", "HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
		"XDG_DATA_HOME", "KUBECONFIG"}
	for _, n := range helmenv.Names {
		vars = append(vars, "HELM_"+n, "LADE_"+n)
	}
	cases := []map[string]string{
		{},
		{
			"HELM_NAMESPACE": "shop", "HELM_KUBECONTEXT": "prod", "HELM_KUBETOKEN": "tok", "HELM_KUBEASUSER": "alice",
			"HELM_KUBEASGROUPS": "a,b", "HELM_KUBEAPISERVER": "https://10.0.0.1:6443", "HELM_KUBECAFILE": "/ca.pem",
			"HELM_KUBETLS_SERVER_NAME": "api", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "true", "HELM_MAX_HISTORY": "0",
			"HELM_BURST_LIMIT": "300", "HELM_QPS": "12.5", "HELM_DEBUG": "1",
		},
		{"HELM_KUBEASGROUPS": " ,a, b ,,c , ", "HELM_DEBUG": "T", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "F", "HELM_MAX_HISTORY": "-3"},
		{"HELM_KUBEASGROUPS": ",", "HELM_DEBUG": "yes", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "on", "HELM_MAX_HISTORY": "ten", "HELM_QPS": "fast"},
		{"XDG_CONFIG_HOME": home + "/xc", "XDG_CACHE_HOME": home + "/xk", "XDG_DATA_HOME": home + "/xd"},
		{"HELM_CONFIG_HOME": home + "/hc", "HELM_CACHE_HOME": home + "/hk", "HELM_DATA_HOME": home + "/hd", "XDG_CONFIG_HOME": home + "/xc"},
		{"HELM_REGISTRY_CONFIG": home + "/reg.json", "HELM_REPOSITORY_CONFIG": home + "/repos.yaml",
			"HELM_REPOSITORY_CACHE": home + "/rc", "HELM_CONTENT_CACHE": home + "/cc", "HELM_PLUGINS": home + "/pl"},
		{"HELM_PLUGINS": "", "HELM_REGISTRY_CONFIG": ""}, // set and empty: Helm takes them as they are
	}
	for i, c := range cases {
		for _, n := range vars {
			t.Setenv(n, "")
			os.Unsetenv(n)
		}
		t.Setenv("HOME", home)
		for k, v := range c {
			t.Setenv(k, v)
		}
		l, h := helmenv.Load(), helmcli.New()
		check := func(what string, lade, helm any) {
			t.Helper()
			switch lv := lade.(type) {
			case []string:
				if !slices.Equal(lv, helm.([]string)) {
					t.Errorf("case %d %v: %s: lade %q, helm %q", i, c, what, lade, helm)
				}
				return
			}
			if lade != helm {
				t.Errorf("case %d %v: %s: lade %#v, helm %#v", i, c, what, lade, helm)
			}
		}
		ns := l.Namespace
		if ns == "" {
			ns = "default"
		}
		check("namespace", ns, h.Namespace())
		check("kube context", l.KubeContext, h.KubeContext)
		check("kube token", l.KubeToken, h.KubeToken)
		check("kube as user", l.KubeAsUser, h.KubeAsUser)
		check("kube as groups", nilIfEmpty(l.KubeAsGroups), nilIfEmpty(h.KubeAsGroups))
		check("kube apiserver", l.KubeAPIServer, h.KubeAPIServer)
		check("kube CA file", l.KubeCAFile, h.KubeCaFile)
		check("kube TLS server name", l.KubeTLSServerName, h.KubeTLSServerName)
		check("kube insecure", l.KubeInsecureSkipTLSVerify, h.KubeInsecureSkipTLSVerify)
		check("debug", l.Debug, h.Debug)
		check("max history", l.MaxHistory, h.MaxHistory)
		if l.BurstLimit != 0 {
			check("burst limit", l.BurstLimit, h.BurstLimit)
		}
		if l.QPS != 0 || h.QPS != 0 {
			check("qps", l.QPS, h.QPS)
		}
		check("config home", helmenv.ConfigPath(""), helmpath.ConfigPath(""))
		check("cache home", helmenv.CachePath(""), helmpath.CachePath(""))
		check("data home", helmenv.DataPath(""), helmpath.DataPath(""))
		check("registry config", helmenv.RegistryConfig(), h.RegistryConfig)
		check("repository config", helmenv.RepositoryConfig(), h.RepositoryConfig)
		check("repository cache", helmenv.RepositoryCache(), h.RepositoryCache)
		check("content cache", helmenv.ContentCache(), h.ContentCache)
		check("plugins", helmenv.Plugins(), h.PluginsDirectory)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
