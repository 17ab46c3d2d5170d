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

// Lock is a held release lease, renewed in the background until Release.
type Lock struct {
	cs       kubernetes.Interface
	ns, name string
	holder   string
	// TookOver is the holder whose expired lease was taken over ("" if none).
	TookOver string

	mu     sync.Mutex
	rv     string
	lost   error
	stop   chan struct{}
	done   chan struct{}
	period time.Duration
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
	l := &Lock{cs: cs, ns: ns, name: LeaseName(release), holder: holder, period: duration / 3}
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

func (l *Lock) start() {
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
				if err := l.renew(); err != nil {
					l.mu.Lock()
					l.lost = err
					l.mu.Unlock()
					return
				}
			}
		}
	}()
}

func (l *Lock) renew() error {
	ctx, cancel := context.WithTimeout(context.Background(), l.period)
	defer cancel()
	leases := l.cs.CoordinationV1().Leases(l.ns)
	cur, err := leases.Get(ctx, l.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.holder {
		return fmt.Errorf("lease %s/%s was taken over by another operation", l.ns, l.name)
	}
	now := metav1.NewMicroTime(time.Now())
	cur.Spec.RenewTime = &now
	out, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.rv = out.ResourceVersion
	l.mu.Unlock()
	return nil
}

// Holder is the identity holding the lock.
func (l *Lock) Holder() string { return l.holder }

// Lost returns an error if the lease could not be renewed.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops renewing and frees the lease (if still ours).
func (l *Lock) Release() {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leases := l.cs.CoordinationV1().Leases(l.ns)
	cur, err := leases.Get(ctx, l.name, metav1.GetOptions{})
	if err != nil || cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.holder {
		return
	}
	empty := ""
	cur.Spec.HolderIdentity = &empty
	_, _ = leases.Update(ctx, cur, metav1.UpdateOptions{})
}

// Abandon stops renewing without freeing the lease, as a killed process
// would leave it (tests).
func (l *Lock) Abandon() {
	close(l.stop)
	<-l.done
}
