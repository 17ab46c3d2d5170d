package release

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A record over MaxRecordBytes is refused from its gzip trailer, before
// anything is decompressed; one whose stream holds more than the trailer
// says is refused as soon as it does; records within the limit decode.
func TestRecordSizeLimit(t *testing.T) {
	ok := []byte(`{"name":"web","version":3,"manifest":"` + strings.Repeat("a", 100000) + `"}`)
	r, err := Decode(base64.StdEncoding.EncodeToString(gz(t, ok)))
	if err != nil || r.Name != "web" || r.Version != 3 || len(r.Manifest) != 100000 {
		t.Fatalf("record within the limit: %v", err)
	}

	claims := gz(t, ok)
	binary.LittleEndian.PutUint32(claims[len(claims)-4:], 300<<20)
	_, err = Decode(base64.StdEncoding.EncodeToString(claims))
	if !errors.Is(err, ErrRecordTooLarge) || !strings.Contains(err.Error(), "it decompresses to 300 MiB, over the 256 MiB limit on release records") {
		t.Fatalf("trailer over the limit: %v", err)
	}

	lies := gz(t, ok)
	binary.LittleEndian.PutUint32(lies[len(lies)-4:], 1000)
	if _, err = Decode(base64.StdEncoding.EncodeToString(lies)); !errors.Is(err, ErrRecordTooLarge) || !strings.Contains(err.Error(), "more than its gzip trailer says") {
		t.Fatalf("stream longer than its trailer: %v", err)
	}

	short := gz(t, ok)
	binary.LittleEndian.PutUint32(short[len(short)-4:], uint32(len(ok)+10))
	if _, err = Decode(base64.StdEncoding.EncodeToString(short)); err == nil || errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("stream shorter than its trailer: %v", err)
	}

	// Plain JSON (Helm reads it too) is not decompressed, so not limited here.
	if r, err := Decode(base64.StdEncoding.EncodeToString(ok)); err != nil || r.Name != "web" {
		t.Fatalf("plain JSON record: %v", err)
	}
}
