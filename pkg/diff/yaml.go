package diff

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// writeYAML prints a JSON-like value (maps, lists, strings, numbers, bools,
// null) as block YAML with sorted keys. It is what the diffs are made of:
// deterministic, one scalar per line, and multi-line strings (config files
// in ConfigMaps) as literal blocks so that they diff line by line. It is a
// few times faster than converting through JSON with sigs.k8s.io/yaml.
func writeYAML(b *strings.Builder, v any, indent int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}\n")
			return
		}
		for i, k := range sortedKeys(x) {
			if i > 0 {
				pad(b, indent)
			}
			b.WriteString(scalarString(k))
			b.WriteByte(':')
			writeValue(b, x[k], indent)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString("[]\n")
			return
		}
		for i, e := range x {
			if i > 0 {
				pad(b, indent)
			}
			b.WriteString("- ")
			writeYAML(b, e, indent+2)
		}
	default:
		b.WriteString(scalar(x, indent))
		b.WriteByte('\n')
	}
}

// writeValue prints the value of a mapping key after "key:".
func writeValue(b *strings.Builder, v any, indent int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteByte('\n')
		pad(b, indent+2)
		writeYAML(b, x, indent+2)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteByte('\n')
		pad(b, indent)
		writeYAML(b, x, indent)
	default:
		b.WriteByte(' ')
		b.WriteString(scalar(x, indent+2))
		b.WriteByte('\n')
	}
}

func pad(b *strings.Builder, n int) {
	for range n {
		b.WriteByte(' ')
	}
}

func scalar(v any, indent int) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		if block, ok := literalBlock(x, indent); ok {
			return block
		}
		return scalarString(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	}
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(j)
}

// literalBlock prints a multi-line string as "|" (or "|-" without a final
// newline) followed by its lines, when that form is unambiguous.
func literalBlock(s string, indent int) (string, bool) {
	if !strings.Contains(s, "\n") || strings.ContainsAny(s, "\r\t") || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") {
		return "", false
	}
	body := s
	head := "|"
	switch {
	case strings.HasSuffix(s, "\n\n"):
		return "", false
	case strings.HasSuffix(s, "\n"):
		body = strings.TrimSuffix(s, "\n")
	default:
		head = "|-"
	}
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimRight(l, " ") != l || !printable(l) {
			return "", false
		}
	}
	var b strings.Builder
	b.WriteString(head)
	for _, l := range strings.Split(body, "\n") {
		b.WriteByte('\n')
		if l != "" {
			pad(&b, indent)
			b.WriteString(l)
		}
	}
	return b.String(), true
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\ufeff' {
			return false
		}
	}
	return true
}

var (
	plainSafe  = regexp.MustCompile(`^[A-Za-z0-9_./(=+$^;-][A-Za-z0-9_./()=+$^<>~;:@ -]*$`)
	needsQuote = regexp.MustCompile(`^(?i:y|yes|n|no|true|false|on|off|null|~|[-+]?(\.inf|\.nan)|[-+]?[0-9][0-9A-Za-z_.:+-]*|[-+]?\.[0-9].*)$`)
)

// scalarString prints a string plainly when YAML would read it back as the
// same string, else single-quoted (or double-quoted with escapes).
func scalarString(s string) string {
	if s != "" && plainSafe.MatchString(s) && !needsQuote.MatchString(s) && !strings.HasSuffix(s, " ") &&
		!strings.HasSuffix(s, ":") && !strings.Contains(s, ": ") && !strings.HasPrefix(s, "- ") && s != "-" {
		return s
	}
	if printable(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return strconv.Quote(s)
}
