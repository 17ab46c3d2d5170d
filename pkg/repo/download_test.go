package repo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// An index streamed without Content-Length is cut off at the size limit:
// the client reads at most the limit plus one byte and writes nothing.
func TestStreamedIndexIsBounded(t *testing.T) {
	var sent int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := w.Write([]byte("apiVersion: v1\nentries: {}\n"))
		sent += int64(n)
		line := []byte("# " + strings.Repeat("x", 1000) + "\n")
		for sent < 64<<20 {
			n, err := w.Write(line)
			sent += int64(n)
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	c := NewClient(Options{Paths: Paths{Config: cache + "/repositories.yaml", Cache: cache}, MaxIndexSize: 1 << 20})
	_, err := c.DownloadIndex(context.Background(), &Entry{Name: "stream", URL: srv.URL}, false)
	if !errors.Is(err, ErrIndexTooLarge) {
		t.Fatalf("got %v, want ErrIndexTooLarge", err)
	}
	if files, _ := os.ReadDir(cache); len(files) != 0 {
		t.Errorf("files written: %v", files)
	}
}
