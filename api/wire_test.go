package api_test

// This file holds the contract in api/jbxapi.yaml to what actually goes over
// the wire. The table below lists every endpoint the official Python client
// (jbxapi.py 3.24.0) calls and every form field it can put into each request,
// written down from reading that client, not generated from the spec. The
// tests then check the spec against the table in both directions:
//
//   - every row is in the spec, in the right media type(s), with the right
//     kind and required-ness;
//   - the spec has no endpoint and no request field that is not in the table
//     (unless the field is explicitly allow-listed below, with a reason).

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/api"
)

const (
	mtForm      = "application/x-www-form-urlencoded"
	mtMultipart = "multipart/form-data"
)

// Media type sets a field can be sent in. The Python client posts with
// python-requests, which switches to multipart only when at least one file
// part is present; every other request is url-encoded.
var (
	form  = []string{mtForm}
	multi = []string{mtMultipart}
	both  = []string{mtForm, mtMultipart}
)

// fieldKind is how a field's value is encoded on the wire.
type fieldKind int

const (
	kFlag   fieldKind = iota + 1 // boolean, sent as the string "0" or "1"
	kInt                         // integer, sent as a decimal string
	kString                      // free text
	kArray                       // repeated field carrying strings (systems[], tags[])
	kFile                        // a file part of a multipart body
)

func (k fieldKind) String() string {
	switch k {
	case kFlag:
		return "flag"
	case kInt:
		return "integer"
	case kString:
		return "string"
	case kArray:
		return "string array"
	case kFile:
		return "file"
	}
	return fmt.Sprintf("fieldKind(%d)", int(k))
}

const (
	req = true  // the client always sends it and the endpoint cannot work without it
	opt = false // the client leaves it out when the caller does not set it
)

// wireField is one row of the table: one field of one endpoint.
type wireField struct {
	path     string
	media    []string
	name     string
	kind     fieldKind
	required bool
}

