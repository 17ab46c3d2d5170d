package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lade-dev/lade/internal/helmenv"
	"github.com/lade-dev/lade/internal/testenv"
)

// cleanEnv removes every variable lade or Helm would read (restored after
// the test) and gives the test an empty home, so that only what the test
// sets counts.
func cleanEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	unset := []string{"KUBECONFIG", "HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME", "HELM_PLUGINS",
		"HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG", "HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE",
		"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "DOCKER_CONFIG", "LADE_REGISTRY_CONFIG", "LADE_CACHE_DIR",
		"HELM_COLOR", "NO_COLOR"}
	for _, n := range helmenv.Names {
		unset = append(unset, "HELM_"+n, "LADE_"+n)
	}
	for _, n := range unset {
		t.Setenv(n, "")
		os.Unsetenv(n)
	}
	t.Setenv("HOME", home)
	return home
}

// envLines parses `NAME="value"` lines, checking that they are sorted.
func envLines(t *testing.T, out string) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`^([A-Z_]+)="(.*)"$`)
	vars := map[string]string{}
	var names []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("env line %q is not NAME=\"value\"", l)
		}
		vars[m[1]] = m[2]
		names = append(names, m[1])
	}
	if !sort.StringsAreSorted(names) {
		t.Fatalf("env lines not sorted:\n%s", out)
	}
	return vars
}

