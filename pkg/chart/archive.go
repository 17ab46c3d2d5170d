package chart

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// drivePath is Helm's check for names like "c:/x" that survive path cleaning.
var drivePath = regexp.MustCompile(`^[a-zA-Z]:/`)

// yamlKeyLine matches a line that opens a YAML mapping ("key:" or "key: v").
var yamlKeyLine = regexp.MustCompile(`^["']?[A-Za-z0-9_.$-][^:]*["']?:(\s|$)`)

// checkGzip peeks at the stream and explains what it is when it is not gzip.
// name (possibly empty) is used only to recognize a .yaml/.yml file name.
// The returned error reads well after "file X " or "stream ".
func checkGzip(br *bufio.Reader, name string) error {
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("cannot be read: %w", err)
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b, 0x08}) {
		return nil
	}
	switch {
	case len(head) == 0:
		return errors.New("is not a gzip archive (it is empty)")
	case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || looksLikeYAML(head):
		return errors.New("is not a gzip archive (it looks like YAML: did you mean a chart directory or values file?)")
	}
	return errors.New("is not a gzip archive")
}

// looksLikeYAML guesses from the first bytes whether data is a YAML text:
// valid UTF-8 without NULs whose first meaningful line is a document
// marker, a list item or a mapping key.
func looksLikeYAML(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	lines := strings.Split(string(head), "\n")
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut short
	}
	for _, line := range lines {
		if !utf8.ValidString(line) {
			return false
		}
		line = strings.TrimRight(line, " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return line == "---" || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "- ") ||
			yamlKeyLine.MatchString(line)
	}
	return false
}

// budgetReader counts decompressed archive bytes against the load's budget.
type budgetReader struct {
	r    io.Reader
	left *int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if *b.left <= 0 {
		return 0, fmt.Errorf("decompressed chart archive is larger than the maximum size %d", maxArchiveStream)
	}
	if int64(len(p)) > *b.left {
		p = p[:*b.left]
	}
	n, err := b.r.Read(p)
	*b.left -= int64(n)
	return n, err
}

// readArchive reads the files of a gzipped tar chart archive into memory,
// checking every entry before keeping it. Like Helm it drops the first path
// element (the chart directory) of each name, skips directories, and
// strips a UTF-8 BOM from the start of every file.
func (l *loader) readArchive(r io.Reader) ([]*BufferedFile, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, gzip.ErrHeader) {
			return nil, errors.New("not a gzip archive")
		}
		return nil, fmt.Errorf("read chart archive: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(&budgetReader{r: zr, left: &l.streamLeft})

	var files []*BufferedFile
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read chart archive: %w", err)
		}
		if hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader {
			continue
		}
		if err := checkEntryName(hd.Name); err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		fi := hd.FileInfo()
		if fi.IsDir() {
			continue
		}
		n, err := chartRelativeName(hd.Name)
		if err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		if err := checkEntryType(hd, fi.Mode(), n); err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		data, err := l.readEntry(tr, hd.Size)
		if err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		files = append(files, &BufferedFile{Name: n, ModTime: hd.ModTime, Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	if len(files) == 0 {
		return nil, errors.New("no files in chart archive")
	}
	return files, nil
}

// checkEntryName rejects raw entry names that are absolute, start with a
// drive letter or contain a ".." element, with "/" or "\" as separators.
func checkEntryName(name string) error {
	switch {
	case hasDriveLetter(name):
		return errors.New("chart contains illegally named files (Windows drive letter)")
	case isAbsName(name):
		return errors.New("chart illegally contains absolute paths")
	case hasDotDot(name):
		return errors.New("chart illegally references parent directory")
	}
	return nil
}

// chartRelativeName turns an entry name into a chart file name with Helm's
// rules: "\" is the separator if present, the first element is dropped, and
// the rest is cleaned and checked.
func chartRelativeName(name string) (string, error) {
	sep := "/"
	if strings.Contains(name, `\`) {
		sep = `\`
	}
	parts := strings.Split(name, sep)
	n := strings.ReplaceAll(strings.Join(parts[1:], sep), sep, "/")
	if path.IsAbs(n) {
		return "", errors.New("chart illegally contains absolute paths")
	}
	n = path.Clean(n)
	switch {
	case n == ".":
		return "", errors.New("chart illegally contains content outside the base directory")
	case strings.HasPrefix(n, ".."):
		return "", errors.New("chart illegally references parent directory")
	case drivePath.MatchString(n):
		return "", errors.New("chart contains illegally named files")
	case parts[0] == "Chart.yaml":
		return "", errors.New("chart yaml not in base directory")
	}
	return n, nil
}

// checkEntryType rejects devices, fifos and sockets, and links whose target
// leaves the chart. Links inside the chart load as empty files, as in Helm.
func checkEntryType(hd *tar.Header, mode os.FileMode, n string) error {
	switch {
	case hd.Typeflag == tar.TypeChar || hd.Typeflag == tar.TypeBlock || mode&os.ModeDevice != 0:
		return errors.New("devices are not allowed in a chart")
	case hd.Typeflag == tar.TypeFifo || mode&os.ModeNamedPipe != 0:
		return errors.New("named pipes (fifos) are not allowed in a chart")
	case mode&os.ModeSocket != 0:
		return errors.New("sockets are not allowed in a chart")
	case hd.Typeflag == tar.TypeSymlink || mode&os.ModeSymlink != 0:
		target := hd.Linkname
		if isAbsName(target) || hasDotDot(path.Join(path.Dir(n), strings.ReplaceAll(target, `\`, "/"))) {
			return fmt.Errorf("symlink target %q leaves the chart", target)
		}
	case hd.Typeflag == tar.TypeLink:
		if err := checkEntryName(hd.Linkname); err != nil {
			return fmt.Errorf("hard link target %q: %w", hd.Linkname, err)
		}
	}
	return nil
}

// readEntry reads one file's data within the per-file and total limits.
func (l *loader) readEntry(r io.Reader, claimed int64) ([]byte, error) {
	if claimed > MaxFileSize {
		return nil, fmt.Errorf("file is larger than the maximum size %d", MaxFileSize)
	}
	return l.readLimited(r, claimed)
}

// readLimited reads r to its end unless that exceeds MaxFileSize or what is
// left of MaxChartSize, counting the bytes really read. size is the size r
// claims to have, a hint for the buffer only (a lie costs reallocations).
func (l *loader) readLimited(r io.Reader, size int64) ([]byte, error) {
	limit := min(MaxFileSize, l.dataLeft)
	// One allocation when size is right: room for it and the byte past
	// it that shows the end (as os.ReadFile does).
	data := make([]byte, 0, min(max(size, 0), limit)+1)
	lr := io.LimitReader(r, limit+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	size = int64(len(data))
	if size > MaxFileSize {
		return nil, fmt.Errorf("file is larger than the maximum size %d", MaxFileSize)
	}
	if size > l.dataLeft {
		return nil, fmt.Errorf("decompressed chart is larger than the maximum size %d", MaxChartSize)
	}
	l.dataLeft -= size
	return data, nil
}
