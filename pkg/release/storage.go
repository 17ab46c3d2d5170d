package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/lade-dev/lade/pkg/chart"
)

// Storage constants: Helm's Secret format plus lade's additions.
const (
	// SecretType is the type of Helm's (and lade's) release Secrets.
	SecretType = "helm.sh/release.v1"
	// PartSecretType is the type of lade's continuation Secrets (records over 1 MiB).
	PartSecretType = "lade.dev/release-part.v1"

	// Annotations lade adds to a record Secret so `lade list` needs no payload.
	AnnotationChart      = "lade.dev/chart"
	AnnotationAppVersion = "lade.dev/app-version"
	AnnotationUpdated    = "lade.dev/updated"
	AnnotationHolder     = "lade.dev/holder"

	// partsMarker is set in the reduced record's chart metadata annotations
	// (which Helm preserves when it rewrites a record): "COUNT:SHA256".
	partsMarker = "lade.dev/record-parts"

	// maxInline is the largest encoded record kept in one Secret (the API
	// server refuses Secrets whose data exceeds 1 MiB).
	maxInline = 1024*1024 - 8*1024
	// partSize is the size of each continuation chunk (raw gzip bytes).
	partSize = 900 * 1024
)

var systemLabels = []string{"name", "owner", "status", "version", "createdAt", "modifiedAt"}

// ErrNotFound is returned when a release or revision does not exist.
var ErrNotFound = errors.New("release: not found")

// ErrExists is returned when creating a revision that is already stored.
var ErrExists = errors.New("release: already exists")

// Storage keeps release revisions as Secrets in one namespace ("" = all
// namespaces, for listing only).
type Storage struct {
	cs        kubernetes.Interface
	md        metadata.Interface
	namespace string
	// PartSize overrides the continuation chunk size (tests).
	PartSize int
	// MaxInline overrides the inline limit (tests).
	MaxInline int
}

// NewStorage returns the Secret storage of namespace.
func NewStorage(cs kubernetes.Interface, md metadata.Interface, namespace string) *Storage {
	return &Storage{cs: cs, md: md, namespace: namespace, PartSize: partSize, MaxInline: maxInline}
}

// Namespace is the storage's namespace.
func (s *Storage) Namespace() string { return s.namespace }

// SecretName is the name of a revision's Secret: sh.helm.release.v1.NAME.vN.
func SecretName(name string, version int) string {
	return fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version)
}

func partName(name string, version, i int) string {
	return fmt.Sprintf("%s.part-%d", SecretName(name, version), i)
}

// recordLevel is the gzip level lade writes records at. Helm writes
// BestCompression, and reads any level (so does lade). On the 200-object
// benchmark release's record (352 kB of JSON) level 5 takes 5 ms instead of
// 20 ms and gives 14.6 kB instead of 12.4 kB; a record is written twice per
// operation (pending, then its outcome). Records that would not fit in one
// Secret at this level are written at BestCompression (encodeFitting), so
// which records are split into parts does not depend on the level.
const recordLevel = 5

