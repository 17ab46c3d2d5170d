package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Login checks username and password against the registry at host (HOST or
// HOST:PORT) and stores them as Docker does: in the credentials file, or in
// the credential helper or credsStore it configures.
func (c *Client) Login(ctx context.Context, host, username, password string) error {
	host = loginHost(host)
	if username == "" || password == "" {
		return errors.New("login needs a username and a password")
	}
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return fmt.Errorf("invalid registry host %q: %w", host, err)
	}
	reg.PlainHTTP = c.opts.PlainHTTP
	client := *c.auth
	client.Cache = auth.NewCache()
	reg.Client = &client
	cred := auth.Credential{Username: username, Password: password}
	if err := credentials.Login(ctx, c.store, reg, cred); err != nil {
		var ke *kindError
		if e := explain(errors.Unwrap(err), "login to "+host, host); errors.As(e, &ke) {
			if errors.Is(e, ErrUnauthorized) {
				return newKindError(ErrUnauthorized, err, "login to %s failed: the registry refused username %q and this password", host, username)
			}
			return e
		}
		return fmt.Errorf("login to %s: %w", host, err)
	}
	fmt.Fprintln(c.out, "Login Succeeded")
	return nil
}

// Logout removes the stored credentials of host.
func (c *Client) Logout(ctx context.Context, host string) error {
	host = loginHost(host)
	if cred, err := c.store.Get(ctx, credentials.ServerAddressFromRegistry(host)); err == nil && cred == auth.EmptyCredential {
		return fmt.Errorf("not logged in to %s", host)
	}
	if err := credentials.Logout(ctx, c.store, host); err != nil {
		return fmt.Errorf("logout from %s: %w", host, err)
	}
	fmt.Fprintf(c.out, "Removing login credentials for %s\n", host)
	return nil
}

// loginHost accepts oci://HOST and HOST/PATH (as Helm warns, only the host counts).
func loginHost(host string) string {
	host = strings.TrimPrefix(host, schemePrefix)
	host, _, _ = strings.Cut(host, "/")
	return host
}
