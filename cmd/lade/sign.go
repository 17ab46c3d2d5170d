package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/provenance"
)

// signFlags are package's --sign, --key, --keyring and --passphrase-file.
type signFlags struct {
	sign           bool
	key            string
	keyring        string
	passphraseFile string
	entity         *openpgp.Entity
}

func (s *signFlags) add(f *pflag.FlagSet) {
	f.BoolVar(&s.sign, "sign", false, "use a PGP private key to sign this package (writes NAME-VERSION.tgz.prov beside it)")
	f.StringVar(&s.key, "key", "", "name of the key to use when signing. Used if --sign is true")
	f.StringVar(&s.keyring, "keyring", defaultKeyring(), "location of a public keyring")
	f.StringVar(&s.passphraseFile, "passphrase-file", "", `location of a file which contains the passphrase for the signing key. Use "-" in order to read from stdin.`)
}

// unlock finds and unlocks the signing key, before anything is packaged.
func (s *signFlags) unlock(cmd *cobra.Command) error {
	if !s.sign {
		return nil
	}
	if s.key == "" {
		return errors.New("--sign needs --key NAME: the user ID (or part of it, or the key ID) of the signing key in --keyring")
	}
	ring, err := provenance.LoadKeyring(s.keyring)
	if err != nil {
		return err
	}
	if s.entity, err = provenance.FindKey(ring, s.key); err != nil {
		return fmt.Errorf("keyring %s: %w", s.keyring, err)
	}
	return provenance.Unlock(s.entity, func(name string) ([]byte, error) {
		return s.passphrase(cmd, name)
	})
}

// passphrase reads the key's passphrase: the first line of --passphrase-file
// ("-": stdin), else a prompt on a terminal.
func (s *signFlags) passphrase(cmd *cobra.Command, name string) ([]byte, error) {
	if s.passphraseFile != "" {
		var r io.Reader = cmd.InOrStdin()
		if s.passphraseFile != "-" {
			f, err := os.Open(s.passphraseFile)
			if err != nil {
				return nil, fmt.Errorf("--passphrase-file: %w", err)
			}
			defer f.Close()
			r = f
		}
		line, err := bufio.NewReader(io.LimitReader(r, 1<<20)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		return bytes.TrimRight([]byte(line), "\r\n"), nil
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("key %q is protected by a passphrase: give --passphrase-file FILE (or - for stdin)", name)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Password for key %q >  ", name)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	return pw, err
}

// signArchive writes ARCHIVE.prov, Helm's provenance file, for the packaged
// archive at name; on failure the archive is removed (nothing half-written).
func (s *signFlags) signArchive(name string) (err error) {
	defer func() {
		if err != nil {
			os.Remove(name)
		}
	}()
	archive, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	ch, err := chart.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return fmt.Errorf("failed to load chart for signing: %w", err)
	}
	prov, err := provenance.Sign(s.entity, archive, ch.Metadata.Name+"-"+ch.Metadata.Version+".tgz", ch.Metadata)
	if err != nil {
		return err
	}
	return os.WriteFile(name+".prov", prov, 0o644)
}
