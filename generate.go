// Package jbxapi is the root of jbxapi-go, the Go client, API contract and
// command line for the Joe Sandbox v2 web API.
//
// The packages to import are github.com/jbx-go/jbxapi/client (the client) and
// github.com/jbx-go/jbxapi/client/jbxtest (an in-memory Joe Sandbox for tests).
// The contract lives in api/jbxapi.yaml; gen/ is generated from it by
// "go generate ./..." and never edited by hand.
package jbxapi

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config api/oapi-codegen.yaml api/jbxapi.yaml
