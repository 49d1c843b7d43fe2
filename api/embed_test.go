package api_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/api"
)

// TestSpecLoads checks that the embedded spec parses and passes kin-openapi's
// validation, and that Load hands out independent documents.
func TestSpecLoads(t *testing.T) {
	doc, err := api.Load()
	require.NoError(t, err)
	assert.Equal(t, "3.0.3", doc.OpenAPI)
	assert.Len(t, doc.Paths.Map(), 29, "every v2 endpoint")

	doc.Servers = nil
	again, err := api.Load()
	require.NoError(t, err)
	assert.Len(t, again.Servers, 3, "a change to one document must not leak into the next")
}

func TestSpecYAMLIsACopy(t *testing.T) {
	b := api.YAML()
	require.NotEmpty(t, b)
	b[0] = 'X'
	assert.NotEqual(t, byte('X'), api.YAML()[0])
}
