//go:build tools

// This file pins the versions of the code generator that go generate runs, so
// that go.mod and go.sum record them and every checkout generates the same gen/.
package jbxapi

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
