package registry

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Errors a caller can test with errors.Is.
var (
	// ErrUnauthorized: the registry answered 401 or 403.
	ErrUnauthorized = errors.New("not authorized")
	// ErrNotFound: the repository, tag, version or digest does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDigestMismatch: content does not match the digest that names it.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrUnreachable: no HTTP exchange with the registry was possible.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotChart: the artifact is not a Helm chart.
	ErrNotChart = errors.New("not a Helm chart")
	// ErrInvalidChart: the chart archive fails the chart loader's rules.
	ErrInvalidChart = errors.New("invalid chart archive")
)

// kindError carries a sentinel for errors.Is and a message for people.
type kindError struct {
	kind error
	msg  string
	err  error // the underlying error, if any
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Is(target error) bool { return target == e.kind }

func (e *kindError) Unwrap() error { return e.err }

func newKindError(kind, cause error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...), err: cause}
}

// explain turns a transport or registry error of an operation on host into
// one that says what happened and what to do.
func explain(err error, op, host string) error {
	if err == nil {
		return nil
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return err
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return newKindError(ErrUnauthorized, err,
				"%s: %s answered 401 Unauthorized: the credentials for %s are missing or wrong; run `lade registry login %s` (or pass --username and --password)",
				op, host, host, host)
		case http.StatusForbidden:
			return newKindError(ErrUnauthorized, err,
				"%s: %s answered 403 Forbidden: the account logged in to %s may not do this; run `lade registry login %s` with an account that may",
				op, host, host, host)
		case http.StatusNotFound:
			return newKindError(ErrNotFound, err, "%s: not found on %s: %s", op, host, registryErrorText(resp))
		case http.StatusBadRequest:
			if len(resp.Errors) == 0 && resp.URL != nil && resp.URL.Scheme == "http" {
				return newKindError(ErrUnreachable, err, "%s: registry %s answered 400 Bad Request to plain HTTP: it probably wants HTTPS (drop --plain-http)", op, host)
			}
		}
		return fmt.Errorf("%s: registry %s answered %d %s: %s", op, host, resp.StatusCode, http.StatusText(resp.StatusCode), registryErrorText(resp))
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return newKindError(ErrUnauthorized, err,
			"%s: %s answered 401 Unauthorized: the credentials for %s are missing or wrong; run `lade registry login %s` (or pass --username and --password)",
			op, host, host, host)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return newKindError(ErrNotFound, err, "%s: not found on %s", op, host)
	}
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		return newKindError(ErrUnreachable, err,
			"%s: cannot verify the TLS certificate of %s: %v (pass the registry's CA with --ca-file, or --insecure-skip-tls-verify)",
			op, host, innermost(err))
	}
	if msg := err.Error(); strings.Contains(msg, "tls: certificate required") || strings.Contains(msg, "tls: bad certificate") ||
		strings.Contains(msg, "tls: unknown certificate authority") {
		return newKindError(ErrUnauthorized, err,
			"%s: registry %s refused the TLS client certificate (%v): pass one it trusts with --cert-file and --key-file", op, host, innermost(err))
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return newKindError(ErrUnreachable, err,
			"%s: registry %s speaks plain HTTP, not HTTPS: use --plain-http", op, host)
	}
	if strings.Contains(err.Error(), "malformed HTTP response") {
		return newKindError(ErrUnreachable, err,
			"%s: registry %s does not answer plain HTTP (it probably wants HTTPS): drop --plain-http", op, host)
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ne) && ne.Timeout()) {
		return newKindError(ErrUnreachable, err, "%s: registry %s is unreachable: %v", op, host, innermost(err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// innermost is the text of the deepest error of a chain (without the long
// "GET https://..." prefixes of url.Error).
func innermost(err error) error {
	for {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return oe
		}
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func registryErrorText(resp *errcode.ErrorResponse) string {
	if len(resp.Errors) == 0 {
		return http.StatusText(resp.StatusCode)
	}
	return resp.Errors.Error()
}
