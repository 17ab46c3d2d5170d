package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gobwas/glob"

	"github.com/lade-dev/lade/pkg/provenance"
	"github.com/lade-dev/lade/pkg/signature"
)

// ErrRefused is returned when an enforce rule refuses a chart.
var ErrRefused = errors.New("refused by the verification policy")

// Annotations a Decision records on the release's chart metadata.
const (
	// AnnotationDigest is the chart's digest: the OCI manifest digest, else
	// the archive's sha256.
	AnnotationDigest = "lade.dev/chart-digest"
	// AnnotationVerifiedBy names the key that verified the chart.
	AnnotationVerifiedBy = "lade.dev/verified-by"
	// AnnotationVerification is the outcome: "verified", or "unverified
	// (warn): REASON".
	AnnotationVerification = "lade.dev/verification"
)

// Chart is a fetched chart to check.
type Chart struct {
	// Source is what rules match (see Rule.Source).
	Source string
	// Digest is the OCI manifest digest, else "sha256:HEX" of the archive
	// ("" for a directory).
	Digest string
	// Archive and FileName (NAME-VERSION.tgz, as the provenance file names
	// it) are the archive; nil for a directory.
	Archive  []byte
	FileName string
	// Provenance fetches the Helm provenance file; nil when there can be none.
	Provenance func() ([]byte, error)
	// Cosign checks the manifest digest's cosign signatures; nil for
	// sources other than OCI registries.
	Cosign func(keys []*signature.Key) (*signature.Result, error)
}

// Decision is the outcome of a check.
type Decision struct {
	// Policy and Rule are what applied (Rule nil: no rule matched).
	Policy *Policy
	Rule   *Rule
	Source string
	Digest string
	// Signer names the verifying key ("" when not verified).
	Signer string
	// Err says why the chart is not verified (nil when it is).
	Err error
}

// Verified reports whether a signature was verified.
func (d *Decision) Verified() bool { return d.Signer != "" }

// Annotations are what the release records of the decision: the chart
// digest, and the signer or why there is none. Empty when no rule applied.
func (d *Decision) Annotations() map[string]string {
	if d == nil || d.Rule == nil || d.Rule.Mode == Off {
		return nil
	}
	a := map[string]string{}
	if d.Digest != "" {
		a[AnnotationDigest] = d.Digest
	}
	if d.Verified() {
		a[AnnotationVerifiedBy] = d.Signer
		a[AnnotationVerification] = "verified"
	} else if d.Err != nil {
		a[AnnotationVerification] = fmt.Sprintf("unverified (%s): %v", d.Rule.Mode, d.Err)
	}
	return a
}

// Warning is the line to print for a warn rule's failure, or "".
func (d *Decision) Warning() string {
	if d == nil || d.Rule == nil || d.Rule.Mode != Warn || d.Err == nil {
		return ""
	}
	return fmt.Sprintf("chart %s is not verified (%s): %v", d.Source, d.Rule.Name(d.Policy), d.Err)
}

// Check applies the policy to c. With an enforce rule, a chart without a
// valid signature by the rule's keys is an error wrapping ErrRefused that
// gives the reason; with warn, the reason is in the Decision (see Warning).
func (p *Policy) Check(c Chart) (*Decision, error) {
	d := &Decision{Policy: p, Source: c.Source, Digest: c.Digest}
	r := p.Match(c.Source)
	d.Rule = r
	if r == nil || r.Mode == Off {
		return d, nil
	}
	d.Signer, d.Err = r.verify(c)
	if d.Err != nil && r.Mode == Enforce {
		return d, fmt.Errorf("%w: chart %s (%s): %v", ErrRefused, c.Source, r.Name(p), d.Err)
	}
	return d, nil
}

// verify tries the rule's requirements; any one verified is enough.
func (r *Rule) verify(c Chart) (string, error) {
	var reasons []string
	if r.Cosign != nil {
		signer, err := r.verifyCosign(c)
		if err == nil {
			return signer, nil
		}
		reasons = append(reasons, "cosign: "+err.Error())
	}
	if r.Provenance != nil {
		signer, err := r.verifyProvenance(c)
		if err == nil {
			return signer, nil
		}
		reasons = append(reasons, "provenance: "+err.Error())
	}
	return "", errors.New(strings.Join(reasons, "; "))
}

func (r *Rule) verifyCosign(c Chart) (string, error) {
	if c.Cosign == nil {
		return "", errors.New("not an OCI chart: cosign signatures live in OCI registries")
	}
	var keys []*signature.Key
	for _, p := range r.Cosign.Keys {
		k, err := signature.LoadKey(p)
		if err != nil {
			return "", err
		}
		keys = append(keys, k)
	}
	res, err := c.Cosign(keys)
	if err != nil {
		return "", err
	}
	return res.Signer(), nil
}

func (r *Rule) verifyProvenance(c Chart) (string, error) {
	if c.Archive == nil || c.Provenance == nil {
		return "", errors.New("unpacked charts cannot be verified: give the signed archive")
	}
	ring, err := provenance.LoadKeyring(r.Provenance.Keyring)
	if err != nil {
		return "", err
	}
	prov, err := c.Provenance()
	if err != nil {
		return "", err
	}
	v, err := provenance.Verify(ring, c.Archive, prov, c.FileName)
	if err != nil {
		return "", err
	}
	return v.Signer(), nil
}

// AdHoc is a one-rule policy for every source, from command-line flags
// (--cosign-key): mode enforce, the given cosign keys.
func AdHoc(cosignKeys []string) *Policy {
	r := Rule{Source: "**", Mode: Enforce, Cosign: &CosignRule{Keys: cosignKeys}, glob: glob.MustCompile("**")}
	return &Policy{APIVersion: APIVersion, Kind: Kind, Rules: []Rule{r}, Path: "--cosign-key"}
}
