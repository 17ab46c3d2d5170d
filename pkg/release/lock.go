package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DefaultLeaseDuration is how long a lease stays valid without renewal.
const DefaultLeaseDuration = 30 * time.Second

// ErrLocked is returned when another live operation holds the release's lease.
var ErrLocked = errors.New("another operation is in progress")

// LeaseName is the name of the coordination.k8s.io Lease guarding a release.
func LeaseName(release string) string { return "lade.release." + release }

// Identity names this process as a lease holder: host/pid/nonce.
func Identity() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// ErrLeaseLost is returned by an operation that stopped because its lease
// was taken over by another holder, deleted, or could not be renewed before
// it expired. The operation writes nothing after that: the revision it left
// pending is marked failed by the next operation, which takes the lease.
var ErrLeaseLost = errors.New("lost the release lease")

// Lock is a held release lease, renewed in the background until Release.
// When it is lost, the context from Lock.Context is cancelled with an error
// wrapping ErrLeaseLost, so the operation stops instead of going on without it.
type Lock struct {
	cs       kubernetes.Interface
	ns, name string
	release  string
	holder   string
	// TookOver is the holder whose expired lease was taken over ("" if none).
	TookOver string

	mu       sync.Mutex
	rv       string
	renewed  time.Time
	lastErr  error
	lost     error
	lostCtx  context.Context
	markLost context.CancelCauseFunc

	stop     chan struct{}
	done     chan struct{}
	period   time.Duration
	duration time.Duration
}

func (l *Lock) start() {
	l.renewed = time.Now()
	l.lostCtx, l.markLost = context.WithCancelCause(context.Background())
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.period)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), l.period)
				err := l.renew(ctx)
				cancel()
				if err != nil && l.lose(err) {
					return
				}
			}
		}
	}()
}

// lose records a failed renewal and reports whether the lease is now lost:
// at once when another holder has it or it was deleted; after transient
// errors only when the next renewal would come after the lease expires (so
// the operation stops while nobody else can have taken the lease yet).
func (l *Lock) lose(err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return true
	}
	l.lastErr = err
	lease := l.ns + "/" + l.name
	var reason string
	var ho *heldByOther
	switch {
	case errors.As(err, &ho):
		reason = fmt.Sprintf("Lease %s is now held by %s", lease, ho.holder)
	case apierrors.IsNotFound(err):
		reason = fmt.Sprintf("Lease %s was deleted", lease)
	case time.Since(l.renewed)+l.period >= l.duration:
		reason = fmt.Sprintf("could not renew Lease %s for %s, and it expires after %s: %v", lease, time.Since(l.renewed).Round(time.Second), l.duration, err)
	default:
		return false
	}
	l.lost = fmt.Errorf("%w on release %q: %s; this operation (%s) stopped and wrote nothing more, and the next lade command on the release marks the revision it left pending failed",
		ErrLeaseLost, l.release, reason, l.holder)
	l.markLost(l.lost)
	return true
}

// heldByOther is the renewal error when the Lease names another holder.
type heldByOther struct{ holder string }

func (e *heldByOther) Error() string { return "lease held by " + e.holder }

// renew extends the lease if it is still ours.
func (l *Lock) renew(ctx context.Context) error {
	leases := l.cs.CoordinationV1().Leases(l.ns)
	cur, err := leases.Get(ctx, l.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.holder {
		h := ""
		if cur.Spec.HolderIdentity != nil {
			h = *cur.Spec.HolderIdentity
		}
		if h == "" {
			h = "nobody"
		}
		return &heldByOther{holder: h}
	}
	now := time.Now()
	mt := metav1.NewMicroTime(now)
	cur.Spec.RenewTime = &mt
	out, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.rv = out.ResourceVersion
	l.renewed = now
	l.mu.Unlock()
	return nil
}

// Holder is the identity holding the lock.
func (l *Lock) Holder() string { return l.holder }

// Lost returns the error (wrapping ErrLeaseLost) once the lease is lost.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

type lockKey struct{}

// Context returns a context derived from parent that is cancelled, with the
// ErrLeaseLost error as its cause, when the lease is lost. Call cancel when
// the operation ends.
func (l *Lock) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.WithValue(parent, lockKey{}, l))
	stop := context.AfterFunc(l.lostCtx, func() { cancel(context.Cause(l.lostCtx)) })
	return ctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// Err returns err unless the lease was lost, in which case it returns the
