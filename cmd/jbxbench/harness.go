package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jbx-go/jbxapi/client"
)

const (
	mib = 1 << 20
	gib = 1 << 30

	pagingItems    = 100_000
	pageSize       = 100
	smallCallsTime = time.Second
	simLatency     = 2 * time.Millisecond
	cliFiles       = 1000
	reps           = 5 // runs of each throughput scenario; the best counts

	heapBudget   = 32 * mib
	ratioBudget  = 0.85
	allocsBudget = 40
	itemsBudget  = 200_000
	scaleBudget  = 4
)

type options struct {
	long   bool
	jbxapi string
	only   string
}

// row is one line of the result table.
type row struct {
	scenario, server string
	client, baseline string
	ratio            string
	runs             int
	heap             string
	budget, result   string
}

type harness struct {
	opts     options
	rows     []row
	pass     int
	fail     int
	tmp      string
	children []*child
	bare     *http.Client
	clients  map[*child]*client.Client
}

func (h *harness) run() (failed int, err error) {
	h.tmp, err = os.MkdirTemp("", "jbxbench-*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(h.tmp)
	defer func() {
		for _, c := range h.children {
			c.stop()
		}
	}()
	bt := http.DefaultTransport.(*http.Transport).Clone()
	bt.MaxIdleConnsPerHost = 64
	h.bare = &http.Client{Transport: bt}

	fmt.Println(machine())
	start := time.Now()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"upload", h.uploads},
		{"download", h.downloads},
		{"paging", h.paging},
		{"small calls", h.smallCalls},
		{"cli", h.cli},
	}
	for _, s := range steps {
		if h.opts.only != "" && !strings.Contains(s.name, h.opts.only) {
			continue
		}
		fmt.Fprintf(os.Stderr, "jbxbench: %s ...\n", s.name)
		if err := s.fn(); err != nil {
			return 0, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	h.print(os.Stdout)
	fmt.Printf("\nbudgets: %d PASS, %d FAIL (%s)\n", h.pass, h.fail, time.Since(start).Round(time.Second))
	return h.fail, nil
}

func (h *harness) start(cfg serveConfig) (*child, error) {
	if cfg.pageSize == 0 {
		cfg.pageSize = pageSize
	}
	c, err := startChild(cfg)
	if err != nil {
		return nil, err
	}
	h.children = append(h.children, c)
	return c, nil
}

func (h *harness) stopChild(c *child) {
	for i, x := range h.children {
		if x == c {
			h.children = append(h.children[:i], h.children[i+1:]...)
			break
		}
	}
	c.stop()
}

func (h *harness) add(r row) {
	switch r.result {
	case "PASS":
		h.pass++
	case "FAIL":
		h.fail++
	}
	h.rows = append(h.rows, r)
	fmt.Fprintf(os.Stderr, "  %-44s %-12s %16s %16s %6s %9s %s %s\n", r.scenario, r.server, r.client, r.baseline, r.ratio, r.heap, r.budget, r.result)
}

func (h *harness) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tserver\tclient\tbaseline\tratio\truns\tpeak heap\tbudget\tresult")
	for _, r := range h.rows {
		runs := "-"
		if r.runs > 0 {
			runs = strconv.Itoa(r.runs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.scenario, r.server, r.client, r.baseline, r.ratio, runs, r.heap, r.budget, r.result)
	}
	_ = tw.Flush()
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

func heapMiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/mib) }

func sizeName(n int64) string {
	if n >= gib {
		return fmt.Sprintf("%d GiB", n/gib)
	}
	return fmt.Sprintf("%d MiB", n/mib)
}

