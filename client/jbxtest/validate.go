package jbxtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/jbx-go/jbxapi/api"
)

const (
	ctForm      = "application/x-www-form-urlencoded"
	ctMultipart = "multipart/form-data"
)

// bodySchema is the flattened view of one request body media type.
type bodySchema struct {
	schema   *openapi3.Schema
	props    map[string]*openapi3.Schema
	required map[string]bool
}

func (b *bodySchema) isFile(name string) bool {
	p := b.props[name]
	return p != nil && p.Type.Is("string") && p.Format == "binary"
}

// operation is one endpoint of the contract.
type operation struct {
	path   string // "/v2/server/online"
	id     string // operationId
	route  *routers.Route
	bodies map[string]*bodySchema // by media type
}

type spec struct {
	doc *openapi3.T
	ops map[string]*operation
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec() (*spec, error) {
	specOnce.Do(func() {
		doc, err := api.Load()
		if err != nil {
			specErr = err
			return
		}
		s := &spec{doc: doc, ops: map[string]*operation{}}
		for path, item := range doc.Paths.Map() {
			op := item.Post
			if op == nil {
				continue
			}
			o := &operation{path: path, id: op.OperationID, bodies: map[string]*bodySchema{},
				route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: http.MethodPost, Operation: op}}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					if mt.Schema == nil || mt.Schema.Value == nil {
						continue
					}
					b := &bodySchema{schema: mt.Schema.Value, props: map[string]*openapi3.Schema{}, required: map[string]bool{}}
					flatten(mt.Schema.Value, b)
					o.bodies[ct] = b
				}
			}
			s.ops[path] = o
		}
		specVal = s
	})
	return specVal, specErr
}

func flatten(s *openapi3.Schema, b *bodySchema) {
	for _, sub := range s.AllOf {
		if sub != nil && sub.Value != nil {
			flatten(sub.Value, b)
		}
	}
	for name, p := range s.Properties {
		if p != nil && p.Value != nil {
			b.props[name] = p.Value
		}
	}
	for _, r := range s.Required {
		b.required[r] = true
	}
}

// apiError is an error answer: a JSON error code and message.
type apiError struct {
	code      int
	msg       string
	status    int  // 0: derived from code
	violation bool // the request broke the contract
}

func (e *apiError) Error() string { return fmt.Sprintf("code %d: %s", e.code, e.msg) }

func errMissing(name string) *apiError {
	return &apiError{code: 2, msg: fmt.Sprintf("Missing parameter %s.", name), violation: true}
}

func errUnknownParam(name string) *apiError {
	return &apiError{code: 3, msg: fmt.Sprintf("Unknown parameter %s.", name), violation: true}
}

func errInvalid(name, why string) *apiError {
	msg := fmt.Sprintf("Invalid parameter %s.", name)
	if why != "" {
		msg = fmt.Sprintf("Invalid parameter %s: %s.", name, strings.TrimSuffix(why, "."))
	}
	return &apiError{code: 3, msg: msg, violation: true}
}

// checkFields applies the strict checks of ours that kin-openapi does not:
// unknown names, required names, file parts in the right fields, repeated
// scalar fields. It returns the typed object for schema validation.
func checkFields(b *bodySchema, form url.Values, files map[string]FilePart) (map[string]any, *apiError) {
	names := make([]string, 0, len(form)+len(files))
	for k := range form {
		names = append(names, k)
	}
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := b.props[k]; !ok {
			return nil, errUnknownParam(k)
		}
	}
	req := make([]string, 0, len(b.required))
	for k := range b.required {
		req = append(req, k)
	}
	sort.Strings(req)
	for _, k := range req {
		_, inForm := form[k]
		_, inFiles := files[k]
		if !inForm && !inFiles {
			return nil, errMissing(k)
		}
	}
	obj := map[string]any{}
	for _, k := range names {
		p := b.props[k]
		if _, isFile := files[k]; isFile {
			if !b.isFile(k) {
				return nil, errInvalid(k, "a file was sent for a text field")
			}
			obj[k] = "<file>"
			continue
		}
		vals := form[k]
		if b.isFile(k) {
			return nil, errInvalid(k, "a file part is expected")
		}
		if p.Type.Is("array") {
			arr := make([]any, len(vals))
			for i, v := range vals {
				arr[i] = v
			}
			obj[k] = arr
			continue
		}
		if len(vals) != 1 {
			return nil, errInvalid(k, "given more than once")
		}
		v := vals[0]
		switch {
		case p.Type.Is("integer"):
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, errInvalid(k, "not an integer")
			}
			obj[k] = float64(n)
		case p.Type.Is("number"):
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, errInvalid(k, "not a number")
			}
			obj[k] = f
		case p.Type.Is("boolean"):
			bv, err := strconv.ParseBool(v)
			if err != nil {
				return nil, errInvalid(k, "not a boolean")
			}
			obj[k] = bv
		default:
			obj[k] = v
		}
	}
	return obj, nil
}

// schemaError turns a kin-openapi validation error into a code-3 answer
// naming the field when it can.
func schemaError(err error) *apiError {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		ptr := se.JSONPointer()
		if len(ptr) > 0 {
			return errInvalid(ptr[0], se.Reason)
		}
		return &apiError{code: 3, msg: "Invalid parameters: " + se.Reason, violation: true}
	}
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		return schemaError(me[0])
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Err != nil && !errors.Is(re.Err, err) {
		return schemaError(re.Err)
	}
	return &apiError{code: 3, msg: "Invalid parameters: " + firstLine(err.Error()), violation: true}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var schemaOpts = []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()}

// validateObject validates obj against the media type's schema.
func validateObject(b *bodySchema, obj map[string]any) *apiError {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	// Field by field first, for messages that name the field (an allOf
	// failure only says "doesn't match all schemas").
	for _, k := range names {
		if err := b.props[k].VisitJSON(obj[k], schemaOpts...); err != nil {
			e := schemaError(err)
			var se *openapi3.SchemaError
			if errors.As(err, &se) {
				e = errInvalid(k, se.Reason)
			}
			return e
		}
	}
	if err := b.schema.VisitJSON(obj, schemaOpts...); err != nil {
		return schemaError(err)
	}
	return nil
}

// validateURLEncoded runs kin-openapi's own request-body validation on an
// urlencoded body (after our strict checks have passed).
func validateURLEncoded(ctx context.Context, op *operation, body []byte) *apiError {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://jbxtest.invalid"+op.path, bytes.NewReader(body))
	if err != nil {
		return &apiError{code: 6, msg: err.Error()}
	}
	req.Header.Set("Content-Type", ctForm)
	in := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   op.route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
		},
	}
	if err := openapi3filter.ValidateRequestBody(ctx, in, op.route.Operation.RequestBody.Value); err != nil {
		return schemaError(err)
	}
	return nil
}

// validateResponse checks one JSON answer against the contract.
func validateResponse(ctx context.Context, op *operation, status int, body []byte) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://jbxtest.invalid"+op.path, http.NoBody)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req,
			Route:   op.route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: http.Header{"Content-Type": []string{"application/json"}},
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
		},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, in)
}

func mediaType(h string) (string, map[string]string) {
	if h == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(h)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(h, ";", 2)[0])), nil
	}
	return mt, params
}

var _ = io.EOF
