// Package api holds the contract of the Joe Sandbox v2 web API: the
// OpenAPI 3.0 description in jbxapi.yaml, embedded in the binary, and the
// oapi-codegen configuration that turns it into the generated package gen.
//
// Everything in this module that needs the contract (the fake server in
// client/jbxtest, the tests that hold the spec to the wire) reads it from here,
// so there is exactly one copy of it.
package api

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed jbxapi.yaml
var specYAML []byte

// YAML returns the raw bytes of jbxapi.yaml. The slice is a copy: changing it
// does not change what Load parses.
func YAML() []byte {
	return append([]byte(nil), specYAML...)
}

// Load parses the embedded specification and validates it with kin-openapi.
// Every call returns a new document, so a caller may change it (for example
// point its servers at a test server) without affecting other callers.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("api: parse jbxapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("api: validate jbxapi.yaml: %w", err)
	}
	return doc, nil
}
