package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/lade-dev/lade/cmd/lade/internal/prestart"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/provenance"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
	"github.com/lade-dev/lade/pkg/source"
	"github.com/lade-dev/lade/pkg/verify"
)

// registryFlags are the flags of every command that may talk to a registry.
// Nothing here runs unless a command meets an oci:// reference.
type registryFlags struct {
	plainHTTP      bool
	caFile         string
	certFile       string
	keyFile        string
	insecure       bool
	username       string
	password       string
	registryConfig string
	cacheDir       string
	// depUpdate (--dependency-update) fetches a local chart's missing dependencies.
	depUpdate bool
	// repoURL (--repo) and passCredentials are for chart repositories.
	repoURL         string
	passCredentials bool
	repoPaths       repoPathFlags
	// prov is --verify/--keyring (addVerify); verified what it verified.
	prov     verifyFlags
	verified *provenance.Verification
	// policy is --verify-policy and --cosign-key (addVerify).
	policy policyFlags
}

// addVerify adds --verify, --keyring, --verify-policy and --cosign-key
// (commands that use a chart).
func (r *registryFlags) addVerify(f *pflag.FlagSet) {
	r.prov.add(f)
	r.policy.add(f)
}

// addRepo adds the flags of commands that take REPO/CHART references.
func (r *registryFlags) addRepo(f *pflag.FlagSet) {
	f.StringVar(&r.repoURL, "repo", "", "chart repository url where to locate the requested chart")
	f.BoolVar(&r.passCredentials, "pass-credentials", false, "pass credentials to all domains")
	r.repoPaths.add(f)
}

// sourceOptions are the chart-source options of the flags (see
// pkg/source), with --verify and --verify-policy as its checks: registry
// progress goes to out.
func (r *registryFlags) sourceOptions(cmd *cobra.Command, out io.Writer, version string) source.Options {
	return source.Options{
		Version:          version,
		DependencyUpdate: r.depUpdate,
		Registry:         r.options(out),
		Repo:             func() (*repo.Client, error) { return r.repoPaths.client(r.cacheDir) },
		Repository: repo.ResolveOptions{
			RepoURL:               r.repoURL,
			Username:              r.username,
			Password:              r.password,
			PassCredentials:       r.passCredentials,
			CAFile:                r.caFile,
			CertFile:              r.certFile,
			KeyFile:               r.keyFile,
			InsecureSkipTLSVerify: r.insecure,
		},
		Charts: &prestart.Charts,
		VerifyOCI: func(ctx context.Context, c *registry.Client, res *registry.PullResult) error {
			return r.verifyOCI(cmd, c, res)
		},
		VerifyRepo: func(ctx context.Context, c *repo.Client, res *repo.Resolved) error { return r.verifyRepo(cmd, c, res) },
		LoadLocal:  func(p string) (*chart.Chart, error) { return r.loadLocal(cmd, p) },
	}
}

// isRemote reports whether ref is fetched (oci://, REPO/CHART, --repo, an
// http(s) archive URL) rather than read from disk.
func (r *registryFlags) isRemote(ref string) bool {
	return source.Classify(ref, r.sourceOptions(nil, nil, "")).Remote()
}

// verifyRepo checks a chart fetched from a repository: its provenance with
// --verify, its signatures by --verify-policy.
func (r *registryFlags) verifyRepo(cmd *cobra.Command, c *repo.Client, res *repo.Resolved) (err error) {
	if r.prov.verify {
		r.verified, err = r.prov.check(res.Archive, res.FileName(), res.URL+".prov", func() ([]byte, error) {
			return c.Provenance(cmd.Context(), res)
		})
		if err != nil {
			return err
		}
	}
	return r.policy.check(cmd, verify.Chart{Source: res.URL, Digest: res.Digest.String(), Archive: res.Archive, FileName: res.FileName(),
		Provenance: func() ([]byte, error) { return c.Provenance(cmd.Context(), res) }})
}

// verifyOCI checks a pulled oci:// chart: its provenance layer with
// --verify, its signatures by --verify-policy.
func (r *registryFlags) verifyOCI(cmd *cobra.Command, c *registry.Client, res *registry.PullResult) (err error) {
	if r.prov.verify {
		where := "the provenance layer of " + res.Ref.URL()
		r.verified, err = r.prov.check(res.Archive, res.FileName(), where, func() ([]byte, error) {
			data, found, err := c.Provenance(cmd.Context(), res)
			if err == nil && !found {
				err = fmt.Errorf("no provenance: the manifest has no %s layer (push the chart with its .prov beside it)", registry.ProvLayerMediaType)
			}
			return data, err
		})
		if err != nil {
			return err
		}
	}
	// Before the chart is used: its signatures, by the policy.
	return r.policy.check(cmd, verify.OCIChart(cmd.Context(), c, res))
}

