package diff

import (
	"encoding/json"
	"fmt"
	"math"
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

// scalarString prints a string plainly when YAML would read it back as the
// same string, else single-quoted (or double-quoted with escapes).
func scalarString(s string) string {
	if s != "" && plainSafe(s) && !needsQuote(s) && !strings.HasSuffix(s, " ") &&
		!strings.HasSuffix(s, ":") && !strings.Contains(s, ": ") && !strings.HasPrefix(s, "- ") && s != "-" {
		return s
	}
	if printable(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return strconv.Quote(s)
}

// plainFirst and plainRest are the bytes a plain scalar may start with and
// continue with (ASCII only).
var plainFirst, plainRest [256]bool

func init() {
	alnum := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for _, c := range alnum + "_./(=+$^;-" {
		plainFirst[c] = true
	}
	for _, c := range alnum + "_./()=+$^<>~;:@ -" {
		plainRest[c] = true
	}
}

// plainSafe reports whether s holds only characters that never need
// quoting in a plain scalar (it was the regexp
// ^[A-Za-z0-9_./(=+$^;-][A-Za-z0-9_./()=+$^<>~;:@ -]*$; the regexps were
// a third of the diff's printing time).
func plainSafe(s string) bool {
	if s == "" || !plainFirst[s[0]] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !plainRest[s[i]] {
			return false
		}
	}
	return true
}

// needsQuote reports whether YAML would read the plain string s as
// something else: a bool, null, a number, infinity or NaN, or a date or
// other digit-led token (it was the regexp
// ^(?i:y|yes|n|no|true|false|on|off|null|~|[-+]?(\.inf|\.nan)|[-+]?[0-9][0-9A-Za-z_.:+-]*|[-+]?\.[0-9].*)$,
// which callers evaluate only for strings plainSafe accepts: ASCII).
func needsQuote(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~":
		return true
	}
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	if t == "" {
		return false
	}
	if l := strings.ToLower(t); l == ".inf" || l == ".nan" {
		return true
	}
	if t[0] >= '0' && t[0] <= '9' {
		for i := 1; i < len(t); i++ {
			c := t[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("_.:+-", c) >= 0) {
				return false
			}
		}
		return true
	}
	return len(t) >= 2 && t[0] == '.' && t[1] >= '0' && t[1] <= '9' && !strings.Contains(t, "\n")
}
