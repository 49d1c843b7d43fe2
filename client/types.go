package client

import (
	"net/url"

	"github.com/jbx-go/jbxapi/gen"
)

// Result types: the models generated from the contract. Every object keeps
// the fields the contract does not know yet in AdditionalProperties.
type (
	Analysis             = gen.Analysis             // an analysis (analysis/info, search results)
	AnalysisRun          = gen.AnalysisRun          // one run of an analysis
	AnalysisListItem     = gen.AnalysisListItem     // an item of analysis/list
	Submission           = gen.Submission           // a submission (submission/info)
	SubmissionListItem   = gen.SubmissionListItem   // an item of submission/list
	SubmitResult         = gen.SubmissionNewResult  // the answer of submission/new
	MostRelevantAnalysis = gen.MostRelevantAnalysis // the summary in a Submission
	ServerInfo           = gen.ServerInfo           // server/info
	System               = gen.System               // an item of server/systems
	NamedItem            = gen.NamedItem            // a LIA country or a language and locale
	AccountInfo          = gen.AccountInfo          // account/info
	QuotaCounter         = gen.QuotaCounter         // a quota in AccountInfo
	JoelabMachine        = gen.JoelabMachine        // joelab/machine/info
	JoelabImage          = gen.JoelabImage          // an item of joelab/images/list
	JoelabNetwork        = gen.JoelabNetwork        // joelab/network/info
	JoelabExitpoint      = gen.JoelabExitpoint      // an item of joelab/internet-exitpoints/list
	OpenObject           = gen.OpenObject           // an answer without a fixed shape
	Status               = gen.Status               // the status of an analysis or submission
	Detection            = gen.Detection            // the verdict of an analysis
)

// Status values.
const (
	StatusSubmitted = gen.Submitted
	StatusRunning   = gen.Running
	StatusFinished  = gen.Finished
)

// Flag is a tri-state boolean parameter: the zero value "" is unset (not
// sent, the server decides), FlagOn sends "1", FlagOff sends "0".
type Flag = gen.Flag

// Flag values.
const (
	FlagOn  = gen.FlagOn
	FlagOff = gen.FlagOff
)

// Bool returns FlagOn for true and FlagOff for false.
func Bool(b bool) Flag {
	if b {
		return FlagOn
	}
	return FlagOff
}

// SubmissionParameters holds every submission parameter of the contract, one
// field each; the zero value of a field means "not sent". It is generated
// from the contract, so a parameter added there reaches this type with
// go generate. Systems and Tags are sent as systems[] and tags[],
// DocumentPassword as office-files-password.
type SubmissionParameters = gen.SubmissionParameters

// SubmitParams are the parameters of a submission: the typed
// [SubmissionParameters] and Extra, fields the struct does not know (yet).
// Extra values are sent after the typed ones and replace a field of the same
// name (apikey excepted); several values for a name are sent as repeated
// fields.
type SubmitParams struct {
	SubmissionParameters
	Extra url.Values `json:"-"`
}
