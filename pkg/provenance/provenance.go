package provenance

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

// Errors callers branch on (wrapped; match with errors.Is).
var (
	// ErrNoSignature: the provenance file holds no OpenPGP clear-signed message.
	ErrNoSignature = errors.New("no OpenPGP signed message")
	// ErrUnknownKey: the signature was made by a key that is not in the keyring.
	ErrUnknownKey = errors.New("signed by a key that is not in the keyring")
	// ErrBadSignature: the signature does not match the signed text (it was
	// altered), or the key that made it is expired or revoked.
	ErrBadSignature = errors.New("invalid signature")
	// ErrDigestMismatch: the archive is not the one the provenance file names.
	ErrDigestMismatch = errors.New("chart archive does not match its provenance file")
	// ErrNoKey: no key in the keyring matches the name given for signing.
	ErrNoKey = errors.New("no matching key")
)

// config is the OpenPGP configuration of signing and verifying, Helm's:
// SHA-512 signatures.
var config = packet.Config{DefaultHash: crypto.SHA512}

// sums is the second document of the signed message.
type sums struct {
	Files  map[string]string `json:"files"`
	Images map[string]string `json:"images,omitempty"`
}

// Verification is what a successful Verify found.
type Verification struct {
	// SignedBy is the keyring entity whose key made the signature.
	SignedBy *openpgp.Entity
	// FileName is the archive name the provenance file names and FileHash
	// its verified sum, "sha256:HEX".
	FileName, FileHash string
}

// Identities are the signer's user IDs ("Name (comment) <email>"), sorted.
func (v *Verification) Identities() []string {
	var ids []string
	for name := range v.SignedBy.Identities {
		ids = append(ids, name)
	}
	slices.Sort(ids)
	return ids
}

// Fingerprint is the signer's primary key fingerprint in upper-case hex.
func (v *Verification) Fingerprint() string {
	return fmt.Sprintf("%X", v.SignedBy.PrimaryKey.Fingerprint)
}

// Signer is the signer's description for records and messages: its first
// identity and its fingerprint.
func (v *Verification) Signer() string {
	ids := v.Identities()
	if len(ids) == 0 {
		return "pgp:" + v.Fingerprint()
	}
	return fmt.Sprintf("pgp:%s (%s)", v.Fingerprint(), ids[0])
}

// Text is what `helm verify` prints for a verified chart.
func (v *Verification) Text() string {
	var b strings.Builder
	for _, id := range v.Identities() {
		fmt.Fprintf(&b, "Signed by: %s\n", id)
	}
	fmt.Fprintf(&b, "Using Key With Fingerprint: %s\n", v.Fingerprint())
	fmt.Fprintf(&b, "Chart Hash Verified: %s\n", v.FileHash)
	return b.String()
}

// Digest is the "sha256:HEX" sum of an archive, as provenance files name it.
func Digest(archive []byte) string {
	s := sha256.Sum256(archive)
	return "sha256:" + hex.EncodeToString(s[:])
}

// message is the text that is signed: the metadata as YAML (keys sorted, as
// Helm marshals it), the YAML document end marker, and the archive's sum.
func message(archive []byte, filename string, md *chart.Metadata) ([]byte, error) {
	meta, err := yaml.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("chart metadata: %w", err)
	}
	files, err := yaml.Marshal(sums{Files: map[string]string{filename: Digest(archive)}})
	if err != nil {
		return nil, err
	}
	// "---" cannot start a line of a clear-signed message; "..." ends the
	// first YAML document instead.
	var b bytes.Buffer
	b.Write(meta)
	b.WriteString("\n...\n")
	b.Write(files)
	return b.Bytes(), nil
}

// Sign clear-signs the provenance message of archive (named filename, as
// NAME-VERSION.tgz) with the primary key of signer, which must be unlocked.
func Sign(signer *openpgp.Entity, archive []byte, filename string, md *chart.Metadata) ([]byte, error) {
	if signer == nil || signer.PrivateKey == nil {
		return nil, fmt.Errorf("%w: the key has no private part (give a keyring with secret keys)", ErrNoKey)
	}
	if signer.PrivateKey.Encrypted {
		return nil, errors.New("the signing key is locked: a passphrase is needed")
	}
	msg, err := message(archive, filename, md)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, signer.PrivateKey, &config)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", filename, err)
	}
	if _, err := w.Write(msg); err != nil {
		// Not closed: closing signs what was written.
		return nil, fmt.Errorf("sign %s: %w", filename, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sign %s: %w", filename, err)
	}
	return out.Bytes(), nil
}

// Verify checks prov, the provenance file of archive (named filename in the
// provenance file), against keyring: the signature must be valid and made by
// a key of keyring, and the archive's sum must be the one signed.
func Verify(keyring openpgp.EntityList, archive, prov []byte, filename string) (*Verification, error) {
	block, _ := clearsign.Decode(prov)
	if block == nil {
		return nil, ErrNoSignature
	}
	signer, err := openpgp.CheckDetachedSignature(keyring, bytes.NewReader(block.Bytes), block.ArmoredSignature.Body, &config)
	if err != nil {
		return nil, signatureError(prov, err)
	}
	parts := bytes.SplitN(block.Plaintext, []byte("\n...\n"), 2)
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: the signed message has no \"...\" line between the metadata and the file sums", ErrNoSignature)
	}
	var s sums
	if err := yaml.Unmarshal(parts[1], &s); err != nil {
		return nil, fmt.Errorf("signed file sums: %w", err)
	}
	want, ok := s.Files[filename]
	if !ok {
		var names []string
		for n := range s.Files {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%w: it signs no file named %q (it names %s)", ErrDigestMismatch, filename, strings.Join(names, ", "))
	}
	got := Digest(archive)
	if want != got {
		return nil, fmt.Errorf("%w: %s has sum %s, the signed sum is %s", ErrDigestMismatch, filename, got, want)
	}
	return &Verification{SignedBy: signer, FileName: filename, FileHash: got}, nil
}

