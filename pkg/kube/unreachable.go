package kube

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"k8s.io/client-go/rest"
)

// UnreachableError is a failure to connect to the API server at all (the
// connection refused, the host unknown, no route): the cluster named by the
// kubeconfig is not there, whatever the request was.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("kubernetes cluster unreachable at %s: %v", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// reachTransport marks connection failures as UnreachableError.
type reachTransport struct {
	next http.RoundTripper
	host string
}

func (t reachTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil && cannotConnect(err) {
		return resp, &UnreachableError{Host: t.host, Err: err}
	}
	return resp, err
}

// cannotConnect reports whether err is a failure to open a connection (dial
// or name lookup), not one on a connection that was made.
func cannotConnect(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// markUnreachable makes the requests of cfg report connection failures as
// UnreachableError.
func markUnreachable(cfg *rest.Config) {
	host := cfg.Host
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return reachTransport{next: rt, host: host} })
}
