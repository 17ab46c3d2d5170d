package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Errors callers branch on (wrapped; match with errors.Is).
var (
	// ErrUnsigned: the artifact has no cosign signature at all.
	ErrUnsigned = errors.New("no cosign signature")
	// ErrWrongKey: it has signatures, but none made by the given keys for
	// this digest.
	ErrWrongKey = errors.New("no cosign signature made by the given keys")
	// ErrNotFound is what a Fetcher returns for a tag that does not exist.
	ErrNotFound = errors.New("not found")
)

// Where cosign stores signatures.
const (
	// SimpleSigningMediaType is the media type of a signature layer (the payload).
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds a layer's base64 signature.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// maxSignatures bounds the layers examined.
	maxSignatures = 100
	// maxPayload bounds a payload blob.
	maxPayload = 1 << 20
)

// Fetcher reads the signed artifact's repository.
type Fetcher interface {
	// Manifest fetches the manifest tagged tag (ErrNotFound when there is none).
	Manifest(ctx context.Context, tag string) ([]byte, error)
	// Blob fetches a blob, verified against its descriptor's digest.
	Blob(ctx context.Context, desc ocispec.Descriptor) ([]byte, error)
}

// Key is a cosign public key.
type Key struct {
	// Path is the file the key was read from (for messages and records).
	Path string
	// Fingerprint is "sha256:HEX" of the key's DER (SubjectPublicKeyInfo) form.
	Fingerprint string
	verifier    sigsig.Verifier
}

// LoadKey reads a PEM public key (cosign.pub, `cosign public-key`'s output).
func LoadKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cosign key: %w", err)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("cosign key %s: %w", path, err)
	}
	k.Path = path
	return k, nil
}

// ParseKey is LoadKey of a key's PEM bytes.
func ParseKey(pem []byte) (*Key, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
	if err != nil {
		return nil, err
	}
	v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &Key{Fingerprint: "sha256:" + hex.EncodeToString(sum[:]), verifier: v}, nil
}

// Result is a verified signature.
type Result struct {
	// Key is the key that verified it.
	Key *Key
	// Digest is the signed manifest digest.
	Digest string
}

// Signer describes the verifying key for records and messages.
func (r *Result) Signer() string {
	if r.Key.Path == "" {
		return "cosign:" + r.Key.Fingerprint
	}
	return "cosign:" + r.Key.Fingerprint + " (" + r.Key.Path + ")"
}

// SignatureTag is the tag cosign stores the signatures of manifest d under.
func SignatureTag(d string) string {
	return strings.Replace(d, ":", "-", 1) + ".sig"
}

// Verify checks that manifest digest d carries a cosign signature made by
// one of keys, reading the repository through f; it returns the first that
// verifies. Invalid signatures are skipped; only a valid signature by a
// given key whose payload names d counts.
func Verify(ctx context.Context, f Fetcher, d string, keys []*Key) (*Result, error) {
	if len(keys) == 0 {
		return nil, errors.New("no cosign keys given")
	}
	want, err := digest.Parse(d)
	if err != nil {
		return nil, fmt.Errorf("cosign: %w", err)
	}
	data, err := f.Manifest(ctx, SignatureTag(d))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: no tag %s beside %s", ErrUnsigned, SignatureTag(d), d)
	}
	if err != nil {
		return nil, fmt.Errorf("cosign signatures of %s: %w", d, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("cosign signatures of %s: manifest %s: %w", d, SignatureTag(d), err)
	}
	var reasons []string
	seen := 0
	for _, l := range m.Layers {
		if l.MediaType != SimpleSigningMediaType {
			continue
		}
		if seen++; seen > maxSignatures {
			break
		}
		if l.Size > maxPayload {
			reasons = append(reasons, fmt.Sprintf("layer %s: payload of %d bytes", l.Digest, l.Size))
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil || len(sig) == 0 {
			reasons = append(reasons, fmt.Sprintf("layer %s: no valid %s annotation", l.Digest, SignatureAnnotation))
			continue
		}
		body, err := f.Blob(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("cosign signature payload %s: %w", l.Digest, err)
		}
		k, reason := verifyLayer(body, sig, want, keys)
		if k != nil {
			return &Result{Key: k, Digest: d}, nil
		}
		reasons = append(reasons, fmt.Sprintf("signature %s: %s", l.Digest, reason))
	}
	if seen == 0 {
		return nil, fmt.Errorf("%w: %s holds no signature layers", ErrUnsigned, SignatureTag(d))
	}
	return nil, fmt.Errorf("%w on %s (%s)", ErrWrongKey, d, strings.Join(reasons, "; "))
}

// verifyLayer checks one signature over body with each key, then that the
// payload is a cosign image signature naming want.
func verifyLayer(body, sig []byte, want digest.Digest, keys []*Key) (*Key, string) {
	var signer *Key
	for _, k := range keys {
		if k.verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(body)) == nil {
			signer = k
			break
		}
	}
	if signer == nil {
		return nil, "not made by any of the given keys"
	}
	var p payload.SimpleContainerImage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Sprintf("payload: %v", err)
	}
	if p.Critical.Type != payload.CosignSignatureType {
		return nil, fmt.Sprintf("payload type %q is not %q", p.Critical.Type, payload.CosignSignatureType)
	}
	if p.Critical.Image.DockerManifestDigest != want.String() {
		return nil, fmt.Sprintf("it signs %s, not %s", p.Critical.Image.DockerManifestDigest, want)
	}
	return signer, ""
}