// wireTable lists, per endpoint, every field the official client sends.
//
// Notes on how the rows were derived:
//   - apikey travels as a form field in every request.
//   - accept-tac is sent ("1" or "0") by every call that starts work: the
//     submission and the state-changing Joe Lab calls.
//   - For a submission the client starts from its full table of submission
//     parameters and drops the unset ones, so every parameter is optional.
//     Two lists are renamed with brackets before sending (systems[], tags[])
//     and the document password goes out under its old name
//     office-files-password; the name document-password itself never reaches
//     the wire.
//   - A submission is url-encoded unless a sample or cookbook file is
//     attached, so its parameters must be accepted in both media types, and the
//     two file parts exist only in multipart.
//   - Chunk uploads (the sample after a submission with chunked-sample, and
//     Joe Lab files) always send the file part "chunk" plus five integers.
//     The Joe Lab variant has no submission id and no start call.
var wireTable = []wireField{
	// --- server -----------------------------------------------------------
	{"/v2/server/online", form, "apikey", kString, req},
	{"/v2/server/info", form, "apikey", kString, req},
	{"/v2/server/systems", form, "apikey", kString, req},
	{"/v2/server/lia_countries", form, "apikey", kString, req},
	{"/v2/server/languages_and_locales", form, "apikey", kString, req},

	// --- account ----------------------------------------------------------
	{"/v2/account/info", form, "apikey", kString, req},

	// --- submission: create -----------------------------------------------
	{"/v2/submission/new", both, "apikey", kString, req},
	{"/v2/submission/new", both, "accept-tac", kFlag, req},
	// What to analyse: exactly one of these in practice, but none is required
	// on its own. The file parts only exist in multipart bodies.
	{"/v2/submission/new", multi, "sample", kFile, opt},
	{"/v2/submission/new", multi, "cookbook", kFile, opt},
	{"/v2/submission/new", both, "url", kString, opt},
	{"/v2/submission/new", both, "sample-url", kString, opt},
	{"/v2/submission/new", both, "command-line", kString, opt},
	{"/v2/submission/new", both, "chunked-sample", kString, opt}, // the file name; the content follows in chunks
	// Lists.
	{"/v2/submission/new", both, "systems[]", kArray, opt},
	{"/v2/submission/new", both, "tags[]", kArray, opt},
	// Text and numbers.
	{"/v2/submission/new", both, "comments", kString, opt},
	{"/v2/submission/new", both, "analysis-time", kInt, opt},
	{"/v2/submission/new", both, "office-files-password", kString, opt}, // carries the document password
	{"/v2/submission/new", both, "archive-password", kString, opt},
	{"/v2/submission/new", both, "command-line-argument", kString, opt},
	{"/v2/submission/new", both, "localized-internet-country", kString, opt},
	{"/v2/submission/new", both, "system-date", kString, opt},
	{"/v2/submission/new", both, "language-and-locale", kString, opt},
	{"/v2/submission/new", both, "encrypt-with-password", kString, opt},
	{"/v2/submission/new", both, "browser", kString, opt},
	{"/v2/submission/new", both, "delete-after-days", kInt, opt},    // Cloud only
	{"/v2/submission/new", both, "proxy-mode-config", kString, opt}, // Cloud only
	{"/v2/submission/new", both, "priority", kInt, opt},             // on-premise only
	// Switches.
	{"/v2/submission/new", both, "internet-access", kFlag, opt},
	{"/v2/submission/new", both, "internet-simulation", kFlag, opt},
	{"/v2/submission/new", both, "report-cache", kFlag, opt},
	{"/v2/submission/new", both, "hybrid-code-analysis", kFlag, opt},
	{"/v2/submission/new", both, "hybrid-decompilation", kFlag, opt},
	{"/v2/submission/new", both, "ssl-inspection", kFlag, opt},
	{"/v2/submission/new", both, "vba-instrumentation", kFlag, opt},
	{"/v2/submission/new", both, "js-instrumentation", kFlag, opt},
	{"/v2/submission/new", both, "java-jar-tracing", kFlag, opt},
	{"/v2/submission/new", both, "dotnet-tracing", kFlag, opt},
	{"/v2/submission/new", both, "email-notification", kFlag, opt},
	{"/v2/submission/new", both, "start-as-normal-user", kFlag, opt},
	{"/v2/submission/new", both, "archive-no-unpack", kFlag, opt},
	{"/v2/submission/new", both, "hypervisor-based-inspection", kFlag, opt},
	{"/v2/submission/new", both, "fast-mode", kFlag, opt},
	{"/v2/submission/new", both, "secondary-results", kFlag, opt},
	{"/v2/submission/new", both, "apk-instrumentation", kFlag, opt},
	{"/v2/submission/new", both, "amsi-unpacking", kFlag, opt},
	{"/v2/submission/new", both, "powershell-logging", kFlag, opt},
	{"/v2/submission/new", both, "disable-chained-runs", kFlag, opt},
	{"/v2/submission/new", both, "live-interaction", kFlag, opt},
	{"/v2/submission/new", both, "url-reputation", kFlag, opt}, // Cloud only
	// Deprecated switches the client still knows and still sends when set.
	{"/v2/submission/new", both, "anti-evasion-date", kFlag, opt},
	{"/v2/submission/new", both, "remote-assistance", kFlag, opt},
	{"/v2/submission/new", both, "remote-assistance-view-only", kFlag, opt},
	{"/v2/submission/new", both, "static-only", kFlag, opt},
	{"/v2/submission/new", both, "export-to-jbxview", kFlag, opt},

	// --- submission: chunks of a sample announced with chunked-sample -----
	{"/v2/submission/chunked-sample", multi, "apikey", kString, req},
	{"/v2/submission/chunked-sample", multi, "submission_id", kString, req},
	{"/v2/submission/chunked-sample", multi, "file-size", kInt, req},
	{"/v2/submission/chunked-sample", multi, "chunk-size", kInt, req},
	{"/v2/submission/chunked-sample", multi, "chunk-count", kInt, req},
	{"/v2/submission/chunked-sample", multi, "current-chunk-index", kInt, req},
	{"/v2/submission/chunked-sample", multi, "current-chunk-size", kInt, req},
	{"/v2/submission/chunked-sample", multi, "chunk", kFile, req},

	// --- submission: the rest ---------------------------------------------
	{"/v2/submission/info", form, "apikey", kString, req},
	{"/v2/submission/info", form, "submission_id", kString, req},
	{"/v2/submission/delete", form, "apikey", kString, req},
	{"/v2/submission/delete", form, "submission_id", kString, req},
	{"/v2/submission/list", form, "apikey", kString, req},
	{"/v2/submission/list", form, "pagination_next", kString, opt}, // absent on the first page
	{"/v2/submission/list", form, "include-shared", kFlag, opt},
	// (submission/list gets no "pagination" field, unlike analysis/list.)

	// --- analysis ---------------------------------------------------------
	{"/v2/analysis/list", form, "apikey", kString, req},
	// Always "1" from the client, but the endpoint also answers without it
	// (unpaged), so it is not required.
	{"/v2/analysis/list", form, "pagination", kFlag, opt},
	{"/v2/analysis/list", form, "pagination_next", kString, opt},
	{"/v2/analysis/info", form, "apikey", kString, req},
	{"/v2/analysis/info", form, "webid", kString, req},
	{"/v2/analysis/delete", form, "apikey", kString, req},
	{"/v2/analysis/delete", form, "webid", kString, req},
	{"/v2/analysis/search", form, "apikey", kString, req},
	{"/v2/analysis/search", form, "q", kString, req},
	{"/v2/analysis/download", form, "apikey", kString, req},
	{"/v2/analysis/download", form, "webid", kString, req},
	{"/v2/analysis/download", form, "type", kString, req},
	{"/v2/analysis/download", form, "run", kInt, opt}, // 0-based; the server picks one when absent

	// --- Joe Lab ----------------------------------------------------------
	{"/v2/joelab/machine/info", form, "apikey", kString, req},
	{"/v2/joelab/machine/info", form, "machine", kString, req},

	{"/v2/joelab/images/list", form, "apikey", kString, req},
	{"/v2/joelab/images/list", form, "machine", kString, req},
	{"/v2/joelab/images/capture", form, "apikey", kString, req},
	{"/v2/joelab/images/capture", form, "machine", kString, req},
	{"/v2/joelab/images/capture", form, "accept-tac", kFlag, req},
	{"/v2/joelab/images/capture", form, "image", kString, opt},
	{"/v2/joelab/images/reset", form, "apikey", kString, req},
	{"/v2/joelab/images/reset", form, "machine", kString, req},
	{"/v2/joelab/images/reset", form, "accept-tac", kFlag, req},
	{"/v2/joelab/images/reset", form, "image", kString, opt},

	// Plain upload: the fallback when upload-chunked is unknown to the server.
	{"/v2/joelab/filesystem/upload", multi, "apikey", kString, req},
	{"/v2/joelab/filesystem/upload", multi, "machine", kString, req},
	{"/v2/joelab/filesystem/upload", multi, "accept-tac", kFlag, req},
	{"/v2/joelab/filesystem/upload", multi, "path", kString, opt},
	{"/v2/joelab/filesystem/upload", multi, "file", kFile, req},
	// Chunked upload: same fields as the plain one, with the chunk fields in
	// place of the file part. No submission id, no file name field.
	{"/v2/joelab/filesystem/upload-chunked", multi, "apikey", kString, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "machine", kString, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "accept-tac", kFlag, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "path", kString, opt},
	{"/v2/joelab/filesystem/upload-chunked", multi, "file-size", kInt, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "chunk-size", kInt, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "chunk-count", kInt, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "current-chunk-index", kInt, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "current-chunk-size", kInt, req},
	{"/v2/joelab/filesystem/upload-chunked", multi, "chunk", kFile, req},
	{"/v2/joelab/filesystem/download", form, "apikey", kString, req},
	{"/v2/joelab/filesystem/download", form, "machine", kString, req},
	{"/v2/joelab/filesystem/download", form, "path", kString, req},

	{"/v2/joelab/network/info", form, "apikey", kString, req},
	{"/v2/joelab/network/info", form, "machine", kString, req},
	{"/v2/joelab/network/update", form, "apikey", kString, req},
	{"/v2/joelab/network/update", form, "machine", kString, req},
	{"/v2/joelab/network/update", form, "accept-tac", kFlag, req},
	{"/v2/joelab/network/update", form, "internet-enabled", kFlag, opt}, // the official CLI leaves it out when neither --enable-internet nor --disable-internet is given
	{"/v2/joelab/network/update", form, "internet-exitpoint", kString, opt},

	{"/v2/joelab/pcap/start", form, "apikey", kString, req},
	{"/v2/joelab/pcap/start", form, "machine", kString, req},
	{"/v2/joelab/pcap/start", form, "accept-tac", kFlag, req},
	{"/v2/joelab/pcap/stop", form, "apikey", kString, req},
	{"/v2/joelab/pcap/stop", form, "machine", kString, req},
	{"/v2/joelab/pcap/stop", form, "accept-tac", kFlag, req},
	{"/v2/joelab/pcap/download", form, "apikey", kString, req},
	{"/v2/joelab/pcap/download", form, "machine", kString, req},

	{"/v2/joelab/internet-exitpoints/list", form, "apikey", kString, req},
}

