package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/pkg/provenance"
)

// verifyFlags are --verify and --keyring (pull, install, upgrade, template,
// dependency build): check the chart's Helm provenance file before use.
type verifyFlags struct {
	verify  bool
	keyring string
	// prov is the last provenance file check verified.
	prov []byte
}

func (v *verifyFlags) add(f *pflag.FlagSet) {
	f.BoolVar(&v.verify, "verify", false, "verify the chart's provenance file (.prov, or the OCI provenance layer) against --keyring before using it")
	f.StringVar(&v.keyring, "keyring", defaultKeyring(), "location of the public keyring used by --verify")
}

// defaultKeyring is Helm's: $GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg.
func defaultKeyring() string {
	if v, ok := os.LookupEnv("GNUPGHOME"); ok {
		return filepath.Join(v, "pubring.gpg")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".gnupg", "pubring.gpg")
}

// check verifies archive (named filename in its provenance file) against the
// provenance file prov fetches; where names the provenance file in errors.
func (v *verifyFlags) check(archive []byte, filename, where string, prov func() ([]byte, error)) (*provenance.Verification, error) {
	ring, err := provenance.LoadKeyring(v.keyring)
	if err != nil {
		return nil, fmt.Errorf("--verify: %w", err)
	}
	data, err := prov()
	if err != nil {
		return nil, fmt.Errorf("--verify: %s: %w", where, err)
	}
	ver, err := provenance.Verify(ring, archive, data, filename)
	if err != nil {
		return nil, fmt.Errorf("--verify: %s (keyring %s): %w", where, v.keyring, err)
	}
	v.prov = data
	return ver, nil
}

// checkLocal verifies a local chart archive against ARCHIVE.prov beside it,
// as Helm does (a directory cannot be verified), and returns the verified
// archive's bytes: load those, not the file again.
func (v *verifyFlags) checkLocal(path string) (*provenance.Verification, []byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("--verify: %s: unpacked charts cannot be verified (package it, sign it, and give the archive)", path)
	}
	if !strings.EqualFold(filepath.Ext(path), ".tgz") {
		return nil, nil, fmt.Errorf("--verify: %s: chart must be a tgz file", path)
	}
	archive, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ver, err := v.check(archive, filepath.Base(path), path+".prov", func() ([]byte, error) {
		data, err := os.ReadFile(path + ".prov")
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no provenance file: sign the chart with `lade package --sign` (or `helm package --sign`)")
		}
		return data, err
	})
	return ver, archive, err
}

func newVerifyCmd() *cobra.Command {
	var v verifyFlags
	cmd := &cobra.Command{
		Use:   "verify CHART.tgz",
		Short: "verify that a chart archive is signed and unchanged",
		Long: `Verify a chart archive against its provenance file CHART.tgz.prov, as
'helm verify' does: the OpenPGP signature must be made by a key in --keyring
and the archive's SHA-256 sum must be the one signed. Charts signed by
'lade package --sign' and by 'helm package --sign' verify alike.

Example:

  lade package ./web --sign --key 'CI signer' --keyring ~/.gnupg/secring.gpg
  lade verify web-1.2.3.tgz --keyring team-public.gpg`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ver, _, err := v.checkLocal(args[0])
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), ver.Text())
			return err
		},
	}
	cmd.Flags().StringVar(&v.keyring, "keyring", defaultKeyring(), "keyring containing public keys")
	return cmd
}
