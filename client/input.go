package client

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// The argument checks of the exported methods. Each returns an
// [*InputError] (or nil) and runs before any request is built.

// required refuses an empty or blank string argument.
func required(arg, v string) error {
	switch {
	case v == "":
		return &InputError{Arg: arg, Reason: "empty"}
	case strings.TrimSpace(v) == "":
		return &InputError{Arg: arg, Reason: "only white space"}
	}
	return nil
}

// notNil refuses a nil reader or writer, including a typed nil pointer
// (an *os.File left nil by a failed os.Open) in the interface.
func notNil(arg string, v any, what string) error {
	if v == nil {
		return &InputError{Arg: arg, Reason: "nil " + what}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		if rv.IsNil() {
			return &InputError{Arg: arg, Reason: fmt.Sprintf("nil %s (%T)", what, v)}
		}
	}
	return nil
}

// sizedNotEmpty refuses an input of known size with nothing to read from
// its current position (off).
func sizedNotEmpty(arg string, off, size int64) error {
	switch {
	case size == 0 && off == 0:
		return &InputError{Arg: arg, Reason: "empty (0 bytes)"}
	case size == 0:
		return &InputError{Arg: arg, Reason: fmt.Sprintf("no bytes left to read after its current position %d", off)}
	case size < 0:
		return &InputError{Arg: arg, Reason: fmt.Sprintf("its current position %d is past its end", off)}
	}
	return nil
}

// streamNotEmpty reads the first byte of a reader of unknown size and
// refuses it when there is none. It returns a reader that yields the whole
// input again.
func streamNotEmpty(arg string, r io.Reader) (io.Reader, error) {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	switch {
	case n == 0 && err == io.EOF:
		return nil, &InputError{Arg: arg, Reason: "empty (0 bytes)"}
	case n == 0:
		return nil, fmt.Errorf("jbxapi: reading the %s: %w", arg, err)
	}
	return io.MultiReader(bytes.NewReader(b[:n]), r), nil
}

// downloadType refuses what cannot be a resource type of
// analysis/download. The list of types grows with new server versions, so
// any word made of ASCII letters, digits, '-', '_' and '.' is forwarded and
// left to the server to judge.
func downloadType(typ string) error {
	if err := required("type", typ); err != nil {
		return err
	}
	for _, r := range typ {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return &InputError{Arg: "type", Reason: fmt.Sprintf("%q is not a resource type (letters, digits, '-', '_' and '.' only)", typ)}
		}
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
