package client

import (
	"context"
	"errors"
	"io"
	"net/url"

	"github.com/jbx-go/jbxapi/client/internal/form"
	"github.com/jbx-go/jbxapi/gen"
)

// JoelabMachineInfo returns information about a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabMachineInfo(ctx context.Context, machine string) (*JoelabMachine, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	var env gen.JoelabMachineEnvelope
	if err := c.call(ctx, c.gen.JoelabMachineInfoWithBody, gen.MachineForm{Apikey: c.apiKey, Machine: machine}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// JoelabImagesList lists the disk images of a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabImagesList(ctx context.Context, machine string) ([]JoelabImage, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	var env gen.JoelabImageListEnvelope
	if err := c.call(ctx, c.gen.JoelabImagesListWithBody, gen.MachineForm{Apikey: c.apiKey, Machine: machine}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// JoelabImagesCapture captures the disk image of a Joe Lab machine; image
// names it ("" lets the server choose). A blank machine is an [*InputError].
func (c *Client) JoelabImagesCapture(ctx context.Context, machine, image string) (OpenObject, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	return c.callOpen(ctx, c.gen.JoelabImagesCaptureWithBody,
		gen.MachineImageForm{Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine, Image: image}, nil)
}

// JoelabImagesReset resets the disk of a Joe Lab machine to image ("" for
// the default image). A blank machine is an [*InputError].
func (c *Client) JoelabImagesReset(ctx context.Context, machine, image string) (OpenObject, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	return c.callOpen(ctx, c.gen.JoelabImagesResetWithBody,
		gen.MachineImageForm{Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine, Image: image}, nil)
}

// JoelabNetworkInfo returns the network settings of a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabNetworkInfo(ctx context.Context, machine string) (*JoelabNetwork, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	var env gen.JoelabNetworkEnvelope
	if err := c.call(ctx, c.gen.JoelabNetworkInfoWithBody, gen.MachineForm{Apikey: c.apiKey, Machine: machine}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// NetworkSettings are the settings [Client.JoelabNetworkUpdate] changes.
// Zero values are not sent.
type NetworkSettings struct {
	InternetEnabled   Flag       // internet-enabled
	InternetExitpoint string     // internet-exitpoint, see JoelabInternetExitpoints
	Extra             url.Values // further fields, sent as they are
}

// JoelabNetworkUpdate changes the network settings of a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabNetworkUpdate(ctx context.Context, machine string, s NetworkSettings) (OpenObject, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	return c.callOpen(ctx, c.gen.JoelabNetworkUpdateWithBody, gen.JoelabNetworkUpdateForm{
		Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine,
		InternetEnabled: s.InternetEnabled, InternetExitpoint: s.InternetExitpoint,
	}, s.Extra)
}

// JoelabPcapStart starts recording the network traffic of a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabPcapStart(ctx context.Context, machine string) (OpenObject, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	return c.callOpen(ctx, c.gen.JoelabPcapStartWithBody, gen.MachineChangeForm{Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine}, nil)
}

// JoelabPcapStop stops recording the network traffic of a Joe Lab machine.
// A blank machine is an [*InputError].
func (c *Client) JoelabPcapStop(ctx context.Context, machine string) (OpenObject, error) {
	if err := required("machine", machine); err != nil {
		return nil, err
	}
	return c.callOpen(ctx, c.gen.JoelabPcapStopWithBody, gen.MachineChangeForm{Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine}, nil)
}

// JoelabInternetExitpoints lists the internet exit points available.
func (c *Client) JoelabInternetExitpoints(ctx context.Context) ([]JoelabExitpoint, error) {
	var env gen.JoelabExitpointListEnvelope
	if err := c.call(ctx, c.gen.JoelabInternetExitpointsListWithBody, gen.ApikeyForm{Apikey: c.apiKey}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// JoelabFilesystemUpload uploads r to a Joe Lab machine, to targetPath (""
// lets the server choose). name is the file name sent by the classic upload
// ("" takes the name of an *os.File, else "file").
//
// Like [Client.SubmitSample], a sized input (io.Seeker, or io.ReaderAt with
// Size) is sent in chunks on joelab/filesystem/upload-chunked; a server
// without that endpoint (code 8), a plain io.Reader or an empty input gets
// the classic upload. An empty file is a valid upload (it creates an empty
// file on the machine). A blank machine, a nil r ("file") or a sized r read
// past its end is an [*InputError].
func (c *Client) JoelabFilesystemUpload(ctx context.Context, machine, name string, r io.Reader, targetPath string) (OpenObject, error) {
	if err := firstErr(required("machine", machine), notNil("file", r, "reader")); err != nil {
		return nil, err
	}
	name = baseName(name, r, "file")
	in, err := inspect(r)
	if err != nil {
		return nil, err
	}
	if in != nil && in.size < 0 {
		return nil, sizedNotEmpty("file", in.off, in.size)
	}
	if in != nil && in.size > 0 {
		var env gen.OpenObjectEnvelope
		err := c.uploadChunks(ctx, c.gen.JoelabFilesystemUploadChunkedWithBody, in, func(ci chunkInfo) any {
			return gen.JoelabUploadChunkMultipart{
				Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine, Path: targetPath,
				FileSize: int(in.size), ChunkSize: int(c.chunkSize), ChunkCount: ci.count,
				CurrentChunkIndex: ci.index, CurrentChunkSize: int(ci.size),
			}
		}, &env)
		if err == nil {
			return env.Data, nil
		}
		if !errors.Is(err, ErrUnknownEndpoint) {
			return nil, err
		}
		if err := in.rewind(); err != nil {
			return nil, err
		}
	}
	vals, err := form.Encode(gen.JoelabUploadMultipart{Apikey: c.apiKey, AcceptTAC: c.tac(), Machine: machine, Path: targetPath})
	if err != nil {
		return nil, err
	}
	file := part{field: "file", filename: name, r: r}
	if in != nil {
		file = part{field: "file", filename: name, in: in, off: in.off, size: in.size}
	}
	mb, err := newMultipart(vals, []part{file})
	if err != nil {
		return nil, err
	}
	total := int64(-1)
	if in != nil {
		total = in.size
	}
	pr := c.newProgress(total)
	defer pr.finish()
	var env gen.OpenObjectEnvelope
	rq := request{send: c.gen.JoelabFilesystemUploadWithBody, body: mb.bodyFunc(pr, 0), replayable: mb.replayable()}
	if err := c.callRequest(ctx, rq, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

func (c *Client) callOpen(ctx context.Context, send sendFunc, v any, extra url.Values) (OpenObject, error) {
	rq, err := formRequest(send, v, extra)
	if err != nil {
		return nil, err
	}
	var env gen.OpenObjectEnvelope
	if err := c.callRequest(ctx, rq, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}