// throughputRows adds the rows of a transfer: one with the ratio budget
// (when ratioChecked) and one with the heap budget (when heapChecked).
func (h *harness) throughputRows(name, server string, n int64, c, b measurement, runs int, ratioChecked, heapChecked bool) {
	r := row{scenario: name, server: server, heap: heapMiB(c.peakHeap), runs: runs}
	cf := mbps(n, c.dur)
	r.client = fmt.Sprintf("%.0f MB/s", cf)
	if b.dur > 0 {
		bf := mbps(n, b.dur)
		r.baseline = fmt.Sprintf("%.0f MB/s", bf)
		r.ratio = fmt.Sprintf("%.2f", cf/bf)
		if ratioChecked {
			r.budget = fmt.Sprintf("ratio >= %.2f", ratioBudget)
			r.result = verdict(cf/bf >= ratioBudget)
		}
	} else {
		r.baseline, r.ratio = "-", "-"
	}
	if heapChecked {
		hr := r
		if ratioChecked {
			h.add(r)
			hr.scenario = name + ": heap"
		}
		hr.budget = fmt.Sprintf("heap <= %d MiB", heapBudget/mib)
		hr.result = verdict(c.peakHeap <= heapBudget)
		h.add(hr)
		return
	}
	h.add(r)
}

// newClient returns the client for the server c: one per server, made on
// first use and reused by every run, as the bare baseline reuses its one
// http.Client. Both sides then measure warm keep-alive connections (a new
// client per run would pay a new connection and its TCP ramp-up in every
// client run and in no baseline run).
func (h *harness) newClient(c *child) (*client.Client, error) {
	if cl, ok := h.clients[c]; ok {
		return cl, nil
	}
	cl, err := client.New(client.WithBaseURL(c.url), client.WithAPIKey(apiKey), client.WithAcceptTAC(true))
	if err != nil {
		return nil, err
	}
	if h.clients == nil {
		h.clients = map[*child]*client.Client{}
	}
	h.clients[c] = cl
	return cl, nil
}

// sampleFile writes a file of n bytes of filler into the temporary folder.
func (h *harness) sampleFile(n int64) (*os.File, error) {
	f, err := os.Create(filepath.Join(h.tmp, fmt.Sprintf("sample-%d.bin", n)))
	if err != nil {
		return nil, err
	}
	block := make([]byte, 4*mib)
	for i := range block {
		block[i] = byte(i*7 + i>>12)
	}
	for left := n; left > 0; left -= int64(len(block)) {
		if _, err := f.Write(block[:min(left, int64(len(block)))]); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return f, nil
}

// ---- uploads

func (h *harness) uploads() error {
	disc, err := h.start(serveConfig{kind: "discard"})
	if err != nil {
		return err
	}
	jt, err := h.start(serveConfig{kind: "jbxtest"})
	if err != nil {
		return err
	}
	sizes := []int64{128 * mib, 512 * mib, gib}
	files := map[int64]*os.File{}
	for _, n := range sizes {
		f, err := h.sampleFile(n)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
		files[n] = f
	}
	for _, chunked := range []bool{true, false} {
		kind := "classic"
		if chunked {
			kind = "chunked"
		}
		for _, n := range sizes {
			f := files[n]
			name := fmt.Sprintf("upload %s %s", kind, sizeName(n))
			if n == gib && !h.opts.long {
				// the 1 GiB peak-heap check, without its baseline
				c, _, err := best(1, func() error { return h.clientUpload(disc, f, chunked) }, nil)
				if err != nil {
					return err
				}
				h.throughputRows(name, disc.name, n, c, measurement{}, 1, false, true)
				continue
			}
			c, b, runs, err := pair(n, func() error { return h.clientUpload(disc, f, chunked) },
				func() error { return h.bareUpload(disc, f, chunked) })
			if err != nil {
				return err
			}
			h.throughputRows(name, disc.name, n, c, b, runs, true, true)
			if n == 512*mib {
				c, b, err := best(1, func() error { return h.clientUpload(jt, f, chunked) },
					func() error { return h.bareUpload(jt, f, chunked) })
				if err != nil {
					return err
				}
				h.throughputRows(name, jt.name, n, c, b, 1, false, false)
			}
		}
	}
	// the physical limit: one POST of the *os.File, which net/http sends
	// with sendfile(2)
	f := files[512*mib]
	_, raw, err := best(reps, nil, func() error { return h.rawUpload(disc, f) })
	if err != nil {
		return err
	}
	h.add(row{scenario: "upload raw *os.File 512 MiB (sendfile)", server: disc.name, client: "-", runs: reps,
		baseline: fmt.Sprintf("%.0f MB/s", mbps(512*mib, raw.dur)), ratio: "-", heap: "-", budget: "information"})
	return nil
}

// pair measures client and baseline reps times each, alternately, and
// keeps the best of each. The machine may be shared: when the ratio misses
// its budget, it measures up to two more rounds of reps pairs, the best of
// all runs counting, and returns how many pairs it ran.
func pair(n int64, client, bare func() error) (c, b measurement, runs int, err error) {
	for round := 0; round < 3; round++ {
		rc, rb, err := best(reps, client, bare)
		if err != nil {
			return c, b, runs, err
		}
		runs += reps
		c, b = better(c, rc), better(b, rb)
		if mbps(n, c.dur)/mbps(n, b.dur) >= ratioBudget {
			break
		}
	}
	return c, b, runs, nil
}

func better(acc, m measurement) measurement {
	peak := max(acc.peakHeap, m.peakHeap)
	if acc.dur == 0 || m.dur < acc.dur {
		acc = m
	}
	acc.peakHeap = peak
	return acc
}

func (h *harness) clientUpload(srv *child, f *os.File, chunked bool) error {
	c, err := h.newClient(srv)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var opts []client.SubmitOption
	if !chunked {
		opts = append(opts, client.WithoutChunking())
	}
	_, err = c.SubmitSample(context.Background(), "sample.bin", f, nil, opts...)
	return err
}

// multipartBody is the bare equivalent of the client's streamed multipart
// body: a rendered head, a section of the file, a rendered tail.
func multipartBody(fields [][2]string, field, filename string, f *os.File, off, size int64) (string, io.Reader, int64) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range fields {
		_ = mw.WriteField(kv[0], kv[1])
	}
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	_, _ = mw.CreatePart(hdr)
	head := bytes.Clone(buf.Bytes())
	_ = mw.Close()
	tail := bytes.Clone(buf.Bytes()[len(head):])
	body := io.MultiReader(bytes.NewReader(head), io.NewSectionReader(f, off, size), bytes.NewReader(tail))
	return mw.FormDataContentType(), body, int64(len(head)) + size + int64(len(tail))
}

