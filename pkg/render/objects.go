package render

import (
	"strings"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/object"
)

// ManifestDocument is the text of one manifest document as SplitDocuments
// cuts it out of ManifestText: "# Source: PATH\nCONTENT\n". Manifest.Object
// is the parse of exactly this text, so it is the object a consumer of the
// release manifest gets for this document.
func ManifestDocument(path, content string) string {
	return object.Document(path, content)
}

// parseDocument parses the document text rendered from path whole, as it
// appears in the release manifest (ManifestDocument), and fills h with its
// head. The head comes from that parse when the two texts certainly decode
// alike (sameTree) and the tree yields it exactly (mapHead); otherwise
// ParseHead reads it from text as usual. obj is nil when yamljson cannot
// vouch for the parse (the consumer then parses the document itself), or
// when the manifest's separators would cut that text in more than one
// document (a content or path with a line starting "---"), so that the
// object is always what a consumer of the manifest gets for the document.
func parseDocument(path, text string, h *Head) (obj map[string]any, err error) {
	doc := ManifestDocument(path, text)
	m, ok := yamljson.FastMap([]byte(doc))
	if ok && m != nil && !strings.Contains(doc, "\n---") {
		obj = m
		*h = Head{}
		if sameTree(path, text) && mapHead(m, h) {
			return obj, nil
		}
	}
	return obj, ParseHead(text, h)
}

// sameTree reports that ManifestDocument(path, text) decodes to the same
// tree as text alone whenever it decodes at all. The prefix is a comment
// line: neutral when path holds no line break and text starts with an
// ASCII byte that is not a directive ("%"; an ASCII first byte also rules
// out a byte-order mark and UTF-16 detection). The appended line break is
// neutral when text already ends with one, unless a block scalar keeps its
// trailing line breaks ("|+", ">+", "|2+", ...).
func sameTree(path, text string) bool {
	if text == "" || text[0] >= 0x80 || text[0] == '%' || text[len(text)-1] != '\n' {
		return false
	}
	if strings.ContainsAny(path, "\n\r\u0085\u2028\u2029") {
		return false
	}
	for i := strings.IndexByte(text, '+'); i >= 0; {
		j := i - 1
		if j >= 0 && text[j] >= '1' && text[j] <= '9' {
			j--
		}
		if j >= 0 && (text[j] == '|' || text[j] == '>') {
			return false
		}
		k := strings.IndexByte(text[i+1:], '+')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return true
}
