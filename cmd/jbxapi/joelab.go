package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jbx-go/jbxapi/client"
)

func (a *app) joelabCommand() *cobra.Command {
	return group("joelab", "Joe Lab commands",
		group("machine", "Joe Lab machines",
			a.machineCommand("info", "Show a Joe Lab machine", true, func(c *client.Client, m string) (any, error) {
				return c.JoelabMachineInfo(a.ctx, m)
			}),
		),
		group("filesystem", "Files on a Joe Lab machine",
			a.joelabUpload(),
			a.joelabDownload(),
		),
		group("images", "Images of a Joe Lab machine",
			a.machineCommand("list", "List the stored images", true, func(c *client.Client, m string) (any, error) {
				return c.JoelabImagesList(a.ctx, m)
			}),
			a.imageCommand("capture", "Capture an image of the machine", func(c *client.Client, m, image string) (any, error) {
				return c.JoelabImagesCapture(a.ctx, m, image)
			}),
			a.imageCommand("reset", "Reset the machine to an image", func(c *client.Client, m, image string) (any, error) {
				return c.JoelabImagesReset(a.ctx, m, image)
			}),
		),
		group("network", "Network of a Joe Lab machine",
			a.machineCommand("info", "Show the network settings", true, func(c *client.Client, m string) (any, error) {
				return c.JoelabNetworkInfo(a.ctx, m)
			}),
			a.joelabNetworkUpdate(),
		),
		group("pcap", "Traffic capture of a Joe Lab machine",
			a.machineCommand("start", "Start capturing traffic", false, func(c *client.Client, m string) (any, error) {
				return c.JoelabPcapStart(a.ctx, m)
			}),
			a.machineCommand("stop", "Stop capturing traffic", false, func(c *client.Client, m string) (any, error) {
				return c.JoelabPcapStop(a.ctx, m)
			}),
			a.joelabPcapDownload(),
		),
		group("internet-exitpoints", "Internet exit points of Joe Lab",
			a.simple("list", "List the Internet exit points", func(c *client.Client) (any, error) {
				return c.JoelabInternetExitpoints(a.ctx)
			}),
		),
	)
}

func addMachineFlag(cmd *cobra.Command, m *string) {
	cmd.Flags().StringVar(m, "machine", "", "Joe Lab machine `ID` (required)")
	_ = cmd.MarkFlagRequired("machine")
}

func (a *app) machineCommand(use, short string, output bool, call func(c *client.Client, machine string) (any, error)) *cobra.Command {
	var machine string
	var out outputFormat = "json"
	cmd := &cobra.Command{Use: use + " --machine ID", Short: short, Args: exactArgs()}
	addMachineFlag(cmd, &machine)
	if output {
		addOutputFlag(cmd, &out)
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, false, func(c *client.Client) (any, error) {
			return call(c, machine)
		})
	})
	return cmd
}

func (a *app) imageCommand(use, short string, call func(c *client.Client, machine, image string) (any, error)) *cobra.Command {
	var machine, image string
	cmd := &cobra.Command{Use: use + " --machine ID [--image ID]", Short: short, Args: exactArgs()}
	addMachineFlag(cmd, &machine)
	cmd.Flags().StringVar(&image, "image", "", "image `ID` (default: the server chooses)")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint("json", false, func(c *client.Client) (any, error) {
			return call(c, machine, image)
		})
	})
	return cmd
}

func (a *app) joelabUpload() *cobra.Command {
	var machine, path string
	cmd := &cobra.Command{
		Use:   "upload FILE --machine ID [--path PATH]",
		Short: "Upload a file to a Joe Lab machine",
		Args:  exactArgs("file"),
	}
	addMachineFlag(cmd, &machine)
	cmd.Flags().StringVar(&path, "path", "", "`PATH` on the machine (default: the server chooses)")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		f, err := os.Open(args[0])
		if err != nil {
			return local(err)
		}
		defer f.Close()
		c, rec, err := a.newRecordingClient(filepath.Base(args[0]))
		if err != nil {
			return err
		}
		v, err := c.JoelabFilesystemUpload(a.ctx, machine, filepath.Base(args[0]), f, path)
		if err != nil {
			return err
		}
		a.printJSON(recorded(rec, v, false))
		return nil
	})
	return cmd
}

