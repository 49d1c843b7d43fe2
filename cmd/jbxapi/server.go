package main

import (
	"github.com/spf13/cobra"

	"github.com/jbx-go/jbxapi/client"
)

// simple makes a leaf command without positional arguments that prints the
// result of call.
func (a *app) simple(use, short string, call func(c *client.Client) (any, error)) *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(),
	}
	cmd.RunE = a.wrap(func(cmd *cobra.Command, args []string) error {
		return a.callAndPrint(out, false, call)
	})
	addOutputFlag(cmd, &out)
	return cmd
}

func (a *app) serverCommand() *cobra.Command {
	return group("server", "Query the server",
		a.simple("online", "Tell whether the server is online or in maintenance", func(c *client.Client) (any, error) {
			online, err := c.ServerOnline(a.ctx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"online": online}, nil
		}),
		a.simple("info", "Show information about the server", func(c *client.Client) (any, error) {
			return c.ServerInfo(a.ctx)
		}),
		a.simple("systems", "List the systems analyses can run on", func(c *client.Client) (any, error) {
			return c.ServerSystems(a.ctx)
		}),
		a.simple("lia_countries", "List the countries for localized internet anonymization", func(c *client.Client) (any, error) {
			return c.ServerLIACountries(a.ctx)
		}),
		a.simple("languages_and_locales", "List the languages and locales of Windows analyses", func(c *client.Client) (any, error) {
			return c.ServerLanguagesAndLocales(a.ctx)
		}),
	)
}

func (a *app) accountCommand() *cobra.Command {
	return group("account", "Query the account (Joe Sandbox Cloud Pro)",
		a.simple("info", "Show the account's type and quota", func(c *client.Client) (any, error) {
			return c.AccountInfo(a.ctx)
		}),
	)
}
