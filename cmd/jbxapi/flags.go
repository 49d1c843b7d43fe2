package main

import (
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// triState is a boolean that may be unset: "" (unset), "1" or "0".
type triState string

// twinFlag is one of the two flags (--X and --no-X) that write the same
// triState; whichever comes last on the command line wins.
type twinFlag struct {
	dst      *triState
	positive bool
}

func (t *twinFlag) String() string {
	switch *t.dst {
	case "1":
		return strconv.FormatBool(t.positive)
	case "0":
		return strconv.FormatBool(!t.positive)
	}
	return ""
}

func (t *twinFlag) Type() string { return "bool" }

func (t *twinFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if b == t.positive {
		*t.dst = "1"
	} else {
		*t.dst = "0"
	}
	return nil
}

// IsBoolFlag lets pflag accept the flag without a value.
func (t *twinFlag) IsBoolFlag() bool { return true }

// negatedName is the official rule for the twin of a boolean flag: --X
// becomes --no-X, and --no-X becomes --X.
func negatedName(name string) string {
	if rest, ok := strings.CutPrefix(name, "no-"); ok {
		return rest
	}
	return "no-" + name
}

// addTwin registers a tri-state boolean under each of names and its negated
// twin under each negated name. Only the first positive name is shown in
// the help; the others and the twins are listed in its text.
func addTwin(fs *pflag.FlagSet, dst *triState, usage string, hidden bool, names ...string) {
	var alts []string
	for i, n := range names {
		if i > 0 {
			alts = append(alts, "--"+n)
		}
	}
	for _, n := range names {
		alts = append(alts, "--"+negatedName(n))
	}
	text := usage
	if len(alts) > 0 {
		text += " (also " + strings.Join(alts, ", ") + ")"
	}
	for i, n := range names {
		for _, name := range []string{n, negatedName(n)} {
			positive := name == n
			fs.Var(&twinFlag{dst: dst, positive: positive}, name, text)
			f := fs.Lookup(name)
			f.NoOptDefVal = "true"
			f.DefValue = ""
			if hidden || !positive || i > 0 {
				f.Hidden = true
			}
		}
	}
}

// metaString is a string flag whose placeholder in the help is metavar.
type metaString struct {
	dst     *string
	metavar string
}

func (m *metaString) String() string     { return *m.dst }
func (m *metaString) Type() string       { return m.metavar }
func (m *metaString) Set(s string) error { *m.dst = s; return nil }

// addString registers a string flag under several names (aliases).
func addString(fs *pflag.FlagSet, dst *string, metavar, usage string, hidden bool, names ...string) {
	for i, n := range names {
		text := usage
		if i == 0 && len(names) > 1 {
			text += " (also --" + strings.Join(names[1:], ", --") + ")"
		}
		fs.Var(&metaString{dst: dst, metavar: metavar}, n, text)
		if hidden || i > 0 {
			fs.Lookup(n).Hidden = true
		}
	}
}

// intValue is an int flag that remembers whether it was given.
type intValue struct {
	v   int
	set bool
}

func (i *intValue) String() string {
	if !i.set {
		return ""
	}
	return strconv.Itoa(i.v)
}
func (i *intValue) Type() string { return "int" }
func (i *intValue) Set(s string) error {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	i.v, i.set = v, true
	return nil
}

func addInt(fs *pflag.FlagSet, dst *intValue, usage string, names ...string) {
	for i, n := range names {
		text := usage
		if i == 0 && len(names) > 1 {
			text += " (also --" + strings.Join(names[1:], ", --") + ")"
		}
		fs.Var(dst, n, text)
		if i > 0 {
			fs.Lookup(n).Hidden = true
		}
	}
}

// paramSep joins NAME and VALUE of a --param pair after preprocessParams.
const paramSep = "\x00"

// preprocessParams rewrites each "--param NAME VALUE" (a flag with two
// values, which pflag cannot parse) into one "--param=NAME\x00VALUE"
// argument. Arguments after "--" are left alone.
func preprocessParams(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			out = append(out, args[i:]...)
			break
		}
		if arg == "--param" {
			if i+2 >= len(args) {
				return nil, usagef("argument --param: expected 2 arguments")
			}
			out = append(out, "--param="+args[i+1]+paramSep+args[i+2])
			i += 2
			continue
		}
		if strings.HasPrefix(arg, "--param=") && !strings.Contains(arg, paramSep) {
			return nil, usagef("argument --param: expected 2 arguments")
		}
		out = append(out, arg)
	}
	return out, nil
}

// paramPairs is the value of --param after preprocessParams.
type paramPairs struct{ pairs [][2]string }

func (p *paramPairs) String() string { return "" }
func (p *paramPairs) Type() string   { return "NAME VALUE" }
func (p *paramPairs) Set(s string) error {
	name, value, ok := strings.Cut(s, paramSep)
	if !ok {
		return usagef("expected 2 arguments: NAME VALUE")
	}
	p.pairs = append(p.pairs, [2]string{name, value})
	return nil
}
