package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// memRepo is an in-memory repository (the registry path is tested with the
// real cosign in cmd/lade's TestCosignSignatures).
type memRepo struct {
	tags  map[string][]byte
	blobs map[digest.Digest][]byte
}

func (m *memRepo) Manifest(_ context.Context, tag string) ([]byte, error) {
	if b, ok := m.tags[tag]; ok {
		return b, nil
	}
	return nil, ErrNotFound
}

func (m *memRepo) Blob(_ context.Context, d ocispec.Descriptor) ([]byte, error) {
	return m.blobs[d.Digest], nil
}

type testSigner struct {
	signer sigsig.Signer
	key    *Key
}

func newSigner(t *testing.T) testSigner {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sigsig.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{s, k}
}

// sign stores, under the signature tag of at, a signature by s of a payload
// naming names (a replayed signature when they differ).
func (m *memRepo) sign(t *testing.T, s testSigner, at, names, typ string) {
	body := []byte(`{"critical":{"identity":{"docker-reference":"r.example/charts/web"},"image":{"docker-manifest-digest":"` + names + `"},"type":"` + typ + `"},"optional":null}`)
	sig, err := s.signer.SignMessage(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(body)
	m.blobs[d] = body
	var man ocispec.Manifest
	if old, ok := m.tags[SignatureTag(at)]; ok {
		json.Unmarshal(old, &man)
	}
	man.Layers = append(man.Layers, ocispec.Descriptor{MediaType: SimpleSigningMediaType, Digest: d, Size: int64(len(body)),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}})
	b, _ := json.Marshal(man)
	m.tags[SignatureTag(at)] = b
}

func TestVerify(t *testing.T) {
	a, b := digest.FromString("chart a").String(), digest.FromString("chart b").String()
	good, other := newSigner(t), newSigner(t)
	repo := &memRepo{tags: map[string][]byte{}, blobs: map[digest.Digest][]byte{}}
	ctx := context.Background()

	if _, err := Verify(ctx, repo, a, []*Key{good.key}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: %v", err)
	}
	repo.sign(t, other, a, a, "cosign container image signature")
	if _, err := Verify(ctx, repo, a, []*Key{good.key}); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "not made by any of the given keys") {
		t.Fatalf("other key: %v", err)
	}
	repo.sign(t, good, a, a, "cosign container image signature")
	res, err := Verify(ctx, repo, a, []*Key{other.key, good.key})
	if err != nil || res.Key != other.key && res.Key != good.key {
		t.Fatalf("signed: %v", err)
	}
	if res, err := Verify(ctx, repo, a, []*Key{good.key}); err != nil || res.Key != good.key || res.Digest != a {
		t.Fatalf("signed by good: %+v %v", res, err)
	}
	// A valid signature of a, replayed under b's signature tag, does not
	// verify b: the payload names the digest it signs.
	repo.tags[SignatureTag(b)] = repo.tags[SignatureTag(a)]
	if _, err := Verify(ctx, repo, b, []*Key{good.key}); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "it signs "+a+", not "+b) {
		t.Fatalf("replayed: %v", err)
	}
	// Only cosign image signatures count.
	c := digest.FromString("chart c").String()
	repo.sign(t, good, c, c, "atomic container signature")
	if _, err := Verify(ctx, repo, c, []*Key{good.key}); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), `payload type "atomic container signature"`) {
		t.Fatalf("other payload type: %v", err)
	}
	if _, err := Verify(ctx, repo, "sha256:nothex", []*Key{good.key}); err == nil {
		t.Fatal("a bad digest verified")
	}
}
