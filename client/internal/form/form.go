// Package form encodes the generated request structs of package gen as HTML
// form values, the way the Joe Sandbox API expects them.
//
// The wire name of a field is its json tag name, verbatim ("systems[]",
// "accept-tac", "office-files-password"). Slices are sent as repeated keys,
// string kinds (gen.Flag among them) as they are, integers in decimal and
// booleans as "1"/"0". A field whose tag has omitempty is left out when it
// holds its zero value (a nil pointer, an empty string or slice, 0); a field
// without omitempty is always sent. File fields (openapi_types.File) are
// skipped: they travel as multipart file parts. Embedded structs are
// flattened.
package form

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	openapi_types "github.com/oapi-codegen/runtime/types"
)

var fileType = reflect.TypeFor[openapi_types.File]()

// Encode returns the form values of v, a struct or a pointer to one.
func Encode(v any) (url.Values, error) {
	out := url.Values{}
	if err := EncodeInto(out, v); err != nil {
		return nil, err
	}
	return out, nil
}

// EncodeInto adds the form values of v to out.
func EncodeInto(out url.Values, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("form: cannot encode %s, want a struct", rv.Type())
	}
	return encodeStruct(out, rv)
}

func encodeStruct(out url.Values, rv reflect.Value) error {
	rt := rv.Type()
	for i := range rt.NumField() {
		sf := rt.Field(i)
		fv := rv.Field(i)
		tag := sf.Tag.Get("json")
		if sf.Anonymous && tag == "" {
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := encodeStruct(out, fv); err != nil {
					return err
				}
			}
			continue
		}
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		omitempty := false
		for o := range strings.SplitSeq(opts, ",") {
			if o == "omitempty" {
				omitempty = true
			}
		}
		if isFile(sf.Type) {
			continue
		}
		if omitempty && fv.IsZero() {
			continue
		}
		for fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				break
			}
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.Pointer { // nil pointer without omitempty
			continue
		}
		if err := encodeValue(out, name, fv); err != nil {
			return err
		}
	}
	return nil
}

func isFile(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t == fileType
}

func encodeValue(out url.Values, name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		out.Add(name, v.String())
	case reflect.Bool:
		if v.Bool() {
			out.Add(name, "1")
		} else {
			out.Add(name, "0")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		out.Add(name, strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		out.Add(name, strconv.FormatUint(v.Uint(), 10))
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			e := v.Index(i)
			for e.Kind() == reflect.Pointer && !e.IsNil() {
				e = e.Elem()
			}
			if err := encodeValue(out, name, e); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("form: field %q: unsupported kind %s", name, v.Kind())
	}
	return nil
}
