package client_test

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jbx-go/jbxapi/client"
	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// newTLSFake serves the fake Joe Sandbox over TLS with httptest's
// self-signed certificate (valid for 127.0.0.1 and example.com).
func newTLSFake(t *testing.T) (*httptest.Server, *jbxtest.Handler) {
	t.Helper()
	h := jbxtest.NewHandler()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, h
}

const tlsHint = "client.WithInsecureSkipVerify() or the command line's --no-check-certificate"

func TestTLSSelfSignedRefusedByDefault(t *testing.T) {
	ts, h := newTLSFake(t)
	c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(h.APIKey()), client.WithRetries(0))
	require.NoError(t, err)

	_, err = c.ServerOnline(context.Background())
	var ce *client.ConnectionError
	require.ErrorAs(t, err, &ce)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown, "the cause stays reachable")
	assert.Contains(t, err.Error(), tlsHint, "the error says how to opt out")
	assert.NotContains(t, err.Error(), h.APIKey())
	assert.Empty(t, h.Requests(), "nothing reached the server before the certificate was checked")
}

func TestTLSRefusedCertificateIsNotRetried(t *testing.T) {
	h := jbxtest.NewHandler()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	// default retries: a certificate that failed verification fails the
	// same way on every attempt, so the client gives up at once.
	c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(h.APIKey()))
	require.NoError(t, err)
	_, err = c.ServerOnline(context.Background())
	var ce *client.ConnectionError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), tlsHint)
	assert.EqualValues(t, 1, conns.Load(), "one handshake, no retry")
}

func TestTLSInsecureSkipVerifyAccepts(t *testing.T) {
	ts, h := newTLSFake(t)
	c, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(h.APIKey()), client.WithInsecureSkipVerify())
	require.NoError(t, err)

	online, err := c.ServerOnline(context.Background())
	require.NoError(t, err)
	assert.True(t, online)
	require.Len(t, h.Requests(), 1)
	assert.Equal(t, h.APIKey(), h.Requests()[0].Form.Get("apikey"))
}

func TestTLSTrustedCertificateButWrongHost(t *testing.T) {
	ts, h := newTLSFake(t)
	// ts.Client() trusts the certificate, which names 127.0.0.1 but not
	// localhost: verification is on, and a host mismatch gets the hint too.
	good, err := client.New(client.WithBaseURL(ts.URL+"/api"), client.WithAPIKey(h.APIKey()), client.WithHTTPClient(ts.Client()))
	require.NoError(t, err)
	_, err = good.ServerOnline(context.Background())
	require.NoError(t, err)

	wrongHost := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	bad, err := client.New(client.WithBaseURL(wrongHost+"/api"), client.WithAPIKey(h.APIKey()),
		client.WithHTTPClient(ts.Client()), client.WithRetries(0))
	require.NoError(t, err)
	_, err = bad.ServerOnline(context.Background())
	var host x509.HostnameError
	require.ErrorAs(t, err, &host)
	assert.Contains(t, err.Error(), tlsHint)
}

func TestConnectionErrorWithoutHintWhenNotTLS(t *testing.T) {
	ts := httptest.NewServer(jbxtest.NewHandler())
	url := ts.URL
	ts.Close()
	c, err := client.New(client.WithBaseURL(url+"/api"), client.WithAPIKey(jbxtest.DefaultAPIKey), client.WithRetries(0))
	require.NoError(t, err)
	_, err = c.ServerOnline(context.Background())
	var ce *client.ConnectionError
	require.ErrorAs(t, err, &ce)
	assert.NotContains(t, err.Error(), "--no-check-certificate")
}