// signatureError explains a failed signature check, naming the key that
// made an unknown signature.
func signatureError(prov []byte, err error) error {
	if errors.Is(err, pgperrors.ErrUnknownIssuer) {
		if id := issuer(prov); id != "" {
			return fmt.Errorf("%w (key ID %s)", ErrUnknownKey, id)
		}
		return ErrUnknownKey
	}
	return fmt.Errorf("%w: %v", ErrBadSignature, err)
}

// issuer is the key ID (upper-case hex) of the signature in prov, or "".
func issuer(prov []byte) string {
	block, _ := clearsign.Decode(prov)
	if block == nil {
		return ""
	}
	p, err := packet.NewReader(block.ArmoredSignature.Body).Next()
	if err != nil {
		return ""
	}
	if sig, ok := p.(*packet.Signature); ok && sig.IssuerKeyId != nil {
		return fmt.Sprintf("%016X", *sig.IssuerKeyId)
	}
	return ""
}

// LoadKeyring reads an OpenPGP keyring file: binary (GnuPG's pubring.gpg or
// secring.gpg, `gpg --export`) or ASCII-armoured, possibly several armoured
// blocks one after the other.
func LoadKeyring(path string) (openpgp.EntityList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	ring, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", path, err)
	}
	return ring, nil
}

// ParseKeyring is LoadKeyring of a keyring's bytes.
func ParseKeyring(data []byte) (openpgp.EntityList, error) {
	if bytes.HasPrefix(data, []byte("KBXf")) || len(data) >= 12 && string(data[8:12]) == "KBXf" {
		return nil, errors.New("a GnuPG keybox (pubring.kbx) is not read: export the keys with `gpg --export > pubring.gpg` (or --export-secret-keys for signing)")
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		ring, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return ring, nil
	}
	var ring openpgp.EntityList
	for _, chunk := range armouredBlocks(data) {
		block, err := armor.Decode(bytes.NewReader(chunk))
		if err != nil {
			return nil, err
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("armoured block %q is not a key block", block.Type)
		}
		keys, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, err
		}
		ring = append(ring, keys...)
	}
	if len(ring) == 0 {
		return nil, errors.New("no keys found")
	}
	return ring, nil
}

// armouredBlocks splits concatenated armoured blocks ("-----BEGIN PGP ..."
// to "-----END PGP ..." lines), each to be decoded on its own: the armour
// reader buffers past the end of its block.
func armouredBlocks(data []byte) [][]byte {
	var blocks [][]byte
	start := -1
	for off := 0; off < len(data); {
		line := data[off:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		switch {
		case bytes.HasPrefix(line, []byte("-----BEGIN PGP ")):
			start = off
		case bytes.HasPrefix(line, []byte("-----END PGP ")) && start >= 0:
			blocks = append(blocks, data[start:off+len(line)])
			start = -1
		}
		off += len(line)
	}
	return blocks
}

// FindKey picks the signing key named name in ring as Helm does: the entity
// with a user ID equal to name, else the one entity with a user ID that
// contains name; name may also be a key ID or fingerprint (hex, any case).
func FindKey(ring openpgp.EntityList, name string) (*openpgp.Entity, error) {
	var candidate *openpgp.Entity
	vague := false
	hexName := strings.ToUpper(strings.TrimPrefix(strings.ReplaceAll(name, " ", ""), "0x"))
	for _, e := range ring {
		if fp := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint); len(hexName) >= 8 && strings.HasSuffix(fp, hexName) {
			return e, nil
		}
		matched := false
		for id := range e.Identities {
			if id == name {
				return e, nil
			}
			if strings.Contains(id, name) && !matched {
				matched = true
				if candidate != nil {
					vague = true
				}
				candidate = e
			}
		}
	}
	if vague {
		return nil, fmt.Errorf("%w: more than one key contains the name %q", ErrNoKey, name)
	}
	if candidate == nil {
		return nil, fmt.Errorf("%w: no key in the keyring has a user ID containing %q", ErrNoKey, name)
	}
	return candidate, nil
}

// Unlock decrypts e's primary private key with the passphrase passphrase
// returns (called only when the key is encrypted, with the key's first user ID).
func Unlock(e *openpgp.Entity, passphrase func(name string) ([]byte, error)) error {
	if e.PrivateKey == nil {
		return fmt.Errorf("%w: key %X has no private part in the keyring (give a keyring with secret keys)", ErrNoKey, e.PrimaryKey.Fingerprint)
	}
	if !e.PrivateKey.Encrypted {
		return nil
	}
	name := "Unknown"
	if ids := (&Verification{SignedBy: e}).Identities(); len(ids) > 0 {
		name = ids[0]
	}
	p, err := passphrase(name)
	if err != nil {
		return err
	}
	if err := e.PrivateKey.Decrypt(p); err != nil {
		return fmt.Errorf("unlock key %q: %w", name, err)
	}
	return nil
}
