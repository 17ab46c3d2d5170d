package render

import (
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/yamljson"
)

// ParseHead reads the head of one rendered document exactly as Helm does
// (sigs.k8s.io/yaml into the head struct: YAML to a generic tree, to JSON, to
// the struct). Most documents take a shorter road with the same result: the
// same YAML parser decodes only apiVersion, kind and metadata and skips the
// rest, and whatever could make Helm's road end differently sends the
// document down Helm's road instead.
func ParseHead(doc string, h *Head) error {
	*h = Head{}
	if fastHead(doc, h) {
		return nil
	}
	*h = Head{}
	if treeHead(doc, h) {
		return nil
	}
	*h = Head{}
	return yaml.Unmarshal([]byte(doc), h)
}

// treeHead is the middle road for documents plainYAML cannot vouch for: the
// whole document is decoded and converted to JSON's types exactly as
// sigs.k8s.io/yaml would (internal/yamljson), then the head is read from
// that tree; only the JSON text round trip is skipped.
func treeHead(doc string, h *Head) bool {
	m, ok := yamljson.FastMap([]byte(doc))
	if !ok || m == nil {
		return false
	}
	return mapHead(m, h)
}

// mapHead reads the head from a document decoded by yamljson.FastMap, as
// sigs.k8s.io/yaml would decode that tree into a Head; false when it
// cannot be sure.
func mapHead(m map[string]any, h *Head) bool {
	var ok bool
	for k := range m {
		if k != "apiVersion" && k != "kind" && k != "metadata" && (strings.EqualFold(k, "apiVersion") || strings.EqualFold(k, "kind") || strings.EqualFold(k, "metadata")) {
			return false
		}
	}
	if h.APIVersion, ok = jsonString(m["apiVersion"]); !ok {
		return false
	}
	if h.Kind, ok = jsonString(m["kind"]); !ok {
		return false
	}
	switch md := m["metadata"].(type) {
	case nil:
	case map[string]any:
		h.Metadata = &struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		}{}
		for k := range md {
			if k != "name" && k != "annotations" && (strings.EqualFold(k, "name") || strings.EqualFold(k, "annotations")) {
				return false
			}
		}
		if h.Metadata.Name, ok = jsonString(md["name"]); !ok {
			return false
		}
		switch ann := md["annotations"].(type) {
		case nil:
		case map[string]any:
			h.Metadata.Annotations = make(map[string]string, len(ann))
			for k, v := range ann {
				s, isString := v.(string)
				if !isString {
					return false
				}
				h.Metadata.Annotations[k] = s
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// jsonString reads a JSON-typed value into a string field: strings and null
// only (numbers are coerced by sigs.k8s.io/yaml; left to it).
func jsonString(v any) (string, bool) {
	switch s := v.(type) {
	case nil:
		return "", true
	case string:
		return s, true
	}
	return "", false
}

// skipValue is a YAML value that is parsed but not decoded.
type skipValue struct{}

func (*skipValue) UnmarshalYAML(func(any) error) error { return nil }

// headDoc is the top level of a document: the three keys the sorter reads,
// every other key (to check for case variants) with its value skipped.
type headDoc struct {
	APIVersion any                  `yaml:"apiVersion"`
	Kind       any                  `yaml:"kind"`
	Metadata   any                  `yaml:"metadata"`
	Rest       map[string]skipValue `yaml:",inline"`
}

// fastHead fills h and reports true when it is certain that Helm's parse
// succeeds with the same head; false means "ask Helm's road".
func fastHead(doc string, h *Head) bool {
	if !plainYAML(doc) {
		return false
	}
	var d headDoc
	if err := yamlv2.Unmarshal([]byte(doc), &d); err != nil {
		return false
	}
	// encoding/json matches field names case-insensitively: a "Kind" key
	// would count, so leave such documents to the exact road.
	for k := range d.Rest {
		if strings.EqualFold(k, "apiVersion") || strings.EqualFold(k, "kind") || strings.EqualFold(k, "metadata") {
			return false
		}
	}
	var ok bool
	if h.APIVersion, ok = scalarString(d.APIVersion); !ok {
		return false
	}
	if h.Kind, ok = scalarString(d.Kind); !ok {
		return false
	}
	switch m := d.Metadata.(type) {
	case nil:
	case map[any]any:
		h.Metadata = &struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		}{}
		for k, v := range m {
			key, isString := k.(string)
			if !isString {
				return false
			}
			switch key {
			case "name":
				if h.Metadata.Name, ok = scalarString(v); !ok {
					return false
				}
			case "annotations":
				if !fastAnnotations(v, &h.Metadata.Annotations) {
					return false
				}
			default:
				if strings.EqualFold(key, "name") || strings.EqualFold(key, "annotations") {
					return false
				}
			}
		}
	default:
		return false
	}
	return true
}

func fastAnnotations(v any, into *map[string]string) bool {
	switch m := v.(type) {
	case nil:
		return true
	case map[any]any:
		out := make(map[string]string, len(m))
		for k, v := range m {
			key, isString := k.(string)
			if !isString || v == nil {
				return false
			}
			s, ok := scalarString(v)
			if !ok {
				return false
			}
			out[key] = s
		}
		*into = out
		return true
	}
	return false
}

// scalarString converts a decoded scalar the way sigs.k8s.io/yaml does for a
// string target: strings as they are, null as empty, integers in decimal.
// Anything else is left to the exact road.
func scalarString(v any) (string, bool) {
	switch s := v.(type) {
	case nil:
		return "", true
	case string:
		return s, true
	case int:
		return strconv.Itoa(s), true
	}
	return "", false
}

// plainYAML reports that a document uses none of the YAML features that can
// make the generic decode or the JSON conversion of parts fastHead skips
// fail: tags, anchors and merge keys, NaN and infinities, and null, empty or
// complex mapping keys. It looks for them where a YAML node can start (first
// on a line, after "key: ", "- " or "? ", and inside flow collections after
// "[", "{" or ","), so text inside scalars such as CEL rules ("a && !b ? 1 :
// 0") rarely trips it; a false only costs the slower road.
func plainYAML(doc string) bool {
	if strings.Contains(doc, "<<") || flowKey(doc) {
		return false
	}
	// Lines are cut at "\n"; YAML also breaks lines at a lone "\r" and at
	// NEL, LS and PS.
	if loneCR(doc) || strings.Contains(doc, "\u0085") || strings.Contains(doc, "\u2028") || strings.Contains(doc, "\u2029") {
		return false
	}
	// Flow mappings are rare in manifests and have odd corners (empty
	// entries, implicit null keys): leave them to the exact road.
	flow, flowMap := flowCollections(doc)
	if flowMap {
		return false
	}
	// Each candidate byte is first checked for its own pattern (cheap), and
	// only then for whether a node can start there.
	lineStart := 0
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c == '\n' {
			lineStart = i + 1
			continue
		}
		if !gateBytes[c] {
			continue
		}
		line, j := doc[lineStart:], i-lineStart
		switch c {
		case '!', '&':
			if nodeStart(line, j, flow) {
				return false
			}
		case '?', ':':
			// An explicit key ("? k") or an empty key (": v").
			if (flow || i+1 == len(doc) || blankOrBreak(doc[i+1])) && nodeStart(line, j, flow) {
				return false
			}
		case '.':
			if i+3 < len(doc) {
				switch doc[i+1 : i+4] {
				case "nan", "NaN", "NAN", "inf", "Inf", "INF":
					start := j
					if j > 0 && (line[j-1] == '+' || line[j-1] == '-') {
						start = j - 1
					}
					if nodeStart(line, start, flow) {
						return false
					}
				}
			}
		case '~', 'n', 'N':
			if nullKey(doc[i:]) && nodeStart(line, j, flow) {
				return false
			}
		default:
			// Integers above int64 decode as uint64, which JSON
			// conversion refuses as a map key.
			if nodeStart(line, j, flow) && longNumber(doc[i:]) {
				return false
			}
		}
	}
	return true
}

// gateBytes are the bytes plainYAML looks at.
var gateBytes = func() (t [256]bool) {
	for _, c := range []byte("!&?:.~nN0123456789") {
		t[c] = true
	}
	return t
}()

func blankOrBreak(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// nodeStart reports whether line[i] is where a YAML node can begin: first
// on the line, or after the indicators ": ", "- " and "? " (themselves at
// node starts), or after "[", "{" and "," when the document has flow
// collections.
func nodeStart(line string, i int, flow bool) bool {
	j := i - 1
	for j >= 0 && (line[j] == ' ' || line[j] == '\t') {
		j--
	}
	if j < 0 {
		return true
	}
	switch line[j] {
	case '[', '{', ',':
		return flow
	case ':':
		// In flow collections a value may follow a quoted key's ":" directly.
		return j < i-1 || flow
	case '-', '?':
		return j < i-1 && nodeStart(line, j, flow)
	}
	return false
}

// flowCollections reports whether a "[" or "{" that is not immediately
// closed ("[]", "{}") starts a node somewhere in doc, and whether one of
// them is a mapping.
func flowCollections(doc string) (any, mapping bool) {
	for i := 0; ; i++ {
		k := strings.IndexAny(doc[i:], "[{")
		if k < 0 {
			return any, false
		}
		i += k
		lineStart := strings.LastIndexByte(doc[:i], '\n') + 1
		line := doc[lineStart:]
		if end := strings.IndexByte(line, '\n'); end >= 0 {
			line = line[:end+1]
		}
		if !nodeStart(line, i-lineStart, false) {
			continue
		}
		rest := strings.TrimLeft(doc[i+1:], " \t")
		if !strings.HasPrefix(rest, "]") && !strings.HasPrefix(rest, "}") {
			any = true
			if doc[i] == '{' {
				return true, true
			}
		}
	}
}

// longNumber reports whether s starts with a mapping key that is a
// number-like token of 18 characters or more (2^63 needs 19 digits, or "0x"
// and 16 hex digits): such a key may decode as uint64, which the JSON
// conversion refuses (as a value it is fine).
func longNumber(s string) bool {
	n := 0
	for n < len(s) {
		c := s[n]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == '+' || c == '-') {
			break
		}
		n++
	}
	if n < 18 {
		return false
	}
	rest := strings.TrimLeft(s[n:], " \t")
	return strings.HasPrefix(rest, ":")
}

// loneCR reports whether doc has a "\r" that is not part of "\r\n".
func loneCR(doc string) bool {
	for i := strings.IndexByte(doc, '\r'); i >= 0; {
		if i+1 == len(doc) || doc[i+1] != '\n' {
			return true
		}
		j := strings.IndexByte(doc[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// flowKey reports whether a "]" or "}" is followed by ":" (blanks between
// allowed): a flow collection used as a mapping key.
func flowKey(doc string) bool {
	for i := 0; i < len(doc); i++ {
		if doc[i] != ']' && doc[i] != '}' {
			continue
		}
		j := i + 1
		for j < len(doc) && (doc[j] == ' ' || doc[j] == '\t') {
			j++
		}
		if j < len(doc) && doc[j] == ':' {
			return true
		}
	}
	return false
}

// nullKey reports whether s starts with a null scalar used as a mapping key.
func nullKey(s string) bool {
	for _, n := range []string{"~", "null", "Null", "NULL"} {
		if rest, ok := strings.CutPrefix(s, n); ok {
			rest = strings.TrimLeft(rest, " \t")
			if strings.HasPrefix(rest, ":") {
				return true
			}
		}
	}
	return false
}
