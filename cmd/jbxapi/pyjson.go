package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// toPlain turns any value into its plain JSON form (maps, slices, strings,
// json.Number, bools, nil) by marshalling it and decoding it back with
// UseNumber, so numbers keep their exact text.
func toPlain(v any) (any, error) {
	// A nil list or object at the top is what the client returns for an
	// empty one; print it as the server sent it.
	if _, isRaw := v.(json.RawMessage); !isRaw {
		rv := reflect.ValueOf(v)
		switch {
		case rv.Kind() == reflect.Slice && rv.IsNil():
			return []any{}, nil
		case rv.Kind() == reflect.Map && rv.IsNil():
			return map[string]any{}, nil
		}
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = marshalNoEscape(v); err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pyJSON renders v the way Python's json.dumps(v, indent=4, sort_keys=True)
// does (ensure_ascii on), followed by a newline, as print() adds one.
func pyJSON(v any) ([]byte, error) {
	plain, err := toPlain(v)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := writePy(&b, plain, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return []byte(b.String()), nil
}

func writePy(b *strings.Builder, v any, depth int) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		b.WriteString(x.String())
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		writePyString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			if err := writePy(b, e, depth+1); err != nil {
				return err
			}
		}
		newline(b, depth)
		b.WriteString("]")
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // byte order of UTF-8 = code point order, as Python sorts
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			writePyString(b, k)
			b.WriteString(": ")
			if err := writePy(b, x[k], depth+1); err != nil {
				return err
			}
		}
		newline(b, depth)
		b.WriteString("}")
	default:
		return fmt.Errorf("pyjson: unexpected type %T", v)
	}
	return nil
}

func newline(b *strings.Builder, depth int) {
	b.WriteByte('\n')
	for range depth {
		b.WriteString("    ")
	}
}

const hexDigits = "0123456789abcdef"

// writePyString quotes s as Python's json module does with ensure_ascii:
// only printable ASCII is written as is; everything else is escaped, code
// points beyond the BMP as a UTF-16 surrogate pair. <, > and & stay as they are.
func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r <= 0x7e:
				b.WriteRune(r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				writeU(b, r1)
				writeU(b, r2)
			default:
				writeU(b, r)
			}
		}
	}
	b.WriteByte('"')
}

func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[(r>>12)&0xf])
	b.WriteByte(hexDigits[(r>>8)&0xf])
	b.WriteByte(hexDigits[(r>>4)&0xf])
	b.WriteByte(hexDigits[r&0xf])
}
