package kubejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Decode decodes a JSON document into the generic form unstructured
// objects hold (map[string]any, []any, string, bool, nil, int64 for integers
// that fit, float64 for other numbers), as k8s.io/apimachinery's
// json.Unmarshal does, in one pass. The dynamic client's decoding parses a
// response three times (validity scan, kind sniffing, decode) and was the
// largest part of a diff's client CPU. Anything unusual (a string with
// escapes or non-ASCII bytes is handed to encoding/json) keeps the standard
// result; a syntax error is returned and callers fall back to the standard
// decoder for its error.
func Decode(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, errJSONSyntax
	}
	return v, nil
}

var errJSONSyntax = errors.New("json: syntax error")

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

type jsonDecoder struct {
	data []byte
	pos  int
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) || depth > maxJSONDepth {
		return nil, errJSONSyntax
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		d.pos++
		m := map[string]any{}
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			return m, nil
		}
		for {
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return nil, errJSONSyntax
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return nil, errJSONSyntax
			}
			d.pos++
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			done, err := d.next('}')
			if err != nil {
				return nil, err
			}
			if done {
				return m, nil
			}
		}
	case c == '[':
		d.pos++
		l := []any{}
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return l, nil
		}
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			done, err := d.next(']')
			if err != nil {
				return nil, err
			}
			if done {
				return l, nil
			}
		}
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, errJSONSyntax
}

// next consumes what follows a member of an object or array: a comma, or
// the closing byte, when done is true.
func (d *jsonDecoder) next(closing byte) (done bool, err error) {
	d.space()
	if d.pos >= len(d.data) {
		return false, errJSONSyntax
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, errJSONSyntax
}

func (d *jsonDecoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return errJSONSyntax
	}
	d.pos += len(word)
	return nil
}

// str decodes the string starting at d.pos (an opening quote).
func (d *jsonDecoder) str() (string, error) {
	start := d.pos
	i := start + 1
	plain := true
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			i++ // skip the escaped byte (an escaped quote must not end the string)
			continue
		}
		if c < 0x20 {
			return "", errJSONSyntax
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
	}
	if i >= len(d.data) {
		return "", errJSONSyntax
	}
	d.pos = i + 1
	if plain {
		return string(d.data[start+1 : i]), nil
	}
	raw := d.data[start+1 : i]
	if utf8.Valid(raw) {
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw), nil
		}
		if s, ok := unescapeSimple(raw); ok {
			return s, nil
		}
	}
	// \u escapes, invalid escapes or invalid UTF-8: encoding/json's rules, exactly.
	var s string
	if err := json.Unmarshal(d.data[start:i+1], &s); err != nil {
		return "", err
	}
	return s, nil
}

// unescapeSimple decodes the body of a valid UTF-8 JSON string whose
// escapes are all one of \" \\ \/ \b \f \n \r \t, as encoding/json does
// (managedFields keys such as "k:{\"type\":\"Ready\"}" are full of them);
// false for anything else, \u escapes included.
func unescapeSimple(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default:
			return "", false
		}
	}
	return string(out), true
}

// number decodes a JSON number: int64 when it is an integer literal that
// fits, else float64 (apimachinery's "preserve ints" rule).
func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	i := start
	if d.data[i] == '-' {
		i++
	}
	if i >= len(d.data) {
		return nil, errJSONSyntax
	}
	switch {
	case d.data[i] == '0':
		i++
	case d.data[i] >= '1' && d.data[i] <= '9':
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
	default:
		return nil, errJSONSyntax
	}
	integer := true
	if i < len(d.data) && d.data[i] == '.' {
		integer = false
		i++
		n := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		if i == n {
			return nil, errJSONSyntax
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		integer = false
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		n := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		if i == n {
			return nil, errJSONSyntax
		}
	}
	d.pos = i
	s := string(d.data[start:i])
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, err
	}
	return f, nil
}
