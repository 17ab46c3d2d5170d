package render

import (
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
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
	return yaml.Unmarshal([]byte(doc), h)
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
// complex mapping keys. It is deliberately coarse (text inside strings can
// trigger it); a false only costs the slower road.
func plainYAML(doc string) bool {
	if strings.Contains(doc, "<<") || strings.Contains(doc, "]:") || strings.Contains(doc, "}:") {
		return false
	}
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch c {
		case '!', '&', '?', ':':
		case '.':
			if i+3 < len(doc) {
				switch doc[i+1 : i+4] {
				case "nan", "NaN", "NAN", "inf", "Inf", "INF":
					return false
				}
			}
			continue
		case '~', 'n', 'N':
			if tokenStart(doc, i) && nullKey(doc[i:]) {
				return false
			}
			continue
		default:
			continue
		}
		if !tokenStart(doc, i) {
			continue
		}
		switch c {
		case '!', '&':
			return false
		case '?', ':':
			// An explicit key ("? k") or an empty key (": v").
			if i+1 == len(doc) || doc[i+1] == ' ' || doc[i+1] == '\t' || doc[i+1] == '\n' || doc[i+1] == '\r' {
				return false
			}
		}
	}
	return true
}

// tokenStart reports whether doc[i] can begin a YAML token.
func tokenStart(doc string, i int) bool {
	if i == 0 {
		return true
	}
	switch doc[i-1] {
	case ' ', '\t', '\n', '\r', '[', '{', ',', '-':
		return true
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