// lease error (which says why) with err as the step that was stopped.
func (l *Lock) Err(err error) error {
	lost := l.Lost()
	if lost == nil || err == nil {
		return err
	}
	if errors.Is(err, ErrLeaseLost) {
		return err
	}
	return fmt.Errorf("%w (it was stopped at: %v)", lost, err)
}

// Confirm renews the lease now, before an operation records its outcome. It
// fails (and marks the lock lost) when the lease is no longer ours; a
// transient error is tolerated while the lease is still valid.
func (l *Lock) Confirm(ctx context.Context) error {
	if err := l.Lost(); err != nil {
		return err
	}
	if err := l.renew(ctx); err != nil {
		if l.lose(err) {
			return l.Lost()
		}
	}
	return nil
}

// confirmLease confirms the lease of the operation running under ctx (see
// Lock.Context); without a lease (dry runs) it does nothing.
func confirmLease(ctx context.Context) error {
	if l, ok := ctx.Value(lockKey{}).(*Lock); ok {
		return l.Confirm(ctx)
	}
	return nil
}

// leaseLost reports whether ctx was cancelled because its lease was lost.
func leaseLost(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrLeaseLost)
}

// Release stops renewing and deletes the Lease if it is still ours (an
// unchanged resourceVersion proves that), so no Lease with an empty holder
// is left behind; the next operation creates a fresh one.
func (l *Lock) Release() {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	rv, lost := l.rv, l.lost
	l.mu.Unlock()
	l.markLost(nil)
	if lost != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leases := l.cs.CoordinationV1().Leases(l.ns)
	err := leases.Delete(ctx, l.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	if err == nil || apierrors.IsNotFound(err) {
		return
	}
	// The Lease changed since our last write (a conflict): delete it only if
	// it still names us.
	cur, gerr := leases.Get(ctx, l.name, metav1.GetOptions{})
	if gerr != nil || cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.holder {
		return
	}
	crv := cur.ResourceVersion
	_ = leases.Delete(ctx, l.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &crv}})
}

// Abandon stops renewing without freeing the lease, as a killed process
// would leave it (tests).
func (l *Lock) Abandon() {
	close(l.stop)
	<-l.done
	l.markLost(nil)
}