// loadLocal loads a chart directory or archive, checked by --verify-policy
// and, with --verify, loaded from the archive bytes that were verified.
func (r *registryFlags) loadLocal(cmd *cobra.Command, ref string) (*chart.Chart, error) {
	if r.policy.active() {
		lc, err := localChart(ref)
		if err != nil {
			return nil, err
		}
		if err := r.policy.check(cmd, lc); err != nil {
			return nil, err
		}
	}
	if r.prov.verify {
		ver, archive, err := r.prov.checkLocal(ref)
		if err != nil {
			return nil, err
		}
		r.verified = ver
		return chart.LoadArchive(bytes.NewReader(archive))
	}
	return prestart.Charts.Load(ref)
}

// pullOCI pulls an oci:// reference, verified as verifyOCI says.
func (r *registryFlags) pullOCI(cmd *cobra.Command, out io.Writer, ref, version string) (*registry.PullResult, error) {
	c, err := r.client(out)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Pull(cmd.Context(), ref, version)
	if err != nil {
		return nil, err
	}
	if err := r.verifyOCI(cmd, c, res); err != nil {
		return nil, err
	}
	return res, nil
}

// pullAny fetches an oci:// or repository reference as a PullResult (pull,
// and lint of a remote chart, which need the archive).
func (r *registryFlags) pullAny(cmd *cobra.Command, out io.Writer, ref, version string) (*registry.PullResult, error) {
	o := r.sourceOptions(cmd, out, version)
	switch source.Classify(ref, o) {
	case source.Repo, source.URL:
		s, err := source.Resolve(cmd.Context(), ref, o)
		if err != nil {
			return nil, err
		}
		return &registry.PullResult{Archive: s.Archive, Chart: s.Chart, Cached: s.Cached}, nil
	case source.OCI:
		return r.pullOCI(cmd, out, ref, version)
	}
	return nil, errNotOCI(ref)
}

// addTLS adds the connection flags (all registry commands, login included).
func (r *registryFlags) addTLS(f *pflag.FlagSet) {
	f.BoolVar(&r.plainHTTP, "plain-http", false, "use insecure HTTP connections to the registry")
	f.StringVar(&r.caFile, "ca-file", "", "verify certificates of HTTPS-enabled registries using this CA bundle")
	f.StringVar(&r.certFile, "cert-file", "", "identify the registry client using this SSL certificate file")
	f.StringVar(&r.keyFile, "key-file", "", "identify the registry client using this SSL key file")
	f.BoolVar(&r.insecure, "insecure-skip-tls-verify", false, "skip TLS certificate checks of the registry")
	f.StringVar(&r.registryConfig, "registry-config", os.Getenv("LADE_REGISTRY_CONFIG"),
		"credentials file (Docker's config.json format); default: Docker's config.json, with Helm's registry config as a fallback")
}

// add adds every registry flag (commands that push or pull).
func (r *registryFlags) add(f *pflag.FlagSet) {
	r.addTLS(f)
	f.StringVar(&r.username, "username", "", "registry username (instead of stored credentials)")
	f.StringVar(&r.password, "password", "", "registry password or identity token (instead of stored credentials)")
	f.StringVar(&r.cacheDir, "cache-dir", os.Getenv("LADE_CACHE_DIR"), "content cache for pulled charts (default $XDG_CACHE_HOME/lade)")
}

// client creates the registry client; out receives Pulled:/Pushed: lines.
func (r *registryFlags) client(out io.Writer) (*registry.Client, error) {
	return registry.NewClient(r.options(out))
}

// options are the registry client's options.
func (r *registryFlags) options(out io.Writer) registry.Options {
	return registry.Options{
		PlainHTTP:             r.plainHTTP,
		CAFile:                r.caFile,
		CertFile:              r.certFile,
		KeyFile:               r.keyFile,
		InsecureSkipTLSVerify: r.insecure,
		Username:              r.username,
		Password:              r.password,
		RegistryConfig:        r.registryConfig,
		CacheDir:              r.cacheDir,
		Out:                   out,
	}
}

