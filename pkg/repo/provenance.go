package repo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
)

// maxProvSize bounds a provenance file (a few KiB in practice).
const maxProvSize = 1 << 20

// ErrNoProvenance is returned when a repository serves no provenance file
// beside a chart archive.
var ErrNoProvenance = errors.New("no provenance file")

// Provenance fetches the provenance file Helm repositories serve beside an
// archive (ARCHIVE-URL.prov), with the repository's credentials and TLS
// settings. It is never cached: it is small, and a repository may re-sign.
func (c *Client) Provenance(ctx context.Context, res *Resolved) ([]byte, error) {
	e := res.entry
	if e == nil {
		e = &Entry{URL: res.URL}
	}
	target := res.URL + ".prov" // as Helm: after a query string too
	resp, err := c.get(ctx, e, target, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s answered 404 Not Found", ErrNoProvenance, redact(target))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(redact(target), resp)
	}
	return readBody(resp.Body, maxProvSize, "provenance file "+redact(target))
}

// FileName is the archive's file name as the provenance file names it: the
// last element of its URL path.
func (r *Resolved) FileName() string {
	if u, err := url.Parse(r.URL); err == nil && u.Path != "" {
		return path.Base(u.Path)
	}
	return r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version + ".tgz"
}