// wireExtraFields is the allow-list of request fields the spec may declare
// although the official client never sends them: documented server-side
// fields only, each with the reason it is here. Keyed by path, then field.
// Keep it empty unless there is such a field.
var wireExtraFields = map[string]map[string]string{}

// downloadPaths are the endpoints whose success body is the raw resource.
var downloadPaths = []string{
	"/v2/analysis/download",
	"/v2/joelab/filesystem/download",
	"/v2/joelab/pcap/download",
}

var allowedTags = []string{"server", "account", "submission", "analysis", "joelab"}

// endpointCount is how many endpoints the official client knows.
const endpointCount = 29

// ---------------------------------------------------------------------------
// helpers

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := api.Load()
	require.NoError(t, err, "api.Load")
	require.NotNil(t, doc.Paths, "spec has no paths")
	return doc
}

// tablePaths returns the endpoints of the table in first-seen order.
func tablePaths() []string {
	var paths []string
	for _, r := range wireTable {
		if !slices.Contains(paths, r.path) {
			paths = append(paths, r.path)
		}
	}
	return paths
}

// tableMedia returns, per endpoint, the union of the media types its rows
// are sent in.
func tableMedia() map[string][]string {
	m := map[string][]string{}
	for _, r := range wireTable {
		for _, mt := range r.media {
			if !slices.Contains(m[r.path], mt) {
				m[r.path] = append(m[r.path], mt)
			}
		}
	}
	for p := range m {
		sort.Strings(m[p])
	}
	return m
}

