package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/internal/helmenv"
	"github.com/lade-dev/lade/pkg/verify"
)

// policyFlags are --verify-policy and --cosign-key: which signatures the
// chart must carry before it is used (pkg/verify).
type policyFlags struct {
	file       string
	cosignKeys []string
	// decision is what the last check decided (recorded in releases).
	decision *verify.Decision
}

func (p *policyFlags) add(f *pflag.FlagSet) {
	f.StringVar(&p.file, "verify-policy", "", "verification policy file mapping chart sources to required signatures (default "+defaultPolicy()+" when it exists)")
	f.StringArrayVar(&p.cosignKeys, "cosign-key", nil, "require a cosign signature of the OCI chart's manifest digest by this public key (PEM; repeatable: any one suffices)")
}

// defaultPolicy is the policy file read when --verify-policy is not given.
func defaultPolicy() string { return helmenv.LadeConfigPath("verify-policy.yaml") }

// policies are the policies to apply: --cosign-key's, then the file's.
func (p *policyFlags) policies() ([]*verify.Policy, error) {
	var out []*verify.Policy
	if len(p.cosignKeys) > 0 {
		out = append(out, verify.AdHoc(p.cosignKeys))
	}
	file := p.file
	if file == "" {
		file = defaultPolicy()
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return out, nil
		}
	}
	pol, err := verify.Load(file)
	if err != nil {
		return nil, err
	}
	return append(out, pol), nil
}

// active reports whether any policy applies (so that nothing is read for
// the check otherwise).
func (p *policyFlags) active() bool {
	if len(p.cosignKeys) > 0 || p.file != "" {
		return true
	}
	_, err := os.Stat(defaultPolicy())
	return err == nil
}

// check applies the policies to a fetched chart, before it is used: an
// enforce rule's refusal is the error; a warn rule's is printed.
func (p *policyFlags) check(cmd *cobra.Command, c verify.Chart) error {
	if !p.active() {
		return nil
	}
	pols, err := p.policies()
	if err != nil {
		return err
	}
	for _, pol := range pols {
		d, err := pol.Check(c)
		if err != nil {
			return err
		}
		if w := d.Warning(); w != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", w)
		}
		if d.Verified() {
			fmt.Fprintf(cmd.ErrOrStderr(), "Verified: %s@%s signed by %s\n", d.Source, d.Digest, d.Signer)
		}
		if d.Rule != nil && (p.decision == nil || d.Verified()) {
			p.decision = d
		}
	}
	return nil
}

// localChart describes a local archive or directory for the policy.
func localChart(path string) (verify.Chart, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return verify.Chart{}, err
	}
	c := verify.Chart{Source: "file://" + filepath.ToSlash(abs)}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return c, nil
	}
	archive, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	sum := sha256.Sum256(archive)
	c.Digest, c.Archive, c.FileName = "sha256:"+hex.EncodeToString(sum[:]), archive, filepath.Base(path)
	c.Provenance = func() ([]byte, error) { return os.ReadFile(path + ".prov") }
	return c, nil
}

// verification is what a release records of the chart's verification
// (--verify-policy, --cosign-key, --verify): its digest and signer.
func (r *registryFlags) verification() map[string]string {
	a := r.policy.decision.Annotations()
	if a == nil && r.verified != nil {
		a = map[string]string{
			verify.AnnotationDigest:       r.verified.FileHash,
			verify.AnnotationVerifiedBy:   r.verified.Signer(),
			verify.AnnotationVerification: "verified",
		}
	}
	return a
}