func (h *harness) post(u, ct string, body io.Reader, size int64, dst io.Writer) (int64, error) {
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		return 0, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", ct)
	resp, err := h.bare.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("%s: %s: %s", u, resp.Status, b)
	}
	return io.Copy(dst, resp.Body)
}

func (h *harness) postForm(u string, vals url.Values, dst io.Writer) (int64, error) {
	enc := vals.Encode()
	return h.post(u, "application/x-www-form-urlencoded", strings.NewReader(enc), int64(len(enc)), dst)
}

// bareUpload sends what the client sends, with net/http alone: for the
// chunked upload, submission/new then one request per 10 MiB chunk.
func (h *harness) bareUpload(srv *child, f *os.File, chunked bool) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if !chunked {
		ct, body, n := multipartBody([][2]string{{"accept-tac", "1"}, {"apikey", apiKey}}, "sample", "sample.bin", f, 0, size)
		_, err := h.post(srv.url+"/v2/submission/new", ct, body, n, io.Discard)
		return err
	}
	var answer bytes.Buffer
	if _, err := h.postForm(srv.url+"/v2/submission/new", url.Values{
		"apikey": {apiKey}, "accept-tac": {"1"}, "chunked-sample": {"sample.bin"}}, &answer); err != nil {
		return err
	}
	var env struct {
		Data struct {
			SubmissionID string `json:"submission_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(answer.Bytes(), &env); err != nil {
		return err
	}
	const chunk = client.DefaultChunkSize
	count := (size + chunk - 1) / chunk
	for i := int64(0); i < count; i++ {
		off := i * chunk
		n := min(chunk, size-off)
		ct, body, bn := multipartBody([][2]string{
			{"apikey", apiKey}, {"chunk-count", strconv.FormatInt(count, 10)}, {"chunk-size", strconv.Itoa(chunk)},
			{"current-chunk-index", strconv.FormatInt(i+1, 10)}, {"current-chunk-size", strconv.FormatInt(n, 10)},
			{"file-size", strconv.FormatInt(size, 10)}, {"submission_id", env.Data.SubmissionID},
		}, "chunk", "chunk", f, off, n)
		if _, err := h.post(srv.url+"/v2/submission/chunked-sample", ct, body, bn, io.Discard); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) rawUpload(srv *child, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	// not a valid submission: the discarding server reads and drops it.
	// net/http unwraps the NopCloser (which keeps it from closing f) and
	// sends the file with sendfile(2).
	_, err = h.post(srv.url+"/v2/submission/new", "application/octet-stream", io.NopCloser(f), st.Size(), io.Discard)
	return err
}

// ---- downloads

func (h *harness) downloads() error {
	for _, n := range []int64{gib, 128 * mib} {
		disc, err := h.start(serveConfig{kind: "discard", downloadSize: n})
		if err != nil {
			return err
		}
		for _, toFile := range []bool{true, false} {
			if n != gib && toFile {
				continue
			}
			dest := "io.Discard"
			if toFile {
				dest = "file"
			}
			c, b, runs, err := pair(n, func() error { return h.clientDownload(disc, "1", n, toFile) },
				func() error { return h.bareDownload(disc, "1", n, toFile) })
			if err != nil {
				return err
			}
			h.throughputRows(fmt.Sprintf("download %s to %s", sizeName(n), dest), disc.name, n, c, b, runs, n == gib, true)
		}
		h.stopChild(disc)
	}
	jt, err := h.start(serveConfig{kind: "jbxtest", downloadSize: gib, items: 1})
	if err != nil {
		return err
	}
	defer h.stopChild(jt)
	webid, err := h.webid(jt)
	if err != nil {
		return err
	}
	c, b, err := best(1, func() error { return h.clientDownload(jt, webid, gib, false) },
		func() error { return h.bareDownload(jt, webid, gib, false) })
	if err != nil {
		return err
	}
	h.throughputRows("download 1 GiB to io.Discard", jt.name, gib, c, b, 1, false, false)
	return nil
}

// webid returns the id of an analysis jbxtest knows (any id does for the
// discarding server).
func (h *harness) webid(srv *child) (string, error) {
	if !strings.HasPrefix(srv.name, "jbxtest") {
		return "1", nil
	}
	c, err := h.newClient(srv)
	if err != nil {
		return "", err
	}
	items, _, err := c.AnalysisListPage(context.Background(), "")
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "", errors.New("jbxtest has no analysis")
	}
	return items[0].Webid, nil
}

func (h *harness) dest(toFile bool) (io.Writer, func() error, error) {
	if !toFile {
		return io.Discard, func() error { return nil }, nil
	}
	f, err := os.Create(filepath.Join(h.tmp, "download.bin"))
	if err != nil {
		return nil, nil, err
	}
	return f, func() error { err := f.Close(); _ = os.Remove(f.Name()); return err }, nil
}

func (h *harness) clientDownload(srv *child, webid string, n int64, toFile bool) error {
	c, err := h.newClient(srv)
	if err != nil {
		return err
	}
	w, done, err := h.dest(toFile)
	if err != nil {
		return err
	}
	got, gotErr := func() (int64, error) {
		_, got, err := c.AnalysisDownload(context.Background(), webid, "memdumps", w)
		return got, err
	}()
	if err := errors.Join(gotErr, done()); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("downloaded %d bytes, want %d", got, n)
	}
	return nil
}

func (h *harness) bareDownload(srv *child, webid string, n int64, toFile bool) error {
	w, done, err := h.dest(toFile)
	if err != nil {
		return err
	}
	got, err := h.postForm(srv.url+"/v2/analysis/download", url.Values{"apikey": {apiKey}, "webid": {webid}, "type": {"memdumps"}}, w)
	if err := errors.Join(err, done()); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("downloaded %d bytes, want %d", got, n)
	}
	return nil
}

// ---- paging

func (h *harness) paging() error {
	disc, err := h.start(serveConfig{kind: "discard", items: pagingItems})
	if err != nil {
		return err
	}
	defer h.stopChild(disc)
	c, b, err := best(reps, func() error { return h.clientPaging(disc) }, func() error { return h.barePaging(disc) })
	if err != nil {
		return err
	}
	h.pagingRows(disc.name, c, b, reps, true)

	jt, err := h.start(serveConfig{kind: "jbxtest", items: pagingItems})
	if err != nil {
		return err
	}
	defer h.stopChild(jt)
	c, b, err = best(1, func() error { return h.clientPaging(jt) }, func() error { return h.barePaging(jt) })
	if err != nil {
		return err
	}
	h.pagingRows(jt.name, c, b, 1, false)
	return nil
}

func (h *harness) pagingRows(server string, c, b measurement, runs int, checked bool) {
	name := fmt.Sprintf("paging %d analyses (pages of %d)", pagingItems, pageSize)
	cf := pagingItems / c.dur.Seconds()
	bf := pagingItems / b.dur.Seconds()
	allocs := float64(c.mallocs) / pagingItems
	r := row{scenario: name, server: server, client: fmt.Sprintf("%.0f items/s", cf), baseline: fmt.Sprintf("%.0f items/s", bf),
		ratio: fmt.Sprintf("%.2f", cf/bf), heap: heapMiB(c.peakHeap), runs: runs}
	if checked {
		r.budget = fmt.Sprintf(">= %d items/s", itemsBudget)
		r.result = verdict(cf >= itemsBudget)
	}
	h.add(r)
	a := row{scenario: name + ": allocs", server: server, client: fmt.Sprintf("%.1f allocs/item", allocs),
		baseline: fmt.Sprintf("%.1f allocs/item", float64(b.mallocs)/pagingItems), ratio: "-", heap: "-", runs: runs}
	if checked {
		a.budget = fmt.Sprintf("<= %d allocs/item", allocsBudget)
		a.result = verdict(allocs <= allocsBudget)
	}
	h.add(a)
}

func (h *harness) clientPaging(srv *child) error {
	c, err := h.newClient(srv)
	if err != nil {
		return err
	}
	n := 0
	for _, err := range c.Analyses(context.Background()) {
		if err != nil {
			return err
		}
		n++
	}
	if n != pagingItems {
		return fmt.Errorf("listed %d analyses, want %d", n, pagingItems)
	}
	return nil
}

// barePaging fetches the same pages; it finds the next token with a byte
// search instead of decoding the items.
func (h *harness) barePaging(srv *child) error {
	var buf bytes.Buffer
	tok := ""
	marker := []byte(`"next":"`)
	for pages := 0; ; pages++ {
		if pages > pagingItems {
			return errors.New("too many pages")
		}
		buf.Reset()
		vals := url.Values{"apikey": {apiKey}, "pagination": {"1"}}
		if tok != "" {
			vals.Set("pagination_next", tok)
		}
		if _, err := h.postForm(srv.url+"/v2/analysis/list", vals, &buf); err != nil {
			return err
		}
		i := bytes.Index(buf.Bytes(), marker)
		if i < 0 {
			return nil
		}
		rest := buf.Bytes()[i+len(marker):]
		tok = string(rest[:bytes.IndexByte(rest, '"')])
	}
}

// ---- small calls

func (h *harness) smallCalls() error {
	for _, cfg := range []serveConfig{
		{kind: "discard"},
		{kind: "discard", latency: simLatency},
		{kind: "jbxtest", items: 1},
	} {
		srv, err := h.start(cfg)
		if err != nil {
			return err
		}
		webid, err := h.webid(srv)
		if err != nil {
			return err
		}
		c, err := h.newClient(srv)
		if err != nil {
			return err
		}
		ctx := context.Background()
		calls := []struct {
			name       string
			client     func() error
			bare       func() error
			bareBuffer bool
		}{
			{"server/online", func() error { _, err := c.ServerOnline(ctx); return err },
				func() error {
					_, err := h.postForm(srv.url+"/v2/server/online", url.Values{"apikey": {apiKey}}, io.Discard)
					return err
				}, false},
			{"analysis/info", func() error { _, err := c.AnalysisInfo(ctx, webid); return err },
				func() error {
					_, err := h.postForm(srv.url+"/v2/analysis/info", url.Values{"apikey": {apiKey}, "webid": {webid}}, io.Discard)
					return err
				}, false},
		}
		for _, call := range calls {
			seq, err := rate(1, call.client)
			if err != nil {
				return err
			}
			par, err := rate(16, call.client)
			if err != nil {
				return err
			}
			if cfg.latency > 0 {
				ratio := par / seq
				h.add(row{scenario: "small calls " + call.name + ": 16 goroutines vs 1", server: srv.name,
					client: fmt.Sprintf("%.0f calls/s", par), baseline: fmt.Sprintf("%.0f calls/s", seq),
					ratio: fmt.Sprintf("%.2f", ratio), heap: "-", budget: fmt.Sprintf("ratio >= %d", scaleBudget), result: verdict(ratio >= scaleBudget)})
				continue
			}
			bseq, err := rate(1, call.bare)
			if err != nil {
				return err
			}
			bpar, err := rate(16, call.bare)
			if err != nil {
				return err
			}
			h.add(row{scenario: "small calls " + call.name + ": sequential", server: srv.name,
				client: fmt.Sprintf("%.0f calls/s", seq), baseline: fmt.Sprintf("%.0f calls/s", bseq),
				ratio: fmt.Sprintf("%.2f", seq/bseq), heap: "-", budget: "information"})
			h.add(row{scenario: "small calls " + call.name + ": 16 goroutines", server: srv.name,
				client: fmt.Sprintf("%.0f calls/s", par), baseline: fmt.Sprintf("%.0f calls/s", bpar),
				ratio: fmt.Sprintf("%.2f", par/bpar), heap: "-", budget: fmt.Sprintf("information (x%.2f of sequential)", par/seq)})
		}
		h.stopChild(srv)
	}
	return nil
}

// rate calls fn from g goroutines for smallCallsTime and returns calls/s.
func rate(g int, fn func() error) (float64, error) {
	// warm the connections up
	if err := fn(); err != nil {
		return 0, err
	}
	var (
		n        atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	deadline := start.Add(smallCallsTime)
	for range g {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := fn(); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// ---- the CLI

func (h *harness) cli() error {
	name := fmt.Sprintf("cli submit folder of %d files", cliFiles)
	if h.opts.jbxapi == "" {
		h.add(row{scenario: name, server: "-", client: "skipped (no -jbxapi)", baseline: "-", ratio: "-", heap: "-", budget: "information"})
		return nil
	}
	dir := filepath.Join(h.tmp, "folder")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for i := range cliFiles {
		data := bytes.Repeat(fmt.Appendf(nil, "sample %04d ", i), 200)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%04d.bin", i)), data, 0o644); err != nil {
			return err
		}
	}
	for _, lat := range []time.Duration{0, simLatency} {
		srv, err := h.start(serveConfig{kind: "jbxtest", latency: lat})
		if err != nil {
			return err
		}
		var seq float64
		for _, jobs := range []int{1, 4, 16} {
			cmd := exec.Command(h.opts.jbxapi, "submit", "--jobs", strconv.Itoa(jobs), dir)
			cmd.Env = append(os.Environ(), "JBX_API_URL="+srv.url, "JBX_API_KEY="+apiKey, "JBX_ACCEPT_TAC=1")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("jbxapi submit --jobs %d: %w: %s", jobs, err, stderr.Bytes())
			}
			r := cliFiles / time.Since(start).Seconds()
			if jobs == 1 {
				seq = r
			}
			h.add(row{scenario: fmt.Sprintf("%s, --jobs %d", name, jobs), server: srv.name,
				client: fmt.Sprintf("%.0f samples/s", r), baseline: "-", ratio: fmt.Sprintf("x%.2f of --jobs 1", r/seq), heap: "-", budget: "information"})
		}
		h.stopChild(srv)
	}
	return nil
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d CPUs (GOMAXPROCS %d), %s %s/%s, load average %s, %s",
		cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, load,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}