// holderGone reports a holder on this host whose process no longer runs.
func holderGone(holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if err != nil || parts[0] != host {
		return false
	}
	if pid == os.Getpid() {
		return false
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// Acquire takes the release's lease for holder. A lease held by a live
// holder is refused with ErrLocked naming it; an expired one (or one whose
// process on this host is gone) is taken over and Lock.TookOver set.
func Acquire(ctx context.Context, cs kubernetes.Interface, ns, release, holder string, duration time.Duration) (*Lock, error) {
	if duration <= 0 {
		duration = DefaultLeaseDuration
	}
	secs := int32(max(1, duration/time.Second))
	leases := cs.CoordinationV1().Leases(ns)
	now := metav1.NewMicroTime(time.Now())
	l := &Lock{cs: cs, ns: ns, name: LeaseName(release), release: release, holder: holder, period: duration / 3, duration: duration}
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := leases.Get(ctx, l.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			lease := &coordv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: l.name, Labels: map[string]string{"lade.dev/release": release}},
				Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now},
			}
			out, err := leases.Create(ctx, lease, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("namespace %q not found (create it, or install with --create-namespace): %w", ns, err)
			}
			if err != nil {
				return nil, fmt.Errorf("lock release %q: create Lease %s/%s: %w", release, ns, l.name, err)
			}
			l.rv = out.ResourceVersion
			l.start()
			return l, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lock release %q: get Lease %s/%s: %w", release, ns, l.name, err)
		}
		prev := ""
		if cur.Spec.HolderIdentity != nil {
			prev = *cur.Spec.HolderIdentity
		}
		if prev != "" && prev != holder {
			d := time.Duration(0)
			if cur.Spec.LeaseDurationSeconds != nil {
				d = time.Duration(*cur.Spec.LeaseDurationSeconds) * time.Second
			}
			var renewed time.Time
			if cur.Spec.RenewTime != nil {
				renewed = cur.Spec.RenewTime.Time
			}
			if time.Since(renewed) < d && !holderGone(prev) {
				return nil, fmt.Errorf("%w on release %q: held by %s (lease %s/%s renewed %s ago); wait for it to finish, or if that process is gone retry after %s when its lease expires",
					ErrLocked, release, prev, ns, l.name, time.Since(renewed).Round(time.Second), (d - time.Since(renewed)).Round(time.Second))
			}
			l.TookOver = prev
		}
		cur.Spec.HolderIdentity = &holder
		cur.Spec.LeaseDurationSeconds = &secs
		cur.Spec.AcquireTime = &now
		cur.Spec.RenewTime = &now
		out, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			l.TookOver = ""
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lock release %q: update Lease %s/%s: %w", release, ns, l.name, err)
		}
		l.rv = out.ResourceVersion
		l.start()
		return l, nil
	}
	return nil, fmt.Errorf("%w on release %q: its Lease %s/%s keeps changing", ErrLocked, release, ns, l.name)
}

// lock takes the release lease and settles what an interrupted operation
// left: a pending revision written by a lade holder that no longer holds the
// lease is marked failed; one left by Helm (no holder) is refused unless
// recoverPending, with the command that recovers it.
func (c *Config) lock(ctx context.Context, name, command string, recoverPending bool) (*Lock, error) {
	l, err := Acquire(ctx, c.Kube.Clientset, c.Namespace, name, c.holder(), c.LeaseDuration)
	if err != nil {
		return nil, err
	}
	if l.TookOver != "" {
		c.printf("Took over the lease of release %q from %s, which stopped renewing it.\n", name, l.TookOver)
	}
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		l.Release()
		return nil, err
	}
	for _, sm := range sums {
		if !sm.Status.IsPending() {
			continue
		}
		if sm.Holder == "" && !recoverPending {
			l.Release()
			return nil, fmt.Errorf("%w: release %q revision %d is %s and no lade operation holds its lease (it was probably left by an interrupted helm command). If nothing is still working on it, recover with:\n  %s --recover-pending",
				ErrLocked, name, sm.Version, sm.Status, command)
		}
		r, err := st.Get(ctx, name, sm.Version)
		if err != nil {
			l.Release()
			return nil, err
		}
		who := sm.Holder
		if who == "" {
			who = "an unknown process"
		}
		r.Info.Status = StatusFailed
		r.Info.Description = fmt.Sprintf("Interrupted: the %s by %s did not finish; marked failed by lade", strings.TrimPrefix(string(sm.Status), "pending-"), who)
		if err := st.Update(ctx, r); err != nil {
			l.Release()
			return nil, err
		}
		c.printf("Revision %d of release %q was left %s by %s; marked it failed.\n", sm.Version, name, sm.Status, who)
	}
	return l, nil
}

// withLease runs f while holding the release's lease (see lock): f's context
// ends if the lease is lost, and the lease is released (deleted) afterwards.
// op is the command named to whoever finds the lease held.
func (c *Config) withLease(ctx context.Context, name, op string, recoverPending bool, f func(context.Context) (*Release, error)) (*Release, error) {
	l, err := c.lock(ctx, name, op, recoverPending)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	ctx, cancel := l.Context(ctx)
	defer cancel()
	rel, err := f(ctx)
	return rel, l.Err(err)
}