// load reads CHART for show: a directory, an archive, an oci://
// reference pulled at version (through the cache), or a chart repository
// reference (REPO/CHART, --repo URL CHART, an https:// archive); see
// pkg/source. Registry progress goes to stderr, as Helm's does.
func (r *registryFlags) load(cmd *cobra.Command, ref, version string) (*chart.Chart, error) {
	s, err := source.Resolve(cmd.Context(), ref, r.sourceOptions(cmd, cmd.ErrOrStderr(), version))
	if err != nil {
		return nil, err
	}
	return s.Chart, nil
}

func newRegistryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "log in to or out of an OCI registry",
		Long: `Log in to or out of an OCI registry. Credentials are stored as Docker
stores them (config.json, or the credential helper or credsStore it names),
so 'docker login' and 'helm registry login' credentials are used too.`,
		Args: noArgs(),
	}
	cmd.AddCommand(newRegistryLoginCmd(), newRegistryLogoutCmd())
	return cmd
}

func newRegistryLoginCmd() *cobra.Command {
	var rf registryFlags
	var username, password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login HOST",
		Short: "log in to an OCI registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, pass, err := loginCredentials(cmd, username, password, passwordStdin)
			if err != nil {
				return err
			}
			c, err := rf.client(cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Login(cmd.Context(), args[0], user, pass)
		},
	}
	f := cmd.Flags()
	rf.addTLS(f)
	f.StringVarP(&username, "username", "u", "", "registry username")
	f.StringVarP(&password, "password", "p", "", "registry password or identity token")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password or identity token from stdin")
	// Helm's registry login calls --insecure-skip-tls-verify --insecure.
	f.BoolVar(&rf.insecure, "insecure", false, "allow connections to TLS registry without certs (same as --insecure-skip-tls-verify)")
	return cmd
}

// loginCredentials gathers the username and password from the flags,
// stdin, or a prompt on a terminal.
func loginCredentials(cmd *cobra.Command, username, password string, passwordStdin bool) (string, string, error) {
	in := cmd.InOrStdin()
	if passwordStdin {
		if password != "" {
			return "", "", errors.New("--password and --password-stdin are mutually exclusive")
		}
		if username == "" {
			return "", "", errors.New("must provide --username with --password-stdin")
		}
		data, err := io.ReadAll(io.LimitReader(in, 1<<20))
		if err != nil {
			return "", "", err
		}
		password = strings.TrimRight(string(data), "\r\n")
	} else if password != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	}
	f, isFile := in.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	if username == "" {
		if !tty {
			return "", "", errors.New("username required: pass --username")
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Username: ")
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", "", err
		}
		username = strings.TrimSpace(line)
	}
	if password == "" {
		if !tty {
			return "", "", errors.New("password required: pass --password-stdin (or --password)")
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", "", err
		}
		password = string(pw)
	}
	if username == "" || password == "" {
		return "", "", errors.New("username and password must not be empty")
	}
	return username, password, nil
}

func newRegistryLogoutCmd() *cobra.Command {
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "logout HOST",
		Short: "log out of an OCI registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client(cmd.OutOrStdout())
			if err != nil {
				return err
			}
			return c.Logout(cmd.Context(), args[0])
		},
	}
	cmd.Flags().StringVar(&rf.registryConfig, "registry-config", os.Getenv("LADE_REGISTRY_CONFIG"),
		"credentials file (Docker's config.json format); default: Docker's config.json")
	return cmd
}

// fetch pulls an oci:// reference at version and saves the archive under dir,
// returning its path (commands that work on chart paths, such as lint).
func (r *registryFlags) fetch(cmd *cobra.Command, ref, version, dir string) (string, error) {
	res, err := r.pullAny(cmd, cmd.ErrOrStderr(), ref, version)
	if err != nil {
		return "", err
	}
	return res.SaveArchive(dir)
}

// addDependencyUpdate adds --dependency-update (template, install, upgrade).
func (r *registryFlags) addDependencyUpdate(f *pflag.FlagSet) {
	f.BoolVar(&r.depUpdate, "dependency-update", false, "update dependencies if they are missing before installing the chart")
}

// addDevelFlag adds --devel, which develVersion reads.
func addDevelFlag(f *pflag.FlagSet, devel *bool) {
	f.BoolVar(devel, "devel", false, "use development versions, too. Equivalent to version '>0.0.0-0'. If --version is set, this is ignored")
}

// develVersion is the version constraint --devel asks for: the highest
// version, prereleases included, unless --version is given (as Helm).
func develVersion(version string, devel bool) string {
	if devel && version == "" {
		return ">0.0.0-0"
	}
	return version
}