// tableHas reports whether the table sends field name to path in media type mt.
func tableHas(path, mt, name string) bool {
	for _, r := range wireTable {
		if r.path == path && r.name == name && slices.Contains(r.media, mt) {
			return true
		}
	}
	return false
}

// postOperation returns the POST operation of path, or nil.
func postOperation(doc *openapi3.T, path string) *openapi3.Operation {
	item := doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	return item.Post
}

// bodySchema is a request body schema with its allOf parts merged.
type bodySchema struct {
	props    map[string]*openapi3.SchemaRef
	required map[string]bool
}

// mergeBody walks s and, recursively, its allOf parts, collecting properties
// and required names. A property declared twice keeps its first declaration.
func mergeBody(s *openapi3.Schema) bodySchema {
	b := bodySchema{props: map[string]*openapi3.SchemaRef{}, required: map[string]bool{}}
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 32 {
			return
		}
		for name, p := range s.Properties {
			if _, seen := b.props[name]; !seen {
				b.props[name] = p
			}
		}
		for _, name := range s.Required {
			b.required[name] = true
		}
		for _, part := range s.AllOf {
			if part != nil {
				walk(part.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	return b
}

// requestSchema returns the merged body schema of path's POST operation in
// media type mt, or an error describing what is missing.
func requestSchema(doc *openapi3.T, path, mt string) (bodySchema, error) {
	op := postOperation(doc, path)
	if op == nil {
		return bodySchema{}, fmt.Errorf("no POST operation for %s", path)
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return bodySchema{}, fmt.Errorf("%s has no request body", path)
	}
	media, ok := op.RequestBody.Value.Content[mt]
	if !ok || media == nil {
		return bodySchema{}, fmt.Errorf("%s has no %s request body", path, mt)
	}
	if media.Schema == nil || media.Schema.Value == nil {
		return bodySchema{}, fmt.Errorf("%s %s request body has no schema", path, mt)
	}
	return mergeBody(media.Schema.Value), nil
}

// fieldView is a property schema flattened through its allOf parts (a
// property may be written as allOf: [$ref Flag] to add a description).
type fieldView struct {
	types   []string
	formats []string
	enums   [][]string // one list per schema that declares an enum
	items   []*openapi3.SchemaRef
}

func flattenField(s *openapi3.Schema) fieldView {
	var v fieldView
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 32 {
			return
		}
		if s.Type != nil {
			for _, typ := range s.Type.Slice() {
				if !slices.Contains(v.types, typ) {
					v.types = append(v.types, typ)
				}
			}
		}
		if s.Format != "" && !slices.Contains(v.formats, s.Format) {
			v.formats = append(v.formats, s.Format)
		}
		if s.Enum != nil {
			var e []string
			for _, x := range s.Enum {
				if str, ok := x.(string); ok {
					e = append(e, str)
				} else {
					// A YAML number 0 is not the string "0": keep it distinct.
					e = append(e, fmt.Sprintf("<%T %v>", x, x))
				}
			}
			sort.Strings(e)
			v.enums = append(v.enums, e)
		}
		if s.Items != nil {
			v.items = append(v.items, s.Items)
		}
		for _, part := range s.AllOf {
			if part != nil {
				walk(part.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	return v
}

func (v fieldView) isType(typ string) bool {
	return len(v.types) == 1 && v.types[0] == typ
}

func (v fieldView) isBinary() bool {
	return slices.Contains(v.formats, "binary")
}

// isFlag reports whether the field is a string whose every declared enum is
// exactly {"0","1"}.
func (v fieldView) isFlag() bool {
	if !v.isType("string") || len(v.enums) == 0 {
		return false
	}
	for _, e := range v.enums {
		if !slices.Equal(e, []string{"0", "1"}) {
			return false
		}
	}
	return true
}

func (v fieldView) describe() string {
	return fmt.Sprintf("type=%v format=%v enum=%v items=%d", v.types, v.formats, v.enums, len(v.items))
}

// checkKind asserts that the property schema p encodes kind k.
func checkKind(t *testing.T, k fieldKind, p *openapi3.SchemaRef) {
	t.Helper()
	if !assert.NotNil(t, p, "property schema is nil") || !assert.NotNil(t, p.Value, "property schema is unresolved") {
		return
	}
	v := flattenField(p.Value)
	switch k {
	case kFlag:
		assert.True(t, v.isFlag(), "want a flag (type string, enum exactly [\"0\",\"1\"]); got %s", v.describe())
	case kInt:
		assert.True(t, v.isType("integer"), "want type integer; got %s", v.describe())
		assert.Empty(t, v.enums, "an integer field should not be an enum; got %s", v.describe())
	case kString:
		assert.True(t, v.isType("string"), "want type string; got %s", v.describe())
		assert.False(t, v.isBinary(), "want text, not a file (format binary); got %s", v.describe())
		assert.False(t, v.isFlag(), "want free text, not a 0/1 flag; got %s", v.describe())
	case kArray:
		if assert.True(t, v.isType("array"), "want type array; got %s", v.describe()) &&
			assert.Len(t, v.items, 1, "want exactly one items schema; got %s", v.describe()) {
			item := v.items[0]
			if assert.NotNil(t, item.Value, "items schema unresolved") {
				iv := flattenField(item.Value)
				assert.True(t, iv.isType("string"), "want items of type string; got %s", iv.describe())
				assert.False(t, iv.isBinary(), "want text items, not files; got %s", iv.describe())
			}
		}
	case kFile:
		assert.True(t, v.isType("string"), "want type string (format binary); got %s", v.describe())
		assert.True(t, v.isBinary(), "want format binary; got %s", v.describe())
	default:
		t.Fatalf("unknown kind %v", k)
	}
}

func shortMedia(mt string) string {
	switch mt {
	case mtForm:
		return "form"
	case mtMultipart:
		return "multipart"
	}
	return mt
}

// operationIDFor derives the operationId convention from a path:
// PascalCase of the segments after /v2/, split on '/', '-' and '_'.
func operationIDFor(path string) string {
	rest := strings.TrimPrefix(path, "/v2/")
	words := strings.FieldsFunc(rest, func(r rune) bool { return r == '/' || r == '-' || r == '_' })
	var b strings.Builder
	for _, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// refersToErrorResponse reports whether some media type of resp has a schema
// that is, or is composed from, #/components/schemas/ErrorResponse.
func refersToErrorResponse(resp *openapi3.Response) bool {
	if resp == nil {
		return false
	}
	isErr := func(ref *openapi3.SchemaRef) bool {
		return ref != nil && strings.HasSuffix(ref.Ref, "#/components/schemas/ErrorResponse")
	}
	for _, media := range resp.Content {
		if media == nil || media.Schema == nil {
			continue
		}
		if isErr(media.Schema) {
			return true
		}
		if media.Schema.Value != nil {
			for _, part := range media.Schema.Value.AllOf {
				if isErr(part) {
					return true
				}
			}
		}
	}
	return false
}

// isErrorStatus reports whether a responses key is an error: 4XX, 5XX, a
// 4xx/5xx code, or default.
func isErrorStatus(key string) bool {
	if key == "default" {
		return true
	}
	return len(key) == 3 && (key[0] == '4' || key[0] == '5')
}

// ---------------------------------------------------------------------------
// tests

// TestWireTableSelfCheck keeps the table itself honest: no duplicate rows,
// sensible media types, 29 endpoints, apikey everywhere.
func TestWireTableSelfCheck(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range wireTable {
		key := r.path + " " + r.name
		assert.False(t, seen[key], "duplicate row %s", key)
		seen[key] = true
		assert.NotEmpty(t, r.media, "row %s has no media type", key)
		if r.kind == kFile {
			assert.Equal(t, multi, r.media, "file part %s can only travel in multipart", key)
		}
	}
	paths := tablePaths()
	assert.Len(t, paths, endpointCount, "endpoints in the table")
	for _, p := range paths {
		assert.True(t, seen[p+" apikey"], "%s: apikey row missing", p)
	}
	for _, p := range downloadPaths {
		assert.Contains(t, paths, p, "download endpoint missing from the table")
	}
}

// TestWireFields checks every row of the table against the spec: the field
// is declared in the request body of each media type it is sent in, with the
// right kind and required-ness, and it is absent from the media types it is
// never sent in.
func TestWireFields(t *testing.T) {
	doc := loadSpec(t)
	media := tableMedia()

	for _, r := range wireTable {
		for _, mt := range media[r.path] {
			name := fmt.Sprintf("%s %s [%s]", strings.TrimPrefix(r.path, "/v2/"), r.name, shortMedia(mt))
			sentHere := slices.Contains(r.media, mt)
			t.Run(name, func(t *testing.T) {
				body, err := requestSchema(doc, r.path, mt)
				require.NoError(t, err)
				prop, declared := body.props[r.name]
				if !sentHere {
					assert.False(t, declared, "%s is never sent as %s, but the %s schema declares it", r.name, mt, mt)
					return
				}
				require.True(t, declared, "field %q is not in the %s schema of %s", r.name, mt, r.path)
				checkKind(t, r.kind, prop)
				assert.Equal(t, r.required, body.required[r.name], "required-ness of %q", r.name)
			})
		}
	}
}

// TestWireRequestBodies checks that every endpoint's request body is required
// and declares exactly the media types the official client sends it in.
func TestWireRequestBodies(t *testing.T) {
	doc := loadSpec(t)
	media := tableMedia()
	for _, p := range tablePaths() {
		t.Run(strings.TrimPrefix(p, "/v2/"), func(t *testing.T) {
			op := postOperation(doc, p)
			require.NotNil(t, op, "no POST operation")
			require.NotNil(t, op.RequestBody, "no request body")
			require.NotNil(t, op.RequestBody.Value, "request body unresolved")
			assert.True(t, op.RequestBody.Value.Required, "requestBody.required must be true")
			var got []string
			for mt := range op.RequestBody.Value.Content {
				got = append(got, mt)
			}
			sort.Strings(got)
			assert.Equal(t, media[p], got, "request body media types")
		})
	}
}

// TestWireNoExtraFields reports every field the spec declares that the
// official client never sends to that endpoint in that media type.
func TestWireNoExtraFields(t *testing.T) {
	doc := loadSpec(t)
	for _, p := range tablePaths() {
		op := postOperation(doc, p)
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
			continue // reported by TestWireRequestBodies
		}
		t.Run(strings.TrimPrefix(p, "/v2/"), func(t *testing.T) {
			mts := make([]string, 0, len(op.RequestBody.Value.Content))
			for mt := range op.RequestBody.Value.Content {
				mts = append(mts, mt)
			}
			sort.Strings(mts)
			for _, mt := range mts {
				body, err := requestSchema(doc, p, mt)
				if !assert.NoError(t, err) {
					continue
				}
				names := make([]string, 0, len(body.props))
				for n := range body.props {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					if tableHas(p, mt, n) {
						continue
					}
					if _, ok := wireExtraFields[p][n]; ok {
						continue
					}
					t.Errorf("%s [%s]: field %q is in the spec but the official client never sends it here", p, shortMedia(mt), n)
				}
				for n := range body.required {
					if _, ok := body.props[n]; !ok {
						t.Errorf("%s [%s]: %q is listed as required but is not a property", p, shortMedia(mt), n)
					}
				}
			}
		})
	}
}

// TestWireEndpoints checks the set of paths and the shape of each operation:
// one POST, operationId derived from the path, summary, description, and one
// tag naming its group.
func TestWireEndpoints(t *testing.T) {
	doc := loadSpec(t)

	want := tablePaths()
	sort.Strings(want)
	got := doc.Paths.Keys()
	sort.Strings(got)
	for _, p := range got {
		if !slices.Contains(want, p) {
			t.Errorf("the spec has endpoint %s, which the official client never calls", p)
		}
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("the spec lacks endpoint %s, which the official client calls", p)
		}
	}

	ids := map[string]string{}
	for _, p := range got {
		item := doc.Paths.Value(p)
		t.Run(strings.TrimPrefix(p, "/v2/"), func(t *testing.T) {
			require.NotNil(t, item)
			ops := item.Operations()
			methods := make([]string, 0, len(ops))
			for m := range ops {
				methods = append(methods, m)
			}
			require.Equal(t, []string{"POST"}, methods, "want exactly one operation, POST")
			op := item.Post
			require.NotNil(t, op)

			assert.NotEmpty(t, op.OperationID, "operationId")
			assert.Equal(t, operationIDFor(p), op.OperationID, "operationId must follow the path")
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q is used by %s and %s", op.OperationID, prev, p)
			}
			ids[op.OperationID] = p

			assert.NotEmpty(t, strings.TrimSpace(op.Summary), "summary")
			assert.NotEmpty(t, strings.TrimSpace(op.Description), "description")

			if assert.Len(t, op.Tags, 1, "want exactly one tag") {
				assert.Contains(t, allowedTags, op.Tags[0], "tag")
				group := strings.SplitN(strings.TrimPrefix(p, "/v2/"), "/", 2)[0]
				assert.Equal(t, group, op.Tags[0], "tag must name the endpoint's group")
			}
		})
	}
}

// TestWireOperationIDConvention pins the derivation rule on the awkward names.
func TestWireOperationIDConvention(t *testing.T) {
	for path, id := range map[string]string{
		"/v2/joelab/pcap/download":             "JoelabPcapDownload",
		"/v2/server/lia_countries":             "ServerLiaCountries",
		"/v2/server/languages_and_locales":     "ServerLanguagesAndLocales",
		"/v2/joelab/internet-exitpoints/list":  "JoelabInternetExitpointsList",
		"/v2/submission/chunked-sample":        "SubmissionChunkedSample",
		"/v2/joelab/filesystem/upload-chunked": "JoelabFilesystemUploadChunked",
	} {
		assert.Equal(t, id, operationIDFor(path), path)
	}
}

// TestWireDownloads checks that the three download endpoints answer 200 with
// the raw resource and its name in Content-Disposition.
func TestWireDownloads(t *testing.T) {
	doc := loadSpec(t)
	for _, p := range downloadPaths {
		t.Run(strings.TrimPrefix(p, "/v2/"), func(t *testing.T) {
			op := postOperation(doc, p)
			require.NotNil(t, op, "no POST operation")
			require.NotNil(t, op.Responses, "no responses")
			ok := op.Responses.Value("200")
			require.NotNil(t, ok, "no 200 response")
			require.NotNil(t, ok.Value, "200 response unresolved")
			_, hasOctet := ok.Value.Content["application/octet-stream"]
			assert.True(t, hasOctet, "200 response must have application/octet-stream content")
			var hasCD bool
			for name, h := range ok.Value.Headers {
				if strings.EqualFold(name, "Content-Disposition") && h != nil {
					hasCD = true
				}
			}
			assert.True(t, hasCD, "200 response must declare a Content-Disposition header")
		})
	}
}

// TestWireErrorResponses checks that every operation declares a 4XX (or
// default) error response whose body is ErrorResponse, and that no declared
// error response has another body.
func TestWireErrorResponses(t *testing.T) {
	doc := loadSpec(t)
	paths := doc.Paths.Keys()
	sort.Strings(paths)
	for _, p := range paths {
		t.Run(strings.TrimPrefix(p, "/v2/"), func(t *testing.T) {
			item := doc.Paths.Value(p)
			require.NotNil(t, item)
			for method, op := range item.Operations() {
				require.NotNil(t, op.Responses, "%s has no responses", method)
				var found bool
				keys := op.Responses.Keys()
				sort.Strings(keys)
				for _, key := range keys {
					if !isErrorStatus(key) {
						continue
					}
					ref := op.Responses.Value(key)
					if ref == nil || ref.Value == nil {
						t.Errorf("%s response %s is unresolved", method, key)
						continue
					}
					if !refersToErrorResponse(ref.Value) {
						t.Errorf("%s response %s does not use #/components/schemas/ErrorResponse", method, key)
						continue
					}
					if strings.HasPrefix(strings.ToUpper(key), "4") || key == "default" {
						found = true
					}
				}
				assert.True(t, found, "%s: want a 4XX or default response with ErrorResponse; have %v", method, keys)
			}
		})
	}
}