// encodeBytes is gzip(JSON) at the given level.
func encodeBytes(r *Release, level int) ([]byte, error) {
	hr, err := helmForm(r)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(hr)
	if err != nil {
		return nil, err
	}
	if len(js) > MaxRecordBytes {
		return nil, recordTooLarge(fmt.Sprintf("%d MiB", len(js)>>20))
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeFitting returns the gzip'd record and its payload (base64), at
// recordLevel when the payload fits in limit bytes, else at BestCompression
// as Helm writes it.
func encodeFitting(r *Release, limit int) (raw []byte, payload string, err error) {
	if raw, err = encodeBytes(r, recordLevel); err != nil {
		return nil, "", err
	}
	if payload = base64.StdEncoding.EncodeToString(raw); len(payload) <= limit {
		return raw, payload, nil
	}
	if raw, err = encodeBytes(r, gzip.BestCompression); err != nil {
		return nil, "", err
	}
	return raw, base64.StdEncoding.EncodeToString(raw), nil
}

// Encode returns Helm's payload for a record: base64(gzip(JSON)), at
// BestCompression when it does not fit in one Secret (see recordLevel).
func Encode(r *Release) (string, error) {
	_, p, err := encodeFitting(r, maxInline)
	return p, err
}

// Decode parses Helm's payload (base64 of gzip'd or plain JSON).
func Decode(data string) (*Release, error) {
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, err
	}
	return decodeBytes(b)
}

func decodeBytes(b []byte) (*Release, error) {
	if len(b) > 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 0x08 {
		var err error
		if b, err = gunzipRecord(b); err != nil {
			return nil, err
		}
	}
	var r Release
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if err := fromHelmForm(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// secretFor builds the record Secret of r with payload.
func (s *Storage) secretFor(r *Release, payload string, created bool) *corev1.Secret {
	lbs := map[string]string{}
	maps.Copy(lbs, r.Labels)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	if created {
		lbs["createdAt"] = now
	} else {
		lbs["modifiedAt"] = now
	}
	lbs["name"] = r.Name
	lbs["owner"] = "helm"
	lbs["status"] = string(r.Info.Status)
	lbs["version"] = strconv.Itoa(r.Version)
	ann := map[string]string{
		AnnotationChart:      r.ChartRef(),
		AnnotationAppVersion: r.AppVersion(),
		AnnotationUpdated:    r.Info.LastDeployed.Format(time.RFC3339Nano),
	}
	if r.Holder != "" {
		ann[AnnotationHolder] = r.Holder
		if r.FieldManager != "" {
			ann[AnnotationFieldManager] = r.FieldManager
		}
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(r.Name, r.Version), Namespace: r.Namespace, Labels: lbs, Annotations: ann},
		Type:       SecretType,
		Data:       map[string][]byte{"release": []byte(payload)},
	}
}

// reduce returns the Helm-readable stand-in of a record too big for one
// Secret: the chart without templates and files (its metadata carries the
// parts marker), and, if still too big, without manifest and hooks.
func reduce(r *Release, marker string, limit int) (string, error) {
	cp := *r
	if r.Chart != nil {
		md := chart.Metadata{}
		if r.Chart.Metadata != nil {
			md = *r.Chart.Metadata
		}
		md.Annotations = maps.Clone(md.Annotations)
		if md.Annotations == nil {
			md.Annotations = map[string]string{}
		}
		md.Annotations[partsMarker] = marker
		cp.Chart = &chart.Chart{Metadata: &md, Lock: r.Chart.Lock, Values: map[string]any{}}
	}
	_, p, err := encodeFitting(&cp, limit)
	if err != nil || len(p) <= limit {
		return p, err
	}
	// A stand-in manifest naming every object (see split.go), hooks kept.
	if cp.Manifest, err = stubManifest(r); err != nil {
		return "", err
	}
	if _, p, err = encodeFitting(&cp, limit); err != nil || len(p) <= limit {
		return p, err
	}
	cp.Hooks, cp.Overlay = nil, nil
	if _, p, err = encodeFitting(&cp, limit); err != nil || len(p) <= limit {
		return p, err
	}
	return "", fmt.Errorf("release %q revision %d: even without its chart and manifest the record is %d bytes, over the 1 MiB Secret limit (are the values that large?)", r.Name, r.Version, len(p))
}

// Create stores a new revision. Records over the Secret limit are split:
// see doc.go.
func (s *Storage) Create(ctx context.Context, r *Release) error {
	raw, payload, err := encodeFitting(r, s.MaxInline)
	if err != nil {
		return fmt.Errorf("encode release %q: %w", r.Name, err)
	}
	if len(payload) <= s.MaxInline {
		return s.createSecret(ctx, s.secretFor(r, payload, true))
	}
	// Continuation Secrets first, so a reader never sees a record without its parts.
	sum := sha256.Sum256(raw)
	var parts []string
	for i := 0; len(raw) > 0; i++ {
		n := min(s.PartSize, len(raw))
		sec := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Name: partName(r.Name, r.Version, i), Namespace: r.Namespace,
				Labels: map[string]string{"lade.dev/release": r.Name, "lade.dev/version": strconv.Itoa(r.Version)},
			},
			Type: PartSecretType,
			Data: map[string][]byte{"part": raw[:n]},
		}
		raw = raw[n:]
		if _, err := s.cs.CoreV1().Secrets(r.Namespace).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("store release %q revision %d: create Secret %s/%s: %w", r.Name, r.Version, r.Namespace, sec.Name, err)
			}
			if _, err := s.cs.CoreV1().Secrets(r.Namespace).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("store release %q revision %d: update Secret %s/%s: %w", r.Name, r.Version, r.Namespace, sec.Name, err)
			}
		}
		parts = append(parts, sec.Name)
	}
	marker := strconv.Itoa(len(parts)) + ":" + hex.EncodeToString(sum[:]) + ":" + strconv.Itoa(r.Version)
	small, err := reduce(r, marker, s.MaxInline)
	if err != nil {
		return err
	}
	main := s.secretFor(r, small, true)
	if err := s.createSecret(ctx, main); err != nil {
		return err
	}
	// Parts follow the record Secret when Helm or a user deletes it.
	owner := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Secret","name":%q,"uid":%q}]}}`, main.Name, main.UID)
	for _, p := range parts {
		if _, err := s.cs.CoreV1().Secrets(r.Namespace).Patch(ctx, p, types.MergePatchType, []byte(owner), metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("set owner of Secret %s/%s: %w", r.Namespace, p, err)
		}
	}
	return nil
}

