package release

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxRecordBytes bounds the JSON of one release record, decompressed.
// Anyone who may create Secrets in a namespace can plant a record, and a
// 1 MiB Secret holds a gzip stream of hundreds of megabytes: a record is
// refused before it is decompressed past this limit, and lade refuses to
// write a larger one, so every record lade writes can be read back. Real
// records are far smaller (the largest of the conformance corpus, argo-cd
// with its defaults, is 4.8 MiB of JSON); the chart limits (100 MiB of
// files, base64 in the record) and the default render limit (64 MiB of
// output) keep a record under it too.
const MaxRecordBytes = 256 << 20

// ErrRecordTooLarge matches (errors.Is) a record over MaxRecordBytes.
var ErrRecordTooLarge = errors.New("release record over the size limit")

func recordTooLarge(size string) error {
	return fmt.Errorf("%w: it decompresses to %s, over the %d MiB limit on release records", ErrRecordTooLarge, size, MaxRecordBytes>>20)
}

// gunzipRecord decompresses a gzip'd record of at most MaxRecordBytes. The
// size is known before anything is decompressed: gzip's trailer holds it
// (modulo 4 GiB), and the reader checks it at the end, so a stream that
// yields more than its trailer says is refused as soon as it does.
func gunzipRecord(b []byte) ([]byte, error) {
	if len(b) < 18 {
		return nil, io.ErrUnexpectedEOF
	}
	size := int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if size > MaxRecordBytes {
		return nil, recordTooLarge(fmt.Sprintf("%d MiB", size>>20))
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	zr.Multistream(false)
	out := make([]byte, size+1)
	n, err := io.ReadFull(zr, out)
	switch {
	case err == nil:
		// More than the trailer says: 4 GiB more, or several gzip
		// members (neither Helm nor lade writes those).
		return nil, recordTooLarge("more than its gzip trailer says")
	case errors.Is(err, io.ErrUnexpectedEOF) && int64(n) == size:
		// Read to the end: the reader checked size and checksum.
		return out[:n], nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return nil, fmt.Errorf("gzip stream shorter than its trailer says: %w", io.ErrUnexpectedEOF)
	}
	return nil, err
}

// RecordError is a release Secret whose record cannot be decoded (corrupt,
// or over MaxRecordBytes). `lade list` skips such records with a warning.
type RecordError struct {
	Namespace, Name string // the Secret
	Err             error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("decode release Secret %s/%s: %v", e.Namespace, e.Name, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }
