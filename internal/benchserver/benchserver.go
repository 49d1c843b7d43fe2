// Package benchserver is the cheapest valid Joe Sandbox, for benchmarks: it
// answers the endpoints the benchmarks use with canned bytes shaped like the
// answers of package client/jbxtest, precomputed when it is made, and reads
// and discards request bodies. It accepts any API key and checks nothing,
// so that what a benchmark measures is the client, not the server.
package benchserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// Config says what a server made by New serves.
type Config struct {
	// Items is the number of analyses analysis/list lists, webids Items
	// down to 1, newest first; none when it is 0.
	Items int
	// PageSize is the number of analyses on each analysis/list page; it
	// must be positive when Items is.
	PageSize int
	// DownloadSize is the size in bytes of every analysis/download answer.
	DownloadSize int64
}

// server is the handler New returns.
type server struct {
	online, info []byte
	pages        map[string][]byte // by pagination_next ("" is the first)
	blob         []byte            // filler the downloads are written from
	downloadSize int64
}

// New returns a handler that answers, under any path prefix ending in
// /v2/..., server/online, analysis/info (an answer recorded from jbxtest),
// analysis/list (Items analyses in pages of PageSize), submission/new,
// submission/chunked-sample and analysis/download (DownloadSize bytes), and
// every other endpoint with a Joe Sandbox "unknown endpoint" error. It
// returns an error for a Config it cannot serve.
func New(cfg Config) (http.Handler, error) {
	switch {
	case cfg.Items < 0:
		return nil, fmt.Errorf("benchserver: negative Items %d", cfg.Items)
	case cfg.Items > 0 && cfg.PageSize <= 0:
		return nil, fmt.Errorf("benchserver: PageSize %d with %d items", cfg.PageSize, cfg.Items)
	case cfg.DownloadSize < 0:
		return nil, fmt.Errorf("benchserver: negative DownloadSize %d", cfg.DownloadSize)
	}
	info, err := recordInfo()
	if err != nil {
		return nil, err
	}
	s := &server{
		online:       []byte(`{"data":{"online":true}}`),
		info:         info,
		pages:        map[string][]byte{},
		blob:         bytes.Repeat([]byte("jbxbench filler."), 256<<10/16),
		downloadSize: cfg.DownloadSize,
	}
	// pages of analyses numbered Items..1, newest first; the token of the
	// next page is "a" + the webid it starts after, so each is new
	tok := ""
	for start := 0; start < cfg.Items; start += cfg.PageSize {
		end := min(start+cfg.PageSize, cfg.Items)
		var b bytes.Buffer
		b.WriteString(`{"data":[`)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"webid":"%d"}`, cfg.Items-i)
		}
		b.WriteByte(']')
		next := ""
		if end < cfg.Items {
			next = "a" + strconv.Itoa(cfg.Items-end+1)
			fmt.Fprintf(&b, `,"pagination":{"next":"%s"}`, next)
		}
		b.WriteByte('}')
		s.pages[tok] = b.Bytes()
		tok = next
	}
	if len(s.pages) == 0 {
		s.pages[""] = []byte(`{"data":[]}`)
	}
	return s, nil
}

// recordInfo returns what jbxtest answers to analysis/info, so that the
// canned answer has the size and shape of a real one.
func recordInfo() ([]byte, error) {
	jh := jbxtest.NewHandler(jbxtest.WithAnalysisDuration(0))
	webid := jh.SeedAnalyses(1)[0]
	rr := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v2/analysis/info",
		strings.NewReader("apikey="+jbxtest.DefaultAPIKey+"&webid="+webid))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	jh.ServeHTTP(rr, req)
	if rr.Code != http.StatusOK {
		return nil, fmt.Errorf("benchserver: recording analysis/info: %d %s", rr.Code, rr.Body)
	}
	return rr.Body.Bytes(), nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path[strings.Index(r.URL.Path, "/v2/")+1:]
	var page []byte
	if path == "v2/analysis/list" {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		page = s.pages[r.PostForm.Get("pagination_next")]
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch path {
	case "v2/server/online":
		_, _ = w.Write(s.online)
	case "v2/analysis/info":
		_, _ = w.Write(s.info)
	case "v2/analysis/list":
		if page == nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errors":[{"code":3,"message":"Invalid parameter pagination_next."}]}`))
			return
		}
		_, _ = w.Write(page)
	case "v2/submission/new":
		_, _ = w.Write([]byte(`{"data":{"submission_id":"1"}}`))
	case "v2/submission/chunked-sample":
		_, _ = w.Write([]byte(`{"data":{}}`))
	case "v2/analysis/download":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="resource.bin"`)
		w.Header().Set("Content-Length", strconv.FormatInt(s.downloadSize, 10))
		for left := s.downloadSize; left > 0; left -= int64(len(s.blob)) {
			if _, err := w.Write(s.blob[:min(left, int64(len(s.blob)))]); err != nil {
				return
			}
		}
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errors":[{"code":2,"message":"Unknown endpoint."}]}`))
	}
}
