package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// saveFile writes a download into dir: the bytes go to a temporary file in
// dir first, which is renamed to its final name only once fetch succeeded
// and the file was flushed and closed. fetch writes the content to w and
// returns the name the file should get (reduced to a safe base name by the
// caller's choice of name function). On any failure the temporary file is
// removed, so nothing that looks finished is left behind. It returns the
// absolute path of the file.
func saveFile(dir string, fetch func(w io.Writer) (name string, err error)) (string, error) {
	tmp, err := os.CreateTemp(dir, ".jbxapi-*.part")
	if err != nil {
		return "", local(err)
	}
	tmpName := tmp.Name()
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	name, err := fetch(tmp)
	if err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", local(err)
	}
	if err := tmp.Close(); err != nil {
		return "", local(err)
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmpName, final); err != nil {
		_ = os.Remove(tmpName)
		done = true
		return "", local(err)
	}
	done = true
	abs, err := filepath.Abs(final)
	if err != nil {
		return final, nil
	}
	return abs, nil
}

// walkFiles lists the files below root in the order of Python's os.walk
// (the files of a folder, then its sub-folders, each level sorted by
// name); symbolic links to folders are not followed, as os.walk does not.
func walkFiles(root string) ([]string, error) {
	var out []string
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return local(err)
		}
		var dirs []string
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				if fi, err := os.Stat(p); err == nil && fi.IsDir() {
					continue // a link to a folder: listed by os.walk as a folder, not entered
				}
			}
			if isDir {
				dirs = append(dirs, p)
			} else {
				out = append(out, p)
			}
		}
		slices.Sort(dirs)
		for _, d := range dirs {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return out, nil
}

// isDir reports whether p is an existing folder.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// progress returns a transfer progress callback drawing a bar on stderr, or
// nil when stderr is not a terminal or --quiet is set.
func (a *app) progress(label string) func(done, total int64) {
	if a.quiet || !a.terminal {
		return nil
	}
	var mu sync.Mutex
	var bar *progressbar.ProgressBar
	var max int64
	return func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil || total != max {
			if bar != nil {
				_ = bar.Finish()
			}
			max = total
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(a.stderr),
				progressbar.OptionSetDescription(label),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionClearOnFinish(), // the client calls at most every 100 ms
			)
		}
		_ = bar.Set64(done)
		if total >= 0 && done >= total {
			_ = bar.Finish()
			bar = nil
		}
	}
}
