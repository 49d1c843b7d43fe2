package jbxtest

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jbx-go/jbxapi/gen"
)

type jlImage struct {
	id, description string
	time            time.Time
}

type machine struct {
	id          string
	images      []*jlImage
	nextImage   int
	internet    bool
	exitpoint   string
	recording   bool
	pcapStarted bool
	files       map[string]*blob
	chunks      map[string]*chunkUpload
}

func newMachine(id string, now time.Time) *machine {
	return &machine{
		id:        id,
		images:    []*jlImage{{id: "default", description: "The image the machine was installed with", time: now.UTC().Truncate(time.Second)}},
		internet:  true,
		exitpoint: "direct",
		files:     map[string]*blob{},
		chunks:    map[string]*chunkUpload{},
	}
}

var exitpoints = []gen.JoelabExitpoint{
	{Name: "direct", Description: ptr("Direct internet access through the Joe Lab uplink")},
	{Name: "vpn-de", Description: ptr("VPN exit point in Germany")},
	{Name: "vpn-us", Description: ptr("VPN exit point in the United States")},
	{Name: "tor", Description: ptr("The Tor network")},
}

// machineEndpoint turns fn, which handles a call about one Joe Lab machine,
// into an endpoint: a call that changes the machine (changes) needs the terms
// accepted first; then fn runs with h.mu held on the machine the form names.
func machineEndpoint(changes bool, fn func(h *Handler, c *call, m *machine) (any, *apiError)) endpointFunc {
	return func(h *Handler, c *call) (any, *apiError) {
		if changes {
			if e := h.needTerms(c); e != nil {
				return nil, e
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		m, e := h.machineOf(c)
		if e != nil {
			return nil, e
		}
		return fn(h, c, m)
	}
}

// machineOf finds the machine named in the form; h.mu is held.
func (h *Handler) machineOf(c *call) (*machine, *apiError) {
	id := c.form.Get("machine")
	m := h.st.machines[id]
	if m == nil {
		return nil, errUnknownID("machine", id)
	}
	return m, nil
}

func epJoelabMachineInfo(h *Handler, c *call, m *machine) (any, *apiError) {
	status := "idle"
	if m.recording {
		status = "recording"
	}
	return gen.JoelabMachine{Machine: ptr(m.id), Description: ptr("Joe Lab machine " + m.id + " (jbxtest)"), Status: ptr(status),
		AdditionalProperties: map[string]any{"images": len(m.images), "internet-enabled": m.internet}}, nil
}

func (m *machine) imageList() []gen.JoelabImage {
	out := []gen.JoelabImage{}
	for _, im := range m.images {
		t := im.time
		out = append(out, gen.JoelabImage{Image: ptr(im.id), Description: ptr(im.description), Time: &t})
	}
	return out
}

func epJoelabImagesList(h *Handler, c *call, m *machine) (any, *apiError) {
	return m.imageList(), nil
}

func epJoelabImagesCapture(h *Handler, c *call, m *machine) (any, *apiError) {
	now := h.st.now().UTC().Truncate(time.Second)
	id := c.form.Get("image")
	if id == "" {
		m.nextImage++
		id = "image-" + strconv.Itoa(m.nextImage)
	}
	for _, im := range m.images {
		if im.id == id {
			im.time = now
			return map[string]any{"image": id}, nil
		}
	}
	m.images = append(m.images, &jlImage{id: id, description: "Captured by jbxtest", time: now})
	return map[string]any{"image": id}, nil
}

func epJoelabImagesReset(h *Handler, c *call, m *machine) (any, *apiError) {
	id := c.form.Get("image")
	if id == "" {
		id = m.images[0].id
	}
	for _, im := range m.images {
		if im.id == id {
			m.recording = false
			return map[string]any{"image": id}, nil
		}
	}
	return nil, errUnknownID("image", id)
}

func (m *machine) network() gen.JoelabNetwork {
	return gen.JoelabNetwork{InternetEnabled: ptr(m.internet), InternetExitpoint: ptr(m.exitpoint)}
}

func epJoelabNetworkInfo(h *Handler, c *call, m *machine) (any, *apiError) {
	return m.network(), nil
}

func epJoelabNetworkUpdate(h *Handler, c *call, m *machine) (any, *apiError) {
	if v, ok := c.form["internet-exitpoint"]; ok {
		found := false
		for _, x := range exitpoints {
			if x.Name == v[0] {
				found = true
			}
		}
		if !found {
			return nil, errUnknownID("internet-exitpoint", v[0])
		}
		m.exitpoint = v[0]
	}
	if v, ok := c.form["internet-enabled"]; ok {
		m.internet = v[0] == "1"
	}
	n := m.network()
	return map[string]any{"internet-enabled": *n.InternetEnabled, "internet-exitpoint": *n.InternetExitpoint}, nil
}

func epJoelabPcapStart(h *Handler, c *call, m *machine) (any, *apiError) {
	m.recording, m.pcapStarted = true, true
	return map[string]any{"recording": true}, nil
}

func epJoelabPcapStop(h *Handler, c *call, m *machine) (any, *apiError) {
	if !m.recording {
		return nil, &apiError{code: 3, msg: fmt.Sprintf("Invalid parameter machine: no PCAP recording is running on %s.", m.id)}
	}
	m.recording = false
	return map[string]any{"recording": false}, nil
}

func epJoelabPcapDownload(h *Handler, c *call, m *machine) (any, *apiError) {
	if !m.pcapStarted {
		return nil, &apiError{code: 3, msg: fmt.Sprintf("Invalid parameter machine: no PCAP has been recorded on %s.", m.id)}
	}
	name := "joelab-" + m.id + ".pcap"
	if h.cfg.resourceSize > 0 {
		return fillerDownload(name, h.cfg.resourceSize), nil
	}
	return bytesDownload(name, pcapBytes("joelab "+m.id)), nil
}

// uploadPath is where a Joe Lab upload goes: the form's path, or the
// uploaded file's base name on the desktop.
func uploadPath(c *call, filename string) string {
	if p := c.form.Get("path"); p != "" {
		return p
	}
	base := baseName(filename)
	if base == "" {
		base = "upload.bin"
	}
	return `C:\Users\joe\Desktop\` + base
}

func baseName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	b := path.Base(p)
	if b == "." || b == "/" {
		return ""
	}
	return b
}

func epJoelabUpload(h *Handler, c *call, m *machine) (any, *apiError) {
	f := c.files["file"]
	p := uploadPath(c, f.Filename)
	b := blobFromUpload(f)
	b.name = p
	m.files[p] = b
	delete(m.chunks, p)
	return map[string]any{"path": p, "size": f.Size}, nil
}

func epJoelabUploadChunked(h *Handler, c *call, m *machine) (any, *apiError) {
	part := c.files["chunk"]
	p := uploadPath(c, part.Filename)
	f := parseChunkFields(c)
	u := m.chunks[p]
	if u != nil && u.begun && u.next > u.f.count && f.index == 1 && (f != u.f || len(u.sums) == 0 || u.sums[0] != part.SHA256) {
		u = nil // a new upload to the same path
	}
	if u != nil && u.begun && u.next <= u.f.count && f.index == 1 && u.next > 1 && (f.fileSize != u.f.fileSize || f.chunkSize != u.f.chunkSize) {
		u = nil // an abandoned upload restarted with other sizes
	}
	if u == nil {
		u = &chunkUpload{name: p}
	}
	complete, e := u.add(f, part, h.cfg.keepThreshold)
	if e != nil {
		return nil, e
	}
	m.chunks[p] = u
	if complete {
		m.files[p] = u.blob()
	}
	return map[string]any{"path": p, "current-chunk-index": f.index, "complete": complete}, nil
}

func epJoelabDownload(h *Handler, c *call, m *machine) (any, *apiError) {
	p := c.form.Get("path")
	b := m.files[p]
	if b == nil {
		return nil, errUnknownID("path", p)
	}
	if !b.kept {
		return nil, &apiError{code: 3, msg: "Invalid parameter path: the file is too large for jbxtest to keep."}
	}
	name := baseName(p)
	if name == "" {
		name = "download.bin"
	}
	return bytesDownload(name, b.data), nil
}

func epJoelabExitpoints(h *Handler, c *call) (any, *apiError) { return exitpoints, nil }
