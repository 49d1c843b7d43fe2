package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"sync"

	"github.com/jbx-go/jbxapi/client"
)

// recorder is the transport of the CLI's client: it keeps a copy of every
// successful JSON answer, so that a command can print the "data" of the
// answer exactly as the server sent it (every field, nulls included), as
// the official command line does, instead of re-encoding the typed result.
// Binary answers (downloads) pass through untouched.
type recorder struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
}

const maxRecorded = 256 << 20

func newRecorder(insecure bool) *recorder {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --no-check-certificate
	}
	return &recorder{base: t}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecorded))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.mu.Unlock()
	return resp, nil
}

func dataOf(body []byte) (json.RawMessage, bool) {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Data == nil {
		return nil, false
	}
	return env.Data, true
}

// last returns the "data" of the last answer.
func (r *recorder) last() (json.RawMessage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		return nil, false
	}
	return dataOf(r.bodies[len(r.bodies)-1])
}

// pages returns the "data" lists of all answers joined into one list (the
// pages of a paginated list).
func (r *recorder) pages() (json.RawMessage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := []json.RawMessage{}
	for _, b := range r.bodies {
		d, ok := dataOf(b)
		if !ok {
			return nil, false
		}
		var items []json.RawMessage
		if err := json.Unmarshal(d, &items); err != nil {
			return nil, false
		}
		all = append(all, items...)
	}
	if len(r.bodies) == 0 {
		return nil, false
	}
	out, err := json.Marshal(all)
	if err != nil {
		return nil, false
	}
	return out, true
}

// callAndPrint creates a client, runs call and prints the data of the
// server's answer in format o (paged: the answers are pages of one list).
func (a *app) callAndPrint(o outputFormat, paged bool, call func(c *client.Client) (any, error)) error {
	c, rec, err := a.newRecordingClient("")
	if err != nil {
		return err
	}
	v, err := call(c)
	if err != nil {
		return err
	}
	return a.emit(recorded(rec, v, paged), o)
}

// recorded returns the raw data the recorder saw, or v if it saw none.
func recorded(rec *recorder, v any, paged bool) any {
	var raw json.RawMessage
	var ok bool
	if paged {
		raw, ok = rec.pages()
	} else {
		raw, ok = rec.last()
	}
	if ok {
		return raw
	}
	return v
}
