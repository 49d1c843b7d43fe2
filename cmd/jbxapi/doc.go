// Command jbxapi is a command line for the Joe Sandbox Web API, a drop-in
// replacement for the command line of the official Python client
// (jbxapi.py): the same commands, flags, environment variables, JSON output
// and exit codes, in one static binary.
//
// # Beyond the official command line
//
// The following additions do not change what the official commands print;
// a script written for jbxapi.py keeps working.
//
//   - submit FOLDER --jobs N: the files of a folder (every file below it, in
//     the order of Python's os.walk, each level sorted by name) are submitted
//     N at a time (default 4; --jobs 1 keeps the official order). Each
//     file's result is printed as one whole JSON document as soon as it is
//     done, exactly as the official command line prints it (the submission
//     object, or the error object {"code": N, "message": ...}); a failed
//     file does not stop the others, and its path and message are also
//     written to stderr. A file that cannot be read (a dangling link, a file
//     removed since the listing: exit code 4), is not a regular file (a named
//     pipe, whose open would block, or a device: 4) or is empty (refused by
//     the client before anything is sent: 5) fails the same way. The exit
//     code is that of the first failure (100 + API error code, 3, 4 or 5),
//     0 when every file was submitted.
//   - submit ... --wait, submission wait ID and analysis wait WEBID: wait
//     until the submission or analysis is finished, then print its final
//     info (the JSON of submission info / analysis info). With --download
//     TYPE (repeatable) the resources are downloaded as by analysis
//     download: analysis wait into --dir (default ./WEBID), submission wait
//     and submit --wait into ./WEBID per analysis, or DIR/WEBID with --dir.
//     The saved paths are noted on stderr. --interval sets the pause between
//     polls (default 5s; must be greater than 0), --timeout bounds the wait
//     (default 0: none; not negative).
//   - Progress bars on stderr for uploads and downloads when stderr is a
//     terminal; nothing otherwise, or with --quiet (-q), which also silences
//     the notes on stderr. With submit --jobs N>1 a single bar counts files.
//   - Safe downloads: a download goes to a temporary file
//     (.jbxapi-*.part) in the target folder, renamed to its final name only
//     once complete; an interrupted or failed download leaves no file that
//     looks finished. File names given by the server (or taken from a Joe
//     Lab path) are reduced to a safe base name: no folder part, no "..",
//     no "/" or "\", no control characters, never empty; a download never
//     lands outside the chosen folder. analysis download creates --dir if
//     it is missing.
//   - --output json|table (-o) on the list and info commands: json, the
//     default, is the official output; table is an aligned text table for
//     people.
//   - Shell completion: jbxapi completion bash|zsh|fish|powershell prints a
//     completion script (see jbxapi completion --help).
//   - --analysis-time is checked to be a whole number, like
//     --delete-after-days and --priority.
//
// Exit codes: 0 success; 2 bad usage (message on stderr); 3 connection
// error; 4 local file error; 5 other error; 100+N API error with code N.
package main

const rootLong = `A command line for the Joe Sandbox Web API, compatible with the command
line of the official Python client: same commands, flags, environment
variables (JBX_API_KEY, JBX_API_URL, JBX_ACCEPT_TAC), JSON output and exit
codes. The common flags may stand before or after the command.

Results are printed to stdout as JSON (indented by 4, keys sorted). Exit
codes: 0 success, 2 bad usage, 3 connection error, 4 local file error,
5 other error, 100+N API error with code N (the error object is printed).

Additions: submit --jobs/--wait, submission wait, analysis wait, progress
bars on a terminal (--quiet to silence), safe downloads through a
temporary file, --output table on list and info commands, and shell
completion (jbxapi completion --help).`
