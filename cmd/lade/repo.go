package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/lade-dev/lade/internal/table"
	"github.com/lade-dev/lade/pkg/repo"
)

// repoPathFlags are Helm's --repository-config and --repository-cache.
type repoPathFlags struct {
	config, cache string
	maxIndexSize  int64
	timeout       time.Duration
}

// addTimeout adds Helm's --timeout of index downloads (repo add, update).
func (r *repoPathFlags) addTimeout(f *pflag.FlagSet) {
	f.DurationVar(&r.timeout, "timeout", 120*time.Second, "time to wait for the index file download to complete")
}

func (r *repoPathFlags) add(f *pflag.FlagSet) {
	f.StringVar(&r.config, "repository-config", "", "path to the file containing repository names and URLs (default: HELM_REPOSITORY_CONFIG, else Helm's repositories.yaml)")
	f.StringVar(&r.cache, "repository-cache", "", "path to the directory containing cached repository indexes (default: HELM_REPOSITORY_CACHE, else Helm's)")
	f.Int64Var(&r.maxIndexSize, "max-index-size", repo.DefaultMaxIndexSize, "largest repository index accepted, in bytes")
}

// client makes a repository client; warnings go to the log (stderr).
func (r *repoPathFlags) client(cacheDir string) (*repo.Client, error) {
	p := repo.DefaultPaths()
	if r.config != "" {
		p.Config = r.config
	}
	if r.cache != "" {
		p.Cache = r.cache
	}
	if p.Config == "" || p.Cache == "" {
		return nil, errors.New("HELM_REPOSITORY_CONFIG or HELM_REPOSITORY_CACHE is set but empty: unset it or pass --repository-config/--repository-cache")
	}
	return repo.NewClient(repo.Options{
		Paths:        p,
		MaxIndexSize: r.maxIndexSize,
		Timeout:      r.timeout,
		CacheDir:     cacheDir,
		Warn:         func(msg string) { slog.Warn(msg) },
	}), nil
}

func newRepoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "add, list, remove, update and index chart repositories",
		Long: `Manage classic HTTP chart repositories (an index.yaml beside chart archives).
Repositories are kept in Helm's repositories.yaml and their indexes in Helm's
cache (HELM_REPOSITORY_CONFIG, HELM_REPOSITORY_CACHE), so repositories added by
Helm work in lade and the other way round.`,
		Example: `  lade repo add bitnami https://charts.bitnami.com/bitnami
  lade install web bitnami/nginx`,
		Args: noArgs(),
	}
	cmd.AddCommand(newRepoAddCmd(), newRepoListCmd(), newRepoUpdateCmd(), newRepoRemoveCmd(), newRepoIndexCmd())
	return cmd
}

func newRepoAddCmd() *cobra.Command {
	var pf repoPathFlags
	var e repo.Entry
	var passwordStdin, force bool
	var password string
	cmd := &cobra.Command{
		Use:   "add NAME URL",
		Short: "add a chart repository",
		Example: `  lade repo add bitnami https://charts.bitnami.com/bitnami
  echo "$TOKEN" | lade repo add private https://charts.example.com --username me --password-stdin`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.Name, e.URL = args[0], args[1]
			if err := repo.ValidateName(e.Name); err != nil {
				return err
			}
			switch {
			case password != "" && passwordStdin:
				return errors.New("--password and --password-stdin are mutually exclusive")
			case e.Username == "" && (password != "" || passwordStdin):
				return errors.New("a password needs --username")
			case password != "":
				e.Password = password
			case e.Username != "":
				pw, err := repoPassword(cmd, passwordStdin)
				if err != nil {
					return err
				}
				e.Password = pw
			}
			c, err := pf.client("")
			if err != nil {
				return err
			}
			added, err := c.Add(cmd.Context(), &e, force)
			if err != nil {
				return err
			}
			if !added {
				fmt.Fprintf(cmd.OutOrStdout(), "%q already exists with the same configuration, skipping\n", e.Name)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%q has been added to your repositories\n", e.Name)
			return nil
		},
	}
	f := cmd.Flags()
	pf.add(f)
	pf.addTimeout(f)
	f.StringVar(&e.Username, "username", "", "chart repository username")
	f.StringVar(&password, "password", "", "chart repository password (prefer --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read chart repository password from stdin")
	f.BoolVar(&force, "force-update", false, "replace (overwrite) the repo if it already exists")
	f.StringVar(&e.CertFile, "cert-file", "", "identify HTTPS client using this SSL certificate file")
	f.StringVar(&e.KeyFile, "key-file", "", "identify HTTPS client using this SSL key file")
	f.StringVar(&e.CAFile, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
	f.BoolVar(&e.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip tls certificate checks for the repository")
	f.BoolVar(&e.PassCredentialsAll, "pass-credentials", false, "pass credentials to all domains (default: only to the repository's own host)")
	return cmd
}

// repoPassword reads the password from stdin or, on a terminal, a prompt.
func repoPassword(cmd *cobra.Command, stdin bool) (string, error) {
	in := cmd.InOrStdin()
	if stdin {
		data, err := io.ReadAll(io.LimitReader(in, 1<<20))
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r"), nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("password required: pass --password-stdin")
	}
	fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	return string(pw), err
}

func newRepoListCmd() *cobra.Command {
	var pf repoPathFlags
	var out outputFlag
	var noHeaders bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list chart repositories",
		Example: `  lade repo list -o json`,
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			c, err := pf.client("")
			if err != nil {
				return err
			}
			entries, err := c.Repositories()
			if err != nil && !errors.Is(err, repo.ErrNoRepositories) {
				return err
			}
			type row struct {
				Name string `json:"name"`
				URL  string `json:"url"`
			}
			rows := make([]row, 0, len(entries))
			for _, e := range entries {
				rows = append(rows, row{e.Name, e.URL})
			}
			if done, err := out.encode(cmd.OutOrStdout(), rows); done {
				return err
			}
			if len(rows) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no repositories to show")
				return nil
			}
			var t [][]string
			if !noHeaders {
				t = append(t, []string{"NAME", "URL"})
			}
			for _, r := range rows {
				t = append(t, []string{r.Name, r.URL})
			}
			return table.Write(cmd.OutOrStdout(), t, 0)
		},
	}
	pf.add(cmd.Flags())
	out.add(cmd.Flags())
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "suppress headers in the output")
	return cmd
}

