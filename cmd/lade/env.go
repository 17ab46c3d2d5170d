package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/util/homedir"

	"github.com/lade-dev/lade/internal/helmenv"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/registry"
)

func newEnvCmd(g *globalFlags) *cobra.Command {
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "env [NAME]",
		Short: "lade client environment information",
		Long: `Print the settings lade takes from the environment, one NAME="value" line
each, sorted, as 'helm env' prints Helm's; with NAME, print just its value.

lade reads the variables Helm reads (HELM_NAMESPACE, HELM_KUBECONTEXT,
HELM_KUBEAPISERVER, HELM_KUBETOKEN, HELM_KUBEASUSER, HELM_KUBEASGROUPS,
HELM_KUBECAFILE, HELM_KUBETLS_SERVER_NAME, HELM_KUBEINSECURE_SKIP_TLS_VERIFY,
HELM_MAX_HISTORY, HELM_BURST_LIMIT, HELM_QPS, HELM_DEBUG, HELM_DRIVER), with
Helm's parsing. Each has a LADE_ equivalent that wins over it (LADE_NAMESPACE
over HELM_NAMESPACE); flags win over both. The values printed are the ones in
effect, flags included, under both names. HELM_DRIVER may only name Secret
storage ("secret", "secrets"). The HELM_*_HOME, HELM_REGISTRY_CONFIG,
HELM_REPOSITORY_* and HELM_PLUGINS paths are where Helm's files are; lade reads
Helm's registry credentials from HELM_REGISTRY_CONFIG, and keeps its own
credentials (LADE_REGISTRY_CONFIG, default Docker's) and cache (LADE_CACHE_DIR).`,
		Example: `  lade env
  lade env HELM_NAMESPACE
  HELM_NAMESPACE=shop lade env HELM_NAMESPACE        # shop
  LADE_NAMESPACE=web HELM_NAMESPACE=shop lade list  # lists namespace web`,
		Args: maxArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var out []string
			if len(args) == 0 {
				for _, k := range sortedKeys(envVars(g, kf)) {
					if strings.HasPrefix(k, toComplete) {
						out = append(out, k)
					}
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := envVars(g, kf)
			w := cmd.OutOrStdout()
			if len(args) == 1 {
				v, ok := vars[args[0]]
				if !ok {
					return fmt.Errorf("unknown variable %q: 'lade env' lists the variables lade reads", args[0])
				}
				_, err := fmt.Fprintln(w, v)
				return err
			}
			for _, k := range sortedKeys(vars) {
				if _, err := fmt.Fprintf(w, "%s=\"%s\"\n", k, vars[k]); err != nil {
					return err
				}
			}
			return nil
		},
	}
	kf = newKubeFlags(g, cmd.Flags())
	return cmd
}

// envVars are the settings in effect, by variable name: every name `helm
// env` prints (HELM_BIN, the Helm paths, the HELM_KUBE* settings, KUBECONFIG
// when --kubeconfig is given), HELM_DRIVER, the LADE_ equivalent of each
// setting, and LADE_REGISTRY_CONFIG and LADE_CACHE_DIR.
func envVars(g *globalFlags, kf *kubeFlags) map[string]string {
	c := kf.flags.Config
	qps, burst := kf.flags.QPS, kf.flags.BurstLimit
	if qps == 0 {
		qps = kube.DefaultQPS
	}
	if burst == 0 {
		burst = kube.DefaultBurst
	}
	driver := g.env.Driver
	if driver == "" {
		driver = "secret"
	}
	settings := map[string]string{
		helmenv.Namespace:                 kf.namespace(),
		helmenv.KubeContext:               *c.Context,
		helmenv.KubeToken:                 *c.BearerToken,
		helmenv.KubeAsUser:                *c.Impersonate,
		helmenv.KubeAsGroups:              strings.Join(*c.ImpersonateGroup, ","),
		helmenv.KubeAPIServer:             *c.APIServer,
		helmenv.KubeCAFile:                *c.CAFile,
		helmenv.KubeTLSServerName:         *c.TLSServerName,
		helmenv.KubeInsecureSkipTLSVerify: strconv.FormatBool(*c.Insecure),
		helmenv.MaxHistory:                strconv.Itoa(g.env.MaxHistory),
		helmenv.BurstLimit:                strconv.Itoa(burst),
		helmenv.QPS:                       strconv.FormatFloat(float64(qps), 'f', 2, 32),
		helmenv.Debug:                     strconv.FormatBool(g.debug),
		helmenv.Driver:                    driver,
	}
	vars := map[string]string{
		"HELM_BIN":               os.Args[0],
		"HELM_CACHE_HOME":        helmenv.CachePath(""),
		"HELM_CONFIG_HOME":       helmenv.ConfigPath(""),
		"HELM_DATA_HOME":         helmenv.DataPath(""),
		"HELM_PLUGINS":           helmenv.Plugins(),
		"HELM_REGISTRY_CONFIG":   helmenv.RegistryConfig(),
		"HELM_REPOSITORY_CACHE":  helmenv.RepositoryCache(),
		"HELM_REPOSITORY_CONFIG": helmenv.RepositoryConfig(),
		"HELM_CONTENT_CACHE":     helmenv.ContentCache(),
		"LADE_REGISTRY_CONFIG":   ladeRegistryConfig(),
		"LADE_CACHE_DIR":         ladeCacheDir(),
	}
	for name, v := range settings {
		vars["HELM_"+name] = v
		vars["LADE_"+name] = v
	}
	if *c.KubeConfig != "" {
		vars["KUBECONFIG"] = *c.KubeConfig
	}
	return vars
}

// ladeRegistryConfig is the credentials file lade reads and `lade registry
// login` writes: $LADE_REGISTRY_CONFIG, else Docker's config.json.
func ladeRegistryConfig() string {
	if f := os.Getenv("LADE_REGISTRY_CONFIG"); f != "" {
		return f
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	return filepath.Join(homedir.HomeDir(), ".docker", "config.json")
}

// ladeCacheDir is lade's chart cache: $LADE_CACHE_DIR, else the default.
func ladeCacheDir() string {
	if d := os.Getenv("LADE_CACHE_DIR"); d != "" {
		return d
	}
	d, _ := registry.DefaultCacheDir()
	return d
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
