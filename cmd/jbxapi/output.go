package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// outputFormat is the value of --output.
type outputFormat string

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "json|table" }
func (o *outputFormat) Set(s string) error {
	switch s {
	case "json", "table":
		*o = outputFormat(s)
		return nil
	}
	return fmt.Errorf("must be json or table, not %q", s)
}

// addOutputFlag gives a list or info command the --output flag.
func addOutputFlag(cmd *cobra.Command, o *outputFormat) {
	*o = "json"
	cmd.Flags().VarP(o, "output", "o", "output format: json (as the official client prints it) or table")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "table"}, cobra.ShellCompDirectiveNoFileComp))
}

// emit prints a result in the chosen format.
func (a *app) emit(v any, o outputFormat) error {
	if o != "table" {
		a.printJSON(v)
		return nil
	}
	plain, err := toPlain(v)
	if err != nil {
		return err
	}
	var b strings.Builder
	writeTable(&b, plain)
	a.outMu.Lock()
	defer a.outMu.Unlock()
	_, err = fmt.Fprint(a.stdout, b.String())
	return err
}

// columns that come first in a table when present, in this order.
var leadingColumns = []string{"webid", "submission_id", "name", "machine", "status", "detection", "score", "filename", "time"}

// writeTable renders a list of objects as rows with one column per key, an
// object as KEY/VALUE rows, and anything else as a single value.
func writeTable(b *strings.Builder, v any) {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch x := v.(type) {
	case []any:
		keySet := map[string]bool{}
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				for k := range m {
					keySet[k] = true
				}
			}
		}
		if len(keySet) == 0 {
			fmt.Fprintln(tw, "VALUE")
			for _, e := range x {
				fmt.Fprintln(tw, cell(e))
			}
			return
		}
		cols := orderColumns(keySet)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = strings.ToUpper(c)
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		for _, e := range x {
			m, _ := e.(map[string]any)
			row := make([]string, len(cols))
			for i, c := range cols {
				if val, ok := m[c]; ok {
					row[i] = cell(val)
				}
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	case map[string]any:
		keySet := map[string]bool{}
		for k := range x {
			keySet[k] = true
		}
		fmt.Fprintln(tw, "KEY\tVALUE")
		for _, k := range orderColumns(keySet) {
			fmt.Fprintf(tw, "%s\t%s\n", k, cell(x[k]))
		}
	default:
		fmt.Fprintln(tw, cell(v))
	}
}

func orderColumns(keySet map[string]bool) []string {
	var cols []string
	for _, k := range leadingColumns {
		if keySet[k] {
			cols = append(cols, k)
		}
	}
	var rest []string
	for k := range keySet {
		if !slices.Contains(leadingColumns, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(cols, rest...)
}

// cell formats one value for a table cell: scalars as text, lists of
// scalars joined by commas, anything else as compact JSON.
func cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = fmt.Sprint(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				out, _ := marshalNoEscape(x)
				return strings.TrimSpace(string(out))
			}
			parts = append(parts, cell(e))
		}
		s = strings.Join(parts, ",")
	default:
		out, _ := marshalNoEscape(x)
		s = strings.TrimSpace(string(out))
	}
	// keep the table intact
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
