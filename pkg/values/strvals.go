package values

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIndex is the largest list index a --set style expression may use (Helm's strvals.MaxIndex).
const MaxIndex = 65536

// MaxNestedNameLevel is the deepest a --set style key may nest with dots (Helm's strvals.MaxNestedNameLevel).
const MaxNestedNameLevel = 30

// errNotList reports that a value does not start with '{'.
var errNotList = errors.New("not a list")

// setMode selects how a --set style expression turns value text into a value.
type setMode int

const (
	modeSet     setMode = iota // --set: typed scalars
	modeString                 // --set-string: always strings
	modeJSON                   // --set-json: values are JSON documents
	modeFile                   // --set-file: values name files to read
	modeLiteral                // --set-literal: the rest of the text is one string
)

// ParseSet parses one --set expression (key1=val1,key2=val2 with Helm's list,
// escape and typing rules) and merges the result into dest.
func ParseSet(s string, dest map[string]any) error {
	return parseStrvals(s, dest, modeSet, nil)
}

// parseStrvals runs the strvals parser of the given mode over s into dest.
// readFile is used by modeFile only.
func parseStrvals(s string, dest map[string]any, mode setMode, readFile func(string) (any, error)) error {
	p := &setParser{sc: &scanner{s: s}, data: dest, mode: mode, readFile: readFile}
	return p.parse()
}

// scanner reads runes from a string and can hand out the unread rest, which
// the JSON mode needs to decode a value in place.
type scanner struct {
	s        string
	pos      int
	lastSize int
}

// readRune returns the next rune, or io.EOF at the end.
func (sc *scanner) readRune() (rune, error) {
	if sc.pos >= len(sc.s) {
		sc.lastSize = 0
		return 0, io.EOF
	}
	r, size := utf8.DecodeRuneInString(sc.s[sc.pos:])
	sc.pos += size
	sc.lastSize = size
	return r, nil
}

// unreadRune steps back over the rune just read.
func (sc *scanner) unreadRune() {
	sc.pos -= sc.lastSize
	sc.lastSize = 0
}

// rest is the text not read yet.
func (sc *scanner) rest() string { return sc.s[sc.pos:] }

// skip consumes n bytes.
func (sc *scanner) skip(n int64) {
	sc.pos += int(n)
	sc.lastSize = 0
}

// until reads runes up to (and consuming) the first one in stop and returns
// what came before it and the stop rune. A backslash escapes the next rune
// unless literal is set. At the end of input it returns io.EOF with what it read.
func (sc *scanner) until(stop string, literal bool) ([]rune, rune, error) {
	v := []rune{}
	for {
		r, err := sc.readRune()
		switch {
		case err != nil:
			return v, r, err
		case strings.ContainsRune(stop, r):
			return v, r, nil
		case r == '\\' && !literal:
			next, err := sc.readRune()
			if err != nil {
				return v, next, err
			}
			v = append(v, next)
		default:
			v = append(v, r)
		}
	}
}

// setParser is the --set/--set-string/--set-json/--set-file parser. It
// follows Helm's strvals parser step by step, including which errors end
// parsing silently (any error wrapping io.EOF).
type setParser struct {
	sc       *scanner
	data     map[string]any
	mode     setMode
	readFile func(string) (any, error)
}

func (p *setParser) parse() error {
	for {
		err := p.key(p.data, 0)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
}

// value converts the text of one value according to the parser's mode.
func (p *setParser) value(rs []rune) (any, error) {
	switch p.mode {
	case modeString:
		return string(rs), nil
	case modeFile:
		return p.readFile(string(rs))
	default:
		return typedVal(string(rs)), nil
	}
}

// conversionError is the message of the panic Helm's parser recovers from
// when an existing value has the wrong type for the expression.
func conversionError(have any, want string) error {
	name := "nil"
	if have != nil {
		name = fmt.Sprintf("%T", have)
	}
	return fmt.Errorf("unable to parse key: interface conversion: interface {} is %s, not %s", name, want)
}

const (
	mapTypeName  = "map[string]interface {}"
	listTypeName = "[]interface {}"
)

func (p *setParser) key(data map[string]any, level int) error {
	literal := p.mode == modeLiteral
	stop := "=[,."
	if literal {
		stop = "=[."
	}
	k, last, err := p.sc.until(stop, literal)
	switch {
	case err != nil:
		if len(k) == 0 {
			return err
		}
		return fmt.Errorf("key %q has no value", string(k))
	case last == '[':
		i, err := p.index()
		if err != nil {
			return fmt.Errorf("error parsing index: %w", err)
		}
		name := string(k)
		list := []any{}
		if cur, ok := data[name]; ok {
			l, ok := cur.([]any)
			if !ok {
				return conversionError(cur, listTypeName)
			}
			list = l
		}
		list, err = p.listItem(list, i, level)
		var conv conversionErr
		if errors.As(err, &conv) {
			// Helm panics here and recovers in this very function, before
			// storing the list.
			return conv.error
		}
		setKey(data, name, list)
		return err
	case last == '=':
		if literal {
			rs, _, _ := p.sc.until("", true)
			setKey(data, string(k), string(rs))
			return nil
		}
		if p.mode == modeJSON {
			v, done, err := p.jsonValue()
			if err != nil {
				return err
			}
			setKey(data, string(k), v)
			if done {
				return nil
			}
			_, err = p.emptyVal()
			return err
		}
		vl, err := p.valList()
		switch {
		case err == nil:
			setKey(data, string(k), vl)
			return nil
		case errors.Is(err, io.EOF):
			setKey(data, string(k), "")
			return err
		case errors.Is(err, errNotList):
			rs, err := p.val()
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			v, err := p.value(rs)
			setKey(data, string(k), v)
			return err
		default:
			return err
		}
	case last == ',':
		setKey(data, string(k), "")
		return fmt.Errorf("key %q has no value (cannot end with ,)", string(k))
	default: // '.'
		level++
		if level > MaxNestedNameLevel {
			return fmt.Errorf("value name nested level is greater than maximum supported nested level of %d", MaxNestedNameLevel)
		}
		name := string(k)
		inner := map[string]any{}
		if cur, ok := data[name]; ok {
			m, ok := cur.(map[string]any)
			if !ok {
				return conversionError(cur, mapTypeName)
			}
			inner = m
		}
		err := p.key(inner, level)
		if err == nil && len(inner) == 0 {
			return fmt.Errorf("key map %q has no value", name)
		}
		if len(inner) != 0 {
			setKey(data, name, inner)
		}
		return err
	}
}

// conversionErr marks errors that Helm raises as a recovered panic: they
// abort the statement they occur in without its pending assignments.
type conversionErr struct{ error }

func (e conversionErr) Unwrap() error { return e.error }

// jsonValue decodes the JSON value after '=' in --set-json. done reports that
// the value was empty (and so null) and its separator is already consumed.
func (p *setParser) jsonValue() (v any, done bool, err error) {
	empty, err := p.emptyVal()
	if err != nil {
		return nil, false, err
	}
	if empty {
		return nil, true, nil
	}
	dec := json.NewDecoder(strings.NewReader(p.sc.rest()))
	if err := dec.Decode(&v); err != nil {
		return nil, false, err
	}
	p.sc.skip(dec.InputOffset())
	return v, false, nil
}

// setKey stores val under key unless key is empty.
func setKey(data map[string]any, key string, val any) {
	if key == "" {
		return
	}
	data[key] = val
}

// setIndex stores val at index, growing list as needed.
func setIndex(list []any, index int, val any) ([]any, error) {
	if index < 0 {
		return list, fmt.Errorf("negative %d index not allowed", index)
	}
	if index > MaxIndex {
		return list, fmt.Errorf("index of %d is greater than maximum supported index of %d", index, MaxIndex)
	}
	if len(list) <= index {
		grown := make([]any, index+1)
		copy(grown, list)
		list = grown
	}
	list[index] = val
	return list, nil
}

// index reads a list index up to ']'.
func (p *setParser) index() (int, error) {
	v, _, err := p.sc.until("]", p.mode == modeLiteral)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

func (p *setParser) listItem(list []any, i, level int) ([]any, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	literal := p.mode == modeLiteral
	k, last, err := p.sc.until("[.=", literal)
	switch {
	case len(k) > 0:
		return list, fmt.Errorf("unexpected data at end of array index: %q", k)
	case err != nil:
		return list, err
	case last == '=':
		if literal {
			rs, _, _ := p.sc.until("", true)
			return setIndex(list, i, string(rs))
		}
		if p.mode == modeJSON {
			v, done, err := p.jsonValue()
			if err != nil {
				return list, err
			}
			if list, err = setIndex(list, i, v); err != nil || done {
				return list, err
			}
			_, err = p.emptyVal()
			return list, err
		}
		vl, err := p.valList()
		switch {
		case err == nil:
			return setIndex(list, i, vl)
		case errors.Is(err, io.EOF):
			return setIndex(list, i, "")
		case errors.Is(err, errNotList):
			rs, err := p.val()
			if err != nil && !errors.Is(err, io.EOF) {
				return list, err
			}
			v, err := p.value(rs)
			if err != nil {
				return list, err
			}
			return setIndex(list, i, v)
		default:
			return list, err
		}
	case last == '[':
		next, err := p.index()
		if err != nil {
			return list, fmt.Errorf("error parsing index: %w", err)
		}
		var cur []any
		if len(list) > i && list[i] != nil {
			l, ok := list[i].([]any)
			if !ok {
				return list, conversionErr{conversionError(list[i], listTypeName)}
			}
			cur = l
		}
		inner, err := p.listItem(cur, next, level)
		if err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	default: // '.'
		inner := map[string]any{}
		if len(list) > i {
			m, ok := list[i].(map[string]any)
			if !ok {
				m = map[string]any{}
				list[i] = m
			}
			inner = m
		}
		if err := p.key(inner, level); err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	}
}

// emptyVal skips blanks; it reports true at a ',' (consumed) or the end of
// input, and false before any other rune (not consumed).
func (p *setParser) emptyVal() (bool, error) {
	for {
		r, err := p.sc.readRune()
		if err != nil {
			return true, nil
		}
		if r == ',' {
			return true, nil
		}
		if !unicode.IsSpace(r) {
			p.sc.unreadRune()
			return false, nil
		}
	}
}

// val reads a scalar value up to ','.
func (p *setParser) val() ([]rune, error) {
	v, _, err := p.sc.until(",", false)
	return v, err
}

// valList reads a {a,b,c} list; errNotList if the value does not start with '{'.
func (p *setParser) valList() ([]any, error) {
	r, err := p.sc.readRune()
	if err != nil {
		return []any{}, err
	}
	if r != '{' {
		p.sc.unreadRune()
		return []any{}, errNotList
	}
	list := []any{}
	for {
		rs, last, err := p.sc.until(",}", false)
		switch {
		case err != nil:
			if errors.Is(err, io.EOF) {
				err = errors.New("list must terminate with '}'")
			}
			return list, err
		case last == '}':
			if r, err := p.sc.readRune(); err == nil && r != ',' {
				p.sc.unreadRune()
			}
			v, err := p.value(rs)
			list = append(list, v)
			return list, err
		default: // ','
			v, err := p.value(rs)
			if err != nil {
				return list, err
			}
			list = append(list, v)
		}
	}
}

// typedVal infers the type of a --set value: true/false/null (any case),
// int64 for decimal integers without a leading zero (and "0"), else string.
func typedVal(val string) any {
	switch {
	case strings.EqualFold(val, "true"):
		return true
	case strings.EqualFold(val, "false"):
		return false
	case strings.EqualFold(val, "null"):
		return nil
	case val == "0":
		return int64(0)
	}
	if val != "" && val[0] != '0' {
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			return n
		}
	}
	return val
}