// destination resolves -d DEST as the official client does: a folder gets
// the file name name (made safe); anything else is the file path itself.
func destination(dest, name string) (dir, file string) {
	if isDir(dest) {
		return dest, client.SafeFileName(name, "download")
	}
	return filepath.Dir(dest), filepath.Base(dest)
}

func (a *app) joelabDownload() *cobra.Command {
	var machine, dest string
	cmd := &cobra.Command{
		Use:   "download PATH --machine ID [-d DEST]",
		Short: "Download a file from a Joe Lab machine",
		Long: `Download the file PATH from a Joe Lab machine into DEST (default "."): into
the folder DEST under the file's base name, or as the file DEST. Prints
{"path": absolute path}.`,
		Args: exactArgs("path"),
	}
	addMachineFlag(cmd, &machine)
	cmd.Flags().StringVarP(&dest, "destination", "d", ".", "destination folder or file `PATH`")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		remote := args[0]
		return a.joelabSave(dest, remoteBase(remote), func(c *client.Client, w io.Writer) error {
			_, err := c.JoelabFilesystemDownload(a.ctx, machine, remote, w)
			return err
		})
	})
	return cmd
}

// joelabSave downloads with fetch into -d DEST (see destination; name is
// the file name a folder gets) and prints {"path": absolute path}.
func (a *app) joelabSave(dest, name string, fetch func(c *client.Client, w io.Writer) error) error {
	dir, name := destination(dest, name)
	c, err := a.newClient(name)
	if err != nil {
		return err
	}
	p, err := saveFile(dir, func(w io.Writer) (string, error) { return name, fetch(c, w) })
	if err != nil {
		return err
	}
	a.printJSON(map[string]any{"path": p})
	return nil
}

// remoteBase is the base name of a path on a Joe Lab machine, "\" counting
// as a separator.
func remoteBase(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

func (a *app) joelabPcapDownload() *cobra.Command {
	var machine, dest string
	cmd := &cobra.Command{
		Use:   "download --machine ID [-d DEST]",
		Short: "Download the latest traffic capture",
		Long: `Download the latest traffic capture of a Joe Lab machine into DEST (default
"."): into the folder DEST as MACHINE.pcap, or as the file DEST. Prints
{"path": absolute path}.`,
		Args: exactArgs(),
	}
	addMachineFlag(cmd, &machine)
	cmd.Flags().StringVarP(&dest, "destination", "d", ".", "destination folder or file `PATH`")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.joelabSave(dest, machine+".pcap", func(c *client.Client, w io.Writer) error {
			_, err := c.JoelabPcapDownload(a.ctx, machine, w)
			return err
		})
	})
	return cmd
}

func (a *app) joelabNetworkUpdate() *cobra.Command {
	var machine, exitpoint string
	var internet triState
	cmd := &cobra.Command{
		Use:   "update --machine ID [--enable-internet|--disable-internet] [--internet-exitpoint NAME]",
		Short: "Change the network settings of a Joe Lab machine",
		Args:  exactArgs(),
	}
	addMachineFlag(cmd, &machine)
	fl := cmd.Flags()
	fl.Var(&twinFlag{dst: &internet, positive: true}, "enable-internet", "give the machine Internet access")
	fl.Var(&twinFlag{dst: &internet, positive: false}, "disable-internet", "take the machine's Internet access away")
	for _, n := range []string{"enable-internet", "disable-internet"} {
		fl.Lookup(n).NoOptDefVal = "true"
		fl.Lookup(n).DefValue = ""
	}
	fl.StringVar(&exitpoint, "internet-exitpoint", "", "route the machine's traffic through the exit point `NAME`")
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		settings := client.NetworkSettings{InternetEnabled: client.Flag(internet), InternetExitpoint: exitpoint}
		return a.callAndPrint("json", false, func(c *client.Client) (any, error) {
			return c.JoelabNetworkUpdate(a.ctx, machine, settings)
		})
	})
	return cmd
}