func (s *Storage) createSecret(ctx context.Context, sec *corev1.Secret) error {
	out, err := s.cs.CoreV1().Secrets(sec.Namespace).Create(ctx, sec, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%w: Secret %s/%s", ErrExists, sec.Namespace, sec.Name)
	}
	if err != nil {
		return fmt.Errorf("store release: create Secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	sec.UID = out.UID
	return nil
}

// Update rewrites a revision's record (status, description, notes...). For a
// split record only the record Secret changes: its parts are immutable and
// the record's info always comes from the record Secret.
func (s *Storage) Update(ctx context.Context, r *Release) error {
	_, payload, err := encodeFitting(r, s.MaxInline)
	if err != nil {
		return fmt.Errorf("encode release %q: %w", r.Name, err)
	}
	if len(payload) > s.MaxInline {
		cur, err := s.cs.CoreV1().Secrets(r.Namespace).Get(ctx, SecretName(r.Name, r.Version), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("update release %q revision %d: %w", r.Name, r.Version, err)
		}
		old, err := Decode(string(cur.Data["release"]))
		if err != nil {
			return fmt.Errorf("update release %q revision %d: decode: %w", r.Name, r.Version, err)
		}
		marker := ""
		if old.Chart != nil && old.Chart.Metadata != nil {
			marker = old.Chart.Metadata.Annotations[partsMarker]
		}
		if marker == "" {
			return fmt.Errorf("update release %q revision %d: the record grew over 1 MiB", r.Name, r.Version)
		}
		if payload, err = reduce(r, marker, s.MaxInline); err != nil {
			return err
		}
	}
	sec := s.secretFor(r, payload, false)
	if _, err := s.cs.CoreV1().Secrets(r.Namespace).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update release %q revision %d: Secret %s/%s: %w", r.Name, r.Version, r.Namespace, sec.Name, err)
	}
	return nil
}

// Get returns one revision.
func (s *Storage) Get(ctx context.Context, name string, version int) (*Release, error) {
	sec, err := s.cs.CoreV1().Secrets(s.namespace).Get(ctx, SecretName(name, version), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: release %q revision %d in namespace %q", ErrNotFound, name, version, s.namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("get release %q revision %d: %w", name, version, err)
	}
	return s.fromSecret(ctx, sec)
}

func (s *Storage) fromSecret(ctx context.Context, sec *corev1.Secret) (*Release, error) {
	r, err := Decode(string(sec.Data["release"]))
	if err != nil {
		return nil, &RecordError{Namespace: sec.Namespace, Name: sec.Name, Err: err}
	}
	r.Labels = map[string]string{}
	r.SecretLabels = maps.Clone(sec.Labels)
	r.Holder = sec.Annotations[AnnotationHolder]
	for k, v := range sec.Labels {
		if !isSystemLabel(k) {
			r.Labels[k] = v
		}
	}
	if r.Chart == nil || r.Chart.Metadata == nil || r.Chart.Metadata.Annotations[partsMarker] == "" {
		return r, nil
	}
	n, sum, rev, err := partsMarkerOf(r.Chart.Metadata.Annotations[partsMarker], r.Version)
	if err != nil {
		return nil, fmt.Errorf("release Secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	full, err := s.loadParts(ctx, sec, n, sum, rev, r)
	if apierrors.IsNotFound(err) && rev != r.Version {
		// Helm's rollback copied revision rev's reduced record, and rev
		// is gone with its parts: the reduced record is what Helm applied.
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	// Info, version and labels come from the record Secret (they change;
	// parts do not). The version differs when Helm's rollback copied the
	// record of revision rev.
	full.Info, full.Labels, full.SecretLabels, full.Holder, full.Version = r.Info, r.Labels, r.SecretLabels, r.Holder, r.Version
	return full, nil
}

func (s *Storage) loadParts(ctx context.Context, sec *corev1.Secret, n int, sum string, rev int, r *Release) (*Release, error) {
	var raw []byte
	for i := range n {
		p, err := s.cs.CoreV1().Secrets(sec.Namespace).Get(ctx, partName(r.Name, rev, i), metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("release %q revision %d: continuation Secret %s/%s: %w", r.Name, r.Version, sec.Namespace, partName(r.Name, rev, i), err)
		}
		raw = append(raw, p.Data["part"]...)
		if len(raw) > MaxRecordBytes {
			return nil, &RecordError{Namespace: sec.Namespace, Name: sec.Name, Err: fmt.Errorf("%w: its continuation Secrets hold more than %d MiB", ErrRecordTooLarge, MaxRecordBytes>>20)}
		}
	}
	got := sha256.Sum256(raw)
	if hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("release %q revision %d: continuation Secrets do not match the record (checksum mismatch)", r.Name, r.Version)
	}
	full, err := decodeBytes(raw)
	if err != nil {
		return nil, &RecordError{Namespace: sec.Namespace, Name: sec.Name, Err: err}
	}
	return full, nil
}

func isSystemLabel(k string) bool {
	for _, s := range systemLabels {
		if s == k {
			return true
		}
	}
	return false
}

// History returns every revision of a release, oldest first.
func (s *Storage) History(ctx context.Context, name string) ([]*Release, error) {
	list, err := s.cs.CoreV1().Secrets(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{"owner": "helm", "name": name}.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("read history of release %q: %w", name, err)
	}
	out := make([]*Release, 0, len(list.Items))
	for i := range list.Items {
		r, err := s.fromSecret(ctx, &list.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Summary is what `lade list` and `lade history` need of a revision, read
// from Secret metadata only.
type Summary struct {
	Name       string
	Namespace  string
	Version    int
	Status     Status
	Updated    time.Time
	Chart      string
	AppVersion string
	Labels     map[string]string
	// Holder is the lade process that last wrote the revision, if any.
	Holder string
	// FieldManager is the field manager lade applied the revision as, when
	// the record Secret is as lade wrote it ("" once Helm rewrote it).
	FieldManager string
}

// Summaries lists revisions from Secret metadata only (no payload), optionally
// of one release ("" = all), in the storage namespace ("" = all namespaces).
// Revisions written by Helm lack lade's annotations; fill fetches those.
func (s *Storage) Summaries(ctx context.Context, name string) ([]*Summary, error) {
	sel := labels.Set{"owner": "helm"}
	if name != "" {
		sel["name"] = name
	}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	list, err := s.md.Resource(gvr).Namespace(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	out := make([]*Summary, 0, len(list.Items))
	for _, it := range list.Items {
		v, _ := strconv.Atoi(it.Labels["version"])
		sm := &Summary{
			Name: it.Labels["name"], Namespace: it.Namespace, Version: v, Status: Status(it.Labels["status"]),
			Chart: it.Annotations[AnnotationChart], AppVersion: it.Annotations[AnnotationAppVersion],
			Holder: it.Annotations[AnnotationHolder], Labels: map[string]string{},
			FieldManager: it.Annotations[AnnotationFieldManager],
		}
		if t, err := time.Parse(time.RFC3339Nano, it.Annotations[AnnotationUpdated]); err == nil {
			sm.Updated = t
		}
		for k, v := range it.Labels {
			if !isSystemLabel(k) {
				sm.Labels[k] = v
			}
		}
		out = append(out, sm)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// Fill reads the record of a summary written without lade's annotations
// (by Helm) to learn its chart, app version and update time.
func (s *Storage) Fill(ctx context.Context, sm *Summary) error {
	if sm.Chart != "" {
		return nil
	}
	st := &Storage{cs: s.cs, md: s.md, namespace: sm.Namespace, PartSize: s.PartSize, MaxInline: s.MaxInline}
	r, err := st.Get(ctx, sm.Name, sm.Version)
	if err != nil {
		return err
	}
	sm.Chart, sm.AppVersion, sm.Updated = r.ChartRef(), r.AppVersion(), r.Info.LastDeployed
	return nil
}

// Last returns the newest revision of a release.
func (s *Storage) Last(ctx context.Context, name string) (*Release, error) {
	sums, err := s.Summaries(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("%w: release %q in namespace %q", ErrNotFound, name, s.namespace)
	}
	return s.Get(ctx, name, sums[len(sums)-1].Version)
}

// Deployed returns the newest revision in status deployed.
func (s *Storage) Deployed(ctx context.Context, name string) (*Release, error) {
	sums, err := s.Summaries(ctx, name)
	if err != nil {
		return nil, err
	}
	for i := len(sums) - 1; i >= 0; i-- {
		if sums[i].Status == StatusDeployed {
			return s.Get(ctx, name, sums[i].Version)
		}
	}
	return nil, fmt.Errorf("%w: release %q has no deployed revision", ErrNotFound, name)
}

// Delete removes a revision's Secret and its continuation Secrets.
func (s *Storage) Delete(ctx context.Context, name string, version int) error {
	sec, err := s.cs.CoreV1().Secrets(s.namespace).Get(ctx, SecretName(name, version), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	parts := 0
	if r, err := Decode(string(sec.Data["release"])); err == nil && r.Chart != nil && r.Chart.Metadata != nil {
		// The parts of this revision (not those of the revision Helm's
		// rollback copied the record from).
		if n, _, rev, err := partsMarkerOf(r.Chart.Metadata.Annotations[partsMarker], version); err == nil && rev == version {
			parts = n
		}
	}
	if err := s.cs.CoreV1().Secrets(s.namespace).Delete(ctx, sec.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Secret %s/%s: %w", s.namespace, sec.Name, err)
	}
	for i := range parts {
		err := s.cs.CoreV1().Secrets(s.namespace).Delete(ctx, partName(name, version, i), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete Secret %s/%s: %w", s.namespace, partName(name, version, i), err)
		}
	}
	return nil
}

// Prune deletes the oldest revisions beyond max (0 = keep all), never the
// newest deployed one nor the newest revision.
func (s *Storage) Prune(ctx context.Context, name string, max int) error {
	if max <= 0 {
		return nil
	}
	sums, err := s.Summaries(ctx, name)
	if err != nil || len(sums) <= max {
		return err
	}
	deployed := -1
	for _, sm := range sums {
		if sm.Status == StatusDeployed {
			deployed = sm.Version
		}
	}
	excess := len(sums) - max
	for _, sm := range sums[:len(sums)-1] {
		if excess == 0 {
			break
		}
		if sm.Version == deployed {
			continue
		}
		if err := s.Delete(ctx, name, sm.Version); err != nil {
			return err
		}
		excess--
	}
	return nil
}