func newRepoUpdateCmd() *cobra.Command {
	var pf repoPathFlags
	var parallel int
	cmd := &cobra.Command{
		Use:     "update [NAME...]",
		Aliases: []string{"up"},
		Short:   "update information of available charts locally from chart repositories",
		Long: `Download the index of every repository (or of those named), concurrently.
A cached index is revalidated with If-None-Match and If-Modified-Since: an
unchanged repository answers 304 Not Modified and costs one small request.`,
		Example: `  lade repo update
  lade repo update bitnami`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := pf.client("")
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "Hang tight while we grab the latest from your chart repositories...")
			var mu sync.Mutex
			err = c.Update(cmd.Context(), args, parallel, func(ev repo.UpdateEvent) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case ev.Err != nil:
					fmt.Fprintf(w, "...Unable to get an update from the %q chart repository (%s):\n\t%s\n", ev.Entry.Name, ev.Entry.URL, ev.Err)
				case ev.Result == repo.IndexUnchanged:
					fmt.Fprintf(w, "...The %q chart repository is unchanged (304 Not Modified)\n", ev.Entry.Name)
				default:
					fmt.Fprintf(w, "...Successfully got an update from the %q chart repository\n", ev.Entry.Name)
				}
			})
			if errors.Is(err, repo.ErrNoRepositories) {
				return errors.New("no repositories found. You must add one before updating")
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(w, "Update Complete. ⎈Happy Helming!⎈")
			return nil
		},
	}
	pf.add(cmd.Flags())
	pf.addTimeout(cmd.Flags())
	cmd.Flags().IntVar(&parallel, "parallel", 4, "how many repositories to update at once")
	return cmd
}

func newRepoRemoveCmd() *cobra.Command {
	var pf repoPathFlags
	cmd := &cobra.Command{
		Use:     "remove NAME...",
		Aliases: []string{"rm"},
		Short:   "remove one or more chart repositories",
		Example: `  lade repo remove bitnami`,
		Args:    minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := pf.client("")
			if err != nil {
				return err
			}
			if err := c.Remove(args); err != nil {
				return err
			}
			for _, n := range args {
				fmt.Fprintf(cmd.OutOrStdout(), "%q has been removed from your repositories\n", n)
			}
			return nil
		},
	}
	pf.add(cmd.Flags())
	return cmd
}

func newRepoIndexCmd() *cobra.Command {
	var baseURL, merge string
	cmd := &cobra.Command{
		Use:   "index DIR",
		Short: "generate an index file given a directory containing packaged charts",
		Long: `Read DIR (and its direct subdirectories) for chart archives and write
DIR/index.yaml in Helm's format. --url sets the base URL of the archives;
--merge keeps the entries of an existing index that DIR does not hold.`,
		Example: `  lade package mychart -d public/
  lade repo index public/ --url https://example.github.io/charts --merge public/index.yaml`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := repo.IndexDirectoryFile(args[0], baseURL, merge, func(msg string) { slog.Warn(msg) })
			return err
		},
	}
	cmd.Flags().StringVar(&baseURL, "url", "", "url of chart repository")
	cmd.Flags().StringVar(&merge, "merge", "", "merge the generated index into the given index")
	return cmd
}