// `lade env` prints what `helm env` prints, in its format, with lade's
// LADE_ names beside; LADE_ wins over HELM_, flags over both; values Helm
// would ignore are ignored with a warning.
func TestEnvCommand(t *testing.T) {
	home := cleanEnv(t)
	set := map[string]string{
		"HELM_NAMESPACE":                    "shop",
		"HELM_KUBECONTEXT":                  "staging",
		"HELM_KUBETOKEN":                    "s3cr3t-token",
		"HELM_KUBEASUSER":                   "alice",
		"HELM_KUBEASGROUPS":                 " devs, ops,",
		"HELM_KUBEAPISERVER":                "https://127.0.0.1:6443",
		"HELM_KUBECAFILE":                   "/etc/ca.pem",
		"HELM_KUBETLS_SERVER_NAME":          "api.example",
		"HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "1",
		"HELM_MAX_HISTORY":                  "5",
		"HELM_BURST_LIMIT":                  "7",
		"HELM_QPS":                          "2.5",
		"HELM_DEBUG":                        "true",
		"HELM_CONFIG_HOME":                  filepath.Join(home, "helmconf"),
		"XDG_CACHE_HOME":                    filepath.Join(home, "xdgcache"),
		"HELM_PLUGINS":                      filepath.Join(home, "plugins"),
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
	t.Setenv("LADE_MAX_HISTORY", "3") // wins over HELM_MAX_HISTORY

	r := mustLade(t, "env")
	vars := envLines(t, r.stdout)
	want := map[string]string{
		"HELM_NAMESPACE":                    "shop",
		"HELM_KUBECONTEXT":                  "staging",
		"HELM_KUBETOKEN":                    "s3cr3t-token",
		"HELM_KUBEASUSER":                   "alice",
		"HELM_KUBEASGROUPS":                 "devs, ops",
		"HELM_KUBEAPISERVER":                "https://127.0.0.1:6443",
		"HELM_KUBECAFILE":                   "/etc/ca.pem",
		"HELM_KUBETLS_SERVER_NAME":          "api.example",
		"HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "true",
		"HELM_MAX_HISTORY":                  "3",
		"LADE_MAX_HISTORY":                  "3",
		"HELM_BURST_LIMIT":                  "7",
		"HELM_QPS":                          "2.50",
		"HELM_DEBUG":                        "true",
		"LADE_DEBUG":                        "true",
		"HELM_DRIVER":                       "secret",
		"HELM_CONFIG_HOME":                  filepath.Join(home, "helmconf"),
		"HELM_REGISTRY_CONFIG":              filepath.Join(home, "helmconf", "registry", "config.json"),
		"HELM_REPOSITORY_CONFIG":            filepath.Join(home, "helmconf", "repositories.yaml"),
		"HELM_CACHE_HOME":                   filepath.Join(home, "xdgcache", "helm"),
		"HELM_REPOSITORY_CACHE":             filepath.Join(home, "xdgcache", "helm", "repository"),
		"HELM_CONTENT_CACHE":                filepath.Join(home, "xdgcache", "helm", "content"),
		"HELM_DATA_HOME":                    filepath.Join(home, ".local", "share", "helm"),
		"HELM_PLUGINS":                      filepath.Join(home, "plugins"),
		"LADE_CACHE_DIR":                    filepath.Join(home, "xdgcache", "lade"),
		"LADE_REGISTRY_CONFIG":              filepath.Join(home, ".docker", "config.json"),
		"LADE_NAMESPACE":                    "shop",
		"LADE_KUBECONTEXT":                  "staging",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("lade env: %s=%q, want %q", k, vars[k], v)
		}
	}
	if _, ok := vars["KUBECONFIG"]; ok {
		t.Error("KUBECONFIG printed without --kubeconfig (helm env prints it only then)")
	}

	// One name prints its value; flags win over LADE_ and HELM_.
	t.Setenv("LADE_NAMESPACE", "web")
	if r = mustLade(t, "env", "HELM_NAMESPACE"); r.stdout != "web\n" {
		t.Errorf("LADE_NAMESPACE over HELM_NAMESPACE: %q", r.stdout)
	}
	if r = mustLade(t, "env", "LADE_NAMESPACE", "-n", "flagged"); r.stdout != "flagged\n" {
		t.Errorf("-n over LADE_NAMESPACE: %q", r.stdout)
	}
	r = mustLade(t, "env", "--kube-as-group", "x", "--kube-as-group", "y", "--kubeconfig", "/k/config", "--qps", "9", "--debug=false")
	vars = envLines(t, r.stdout)
	for k, v := range map[string]string{"HELM_KUBEASGROUPS": "x,y", "KUBECONFIG": "/k/config", "HELM_QPS": "9.00", "HELM_DEBUG": "false"} {
		if vars[k] != v {
			t.Errorf("flags: %s=%q, want %q", k, vars[k], v)
		}
	}
	failLade(t, `unknown variable "HELM_NAMESPCE"`, "env", "HELM_NAMESPCE")
	if got, _ := complete(t, "env", "LADE_KUBEC"); !slices.Equal(got, []string{"LADE_KUBECAFILE", "LADE_KUBECONTEXT"}) {
		t.Errorf("lade env LADE_KUBEC<TAB>: %q", got)
	}

	// Helm's help shows the environment's values as flag defaults; lade's
	// too, but never the token.
	r = mustLade(t, "list", "--help")
	if !strings.Contains(r.stdout, `(default "staging")`) || !strings.Contains(r.stdout, `(default "web")`) {
		t.Errorf("list --help does not show the environment's defaults:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "s3cr3t-token") {
		t.Errorf("list --help shows HELM_KUBETOKEN:\n%s", r.stdout)
	}

	// A value Helm cannot parse is ignored, as Helm ignores it, with a warning.
	t.Setenv("LADE_MAX_HISTORY", "ten")
	t.Setenv("HELM_DEBUG", "yes")
	r = mustLade(t, "env", "HELM_MAX_HISTORY")
	if r.stdout != "10\n" || !strings.Contains(r.stderr, `level=WARN msg="ignoring LADE_MAX_HISTORY=\"ten\": not an integer (using 10)"`) ||
		!strings.Contains(r.stderr, `ignoring HELM_DEBUG=\"yes\": not a boolean`) {
		t.Errorf("unparsable values: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// The reference Helm's `helm env` and `lade env` agree on every variable
// Helm prints, under the same environment.
func TestEnvMatchesHelm(t *testing.T) {
	if _, err := os.Stat(helmRef()); err != nil {
		t.Skipf("no reference Helm: %v", err)
	}
	home := cleanEnv(t)
	env := map[string]string{
		"HELM_NAMESPACE":    "shop",
		"HELM_KUBEASGROUPS": "a, b,",
		"HELM_KUBEASUSER":   "alice",
		"HELM_MAX_HISTORY":  "4",
		"HELM_BURST_LIMIT":  "50",
		"HELM_QPS":          "12.25",
		"HELM_DEBUG":        "TRUE",
		"HELM_CACHE_HOME":   filepath.Join(home, "c"),
		"XDG_DATA_HOME":     filepath.Join(home, "d"),
		"HELM_KUBETOKEN":    "tok",
	}
	ladeDefaults := map[string]string{"HELM_QPS": "1000.00", "HELM_BURST_LIMIT": "2000"}
	for _, variant := range []map[string]string{{}, env} {
		for k := range env {
			os.Unsetenv(k)
		}
		for k, v := range variant {
			t.Setenv(k, v)
		}
		cmd := exec.Command(helmRef(), "env")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm env: %v", err)
		}
		helm := envLines(t, string(out))
		lade := envLines(t, mustLade(t, "env").stdout)
		for k, hv := range helm {
			lv, ok := lade[k]
			switch {
			case !ok:
				t.Errorf("lade env lacks %s (helm: %q)", k, hv)
			case k == "HELM_BIN":
			case len(variant) == 0 && ladeDefaults[k] != "":
				// Unset, lade's client defaults differ from Helm's.
				if lv != ladeDefaults[k] {
					t.Errorf("%s=%q, want lade's default %q", k, lv, ladeDefaults[k])
				}
			case lv != hv:
				t.Errorf("%v: %s: lade %q, helm %q", variant, k, lv, hv)
			}
		}
	}
}

// The environment's cluster settings reach the cluster as a user sees it:
// a ServiceAccount token with the API server's address and CA, impersonated
// users and groups checked by RBAC, contexts, namespaces; LADE_ wins over
// HELM_, flags over both. HELM_MAX_HISTORY prunes, HELM_DRIVER refuses what
// lade has not got, HELM_DEBUG shows debug records.
func TestEnvReachesCluster(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	other := env.NewNamespace(t)
	ctx := context.Background()
	cs := env.Clientset()
	home := cleanEnv(t)
	// A chart of namespaced objects only: the ServiceAccount below may
	// manage its namespace, nothing cluster-wide.
	chartDir := filepath.Join(home, "chart")
	writeFiles(t, chartDir, map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: small\nversion: 0.1.0\n",
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  revision: {{ .Release.Revision | quote }}\n",
	})

	// A ServiceAccount allowed to manage releases in ns only, and its token.
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := func(name string, rule rbacv1.PolicyRule, subject rbacv1.Subject) {
		t.Helper()
		r := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{rule}}
		if _, err := cs.RbacV1().Roles(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{subject},
		}
		if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	role("deployer", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		rbacv1.Subject{Kind: "ServiceAccount", Name: "deployer", Namespace: ns})
	role("release-readers", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
		rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "release-readers"})
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "deployer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(home, "ca.pem")
	if err := os.WriteFile(caFile, env.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	// No kubeconfig at all: the API server, token, CA file and namespace
	// come from the environment.
	t.Setenv("KUBECONFIG", filepath.Join(home, "none"))
	t.Setenv("HELM_KUBEAPISERVER", env.Server)
	t.Setenv("HELM_KUBETOKEN", tr.Status.Token)
	t.Setenv("HELM_KUBECAFILE", caFile)
	t.Setenv("HELM_NAMESPACE", ns)
	r := mustLade(t, "install", "web", chartDir)
	if !strings.Contains(r.stdout, "NAMESPACE: "+ns) {
		t.Fatalf("install with HELM_KUBEAPISERVER/HELM_KUBETOKEN/HELM_KUBECAFILE:\n%s", r.stdout)
	}
	if _, err := cs.CoreV1().Secrets(ns).Get(ctx, "sh.helm.release.v1.web.v1", metav1.GetOptions{}); err != nil {
		t.Fatalf("release record: %v", err)
	}
	if r = mustLade(t, "list", "-q"); r.stdout != "web\n" {
		t.Fatalf("list: %q", r.stdout)
	}
	// The token is the ServiceAccount's: other namespaces are forbidden.
	failLade(t, `User "system:serviceaccount:`+ns+`:deployer" cannot list resource "secrets"`, "list", "-n", other)
	t.Setenv("LADE_NAMESPACE", other)
	failLade(t, `cannot list resource "secrets" in API group "" in the namespace "`+other+`"`, "list")
	os.Unsetenv("LADE_NAMESPACE")

	// The CA file is what makes the server trusted; skipping verification
	// works instead; a server name the certificate does not hold fails.
	os.Unsetenv("HELM_KUBECAFILE")
	failLade(t, "x509: certificate signed by unknown authority", "list")
	t.Setenv("HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "true")
	mustLade(t, "list")
	t.Setenv("LADE_KUBEINSECURE_SKIP_TLS_VERIFY", "false")
	failLade(t, "x509: certificate signed by unknown authority", "list")
	mustLade(t, "list", "--kube-insecure-skip-tls-verify")
	os.Unsetenv("HELM_KUBEINSECURE_SKIP_TLS_VERIFY")
	os.Unsetenv("LADE_KUBEINSECURE_SKIP_TLS_VERIFY")
	t.Setenv("HELM_KUBECAFILE", caFile)
	t.Setenv("HELM_KUBETLS_SERVER_NAME", "wrong.example")
	failLade(t, "not wrong.example", "list")
	t.Setenv("HELM_KUBETLS_SERVER_NAME", "localhost")
	mustLade(t, "list")
	os.Unsetenv("HELM_KUBETLS_SERVER_NAME")
	// A flag wins over the environment's token.
	failLade(t, "Unauthorized", "list", "--kube-token", "not-a-token")
	os.Unsetenv("HELM_KUBEAPISERVER")
	os.Unsetenv("HELM_KUBETOKEN")
	os.Unsetenv("HELM_KUBECAFILE")

	// Contexts: a kubeconfig whose current context is a dead cluster.
	kc, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	good := kc.Contexts[kc.CurrentContext]
	kc.Clusters["dead"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	kc.Contexts["dead"] = &clientcmdapi.Context{Cluster: "dead", AuthInfo: good.AuthInfo}
	kc.Contexts["good"] = good
	kc.CurrentContext = "dead"
	kubeconfig := filepath.Join(home, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	failLade(t, "kubernetes cluster unreachable", "list")
	t.Setenv("HELM_KUBECONTEXT", "good")
	if r = mustLade(t, "list", "-q"); r.stdout != "web\n" {
		t.Fatalf("HELM_KUBECONTEXT=good: %q", r.stdout)
	}
	t.Setenv("LADE_KUBECONTEXT", "dead")
	failLade(t, "kubernetes cluster unreachable", "list")
	mustLade(t, "list", "--kube-context", "good")
	os.Unsetenv("LADE_KUBECONTEXT")

	// Namespaces: HELM_NAMESPACE, LADE_NAMESPACE over it, -n over both.
	t.Setenv("LADE_NAMESPACE", other)
	if r = mustLade(t, "list", "-q"); r.stdout != "" {
		t.Fatalf("LADE_NAMESPACE=%s: %q", other, r.stdout)
	}
	if r = mustLade(t, "list", "-q", "-n", ns); r.stdout != "web\n" {
		t.Fatalf("-n over LADE_NAMESPACE: %q", r.stdout)
	}
	os.Unsetenv("LADE_NAMESPACE")

	// Impersonation, checked by RBAC: a user alone may not read releases,
	// the group bound to a role may; LADE_ and flags win.
	t.Setenv("HELM_KUBEASUSER", "alice")
	failLade(t, `User "alice" cannot list resource "secrets"`, "list")
	t.Setenv("HELM_KUBEASGROUPS", "others,release-readers")
	if r = mustLade(t, "list", "-q"); r.stdout != "web\n" {
		t.Fatalf("HELM_KUBEASGROUPS: %q", r.stdout)
	}
	t.Setenv("LADE_KUBEASGROUPS", "others")
	failLade(t, `User "alice" cannot list resource "secrets"`, "list")
	mustLade(t, "list", "--kube-as-group", "release-readers")
	t.Setenv("LADE_KUBEASUSER", "system:serviceaccount:"+ns+":deployer")
	mustLade(t, "list", "--kube-as-group", "system:serviceaccounts")
	for _, n := range []string{"HELM_KUBEASUSER", "HELM_KUBEASGROUPS", "LADE_KUBEASUSER", "LADE_KUBEASGROUPS"} {
		os.Unsetenv(n)
	}

	// HELM_MAX_HISTORY prunes; LADE_MAX_HISTORY over it; --history-max over both.
	revisions := func() int {
		t.Helper()
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=web"})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	t.Setenv("HELM_MAX_HISTORY", "2")
	for range 3 {
		mustLade(t, "upgrade", "web", chartDir)
	}
	if n := revisions(); n != 2 {
		t.Fatalf("HELM_MAX_HISTORY=2: %d revisions", n)
	}
	t.Setenv("LADE_MAX_HISTORY", "3")
	mustLade(t, "upgrade", "web", chartDir)
	mustLade(t, "upgrade", "web", chartDir)
	if n := revisions(); n != 3 {
		t.Fatalf("LADE_MAX_HISTORY=3: %d revisions", n)
	}
	mustLade(t, "rollback", "web", "--history-max", "1")
	if n := revisions(); n != 1 {
		t.Fatalf("--history-max 1: %d revisions", n)
	}
	os.Unsetenv("HELM_MAX_HISTORY")
	os.Unsetenv("LADE_MAX_HISTORY")

	// HELM_DEBUG shows debug records (an upgrade that changes nothing
	// skips applying); LADE_DEBUG=false turns them off again.
	t.Setenv("HELM_DEBUG", "true")
	if r = mustLade(t, "upgrade", "web", chartDir); !strings.Contains(r.stderr, "level=DEBUG") {
		t.Errorf("HELM_DEBUG=true: no debug records:\n%s", r.stderr)
	}
	t.Setenv("LADE_DEBUG", "false")
	if r = mustLade(t, "upgrade", "web", chartDir); strings.Contains(r.stderr, "level=DEBUG") {
		t.Errorf("LADE_DEBUG=false: debug records:\n%s", r.stderr)
	}
	os.Unsetenv("HELM_DEBUG")
	os.Unsetenv("LADE_DEBUG")

	// HELM_DRIVER: Secrets only.
	for _, d := range []string{"secret", "secrets", "Secret"} {
		t.Setenv("HELM_DRIVER", d)
		mustLade(t, "list")
	}
	for _, d := range []string{"configmap", "configmaps", "memory", "sql"} {
		t.Setenv("HELM_DRIVER", d)
		failLade(t, "HELM_DRIVER="+d+": unsupported release storage driver: lade stores releases only as Secrets", "list")
		failLade(t, "unsupported release storage driver", "upgrade", "web", chartDir)
	}
	t.Setenv("HELM_DRIVER", "etcd")
	failLade(t, `HELM_DRIVER=etcd: unsupported release storage driver: unknown driver "etcd"`, "history", "web")
	t.Setenv("LADE_DRIVER", "secret")
	mustLade(t, "history", "web")
	t.Setenv("LADE_DRIVER", "sql")
	failLade(t, "LADE_DRIVER=sql: unsupported release storage driver", "history", "web")
}

// HELM_QPS and HELM_BURST_LIMIT become the defaults of --qps and
// --burst-limit of every cluster command.
func TestEnvRateLimitDefaults(t *testing.T) {
	cleanEnv(t)
	t.Setenv("HELM_KUBEAPISERVER", "https://127.0.0.1:1")
	t.Setenv("HELM_QPS", "3.5")
	t.Setenv("HELM_BURST_LIMIT", "40")
	t.Setenv("LADE_BURST_LIMIT", "41")
	root := newRootCmd()
	for _, path := range [][]string{{"install"}, {"upgrade"}, {"list"}, {"diff", "upgrade"}, {"get", "values"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if q, b := cmd.Flags().Lookup("qps").Value.String(), cmd.Flags().Lookup("burst-limit").Value.String(); q != "3.5" || b != "41" {
			t.Errorf("%v: --qps %s --burst-limit %s, want 3.5 and 41", path, q, b)
		}
	}
	g := &globalFlags{env: helmenv.Load()}
	cfg, err := g.kubeFlags().RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != 3.5 || cfg.Burst != 41 {
		t.Errorf("REST config QPS %v burst %d", cfg.QPS, cfg.Burst)
	}
}

// The namespace a chart renders for comes from HELM_KUBECONTEXT's context,
// HELM_NAMESPACE, LADE_NAMESPACE and -n, in rising order, as with the
// reference Helm (compared when present).
func TestTemplateNamespaceFromEnvironment(t *testing.T) {
	home := cleanEnv(t)
	kc := filepath.Join(home, "config")
	err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: c
contexts:
- {name: c, context: {cluster: x, namespace: team-a}}
- {name: d, context: {cluster: x, namespace: team-b}}
clusters:
- {name: x, cluster: {server: "https://127.0.0.1:1"}}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	_, helmErr := os.Stat(helmRef())
	chart := filepath.Join("..", "..", "testdata", "charts", "golden", "objects")
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "team-a"},
		{map[string]string{"HELM_KUBECONTEXT": "d"}, nil, "team-b"},
		{map[string]string{"HELM_KUBECONTEXT": "d", "LADE_KUBECONTEXT": "c"}, nil, "team-a"},
		{map[string]string{"HELM_KUBECONTEXT": "d"}, []string{"--kube-context", "c"}, "team-a"},
		{map[string]string{"HELM_KUBECONTEXT": "d", "HELM_NAMESPACE": "env-ns"}, nil, "env-ns"},
		{map[string]string{"HELM_NAMESPACE": "env-ns", "LADE_NAMESPACE": "lade-ns"}, nil, "lade-ns"},
		{map[string]string{"HELM_NAMESPACE": "env-ns", "LADE_NAMESPACE": "lade-ns"}, []string{"-n", "flag-ns"}, "flag-ns"},
	} {
		for _, n := range []string{"HELM_KUBECONTEXT", "LADE_KUBECONTEXT", "HELM_NAMESPACE", "LADE_NAMESPACE"} {
			os.Unsetenv(n)
		}
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		args := append([]string{"template", "rel", chart}, c.args...)
		want := `releaseNamespace: "` + c.want + `"`
		if r := mustLade(t, args...); !strings.Contains(r.stdout, want) {
			t.Errorf("%v %v: %q not in output", c.env, c.args, want)
		}
		if helmErr != nil || c.env["LADE_KUBECONTEXT"] != "" || c.env["LADE_NAMESPACE"] != "" {
			continue
		}
		out, err := exec.Command(helmRef(), args...).Output()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("helm %v with %v: %v, %q not in output", args, c.env, err, want)
		}
	}
}
