package form

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/jbx-go/jbxapi/gen"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

func TestEncode(t *testing.T) {
	run := 0
	type embedded struct {
		A string `json:"a,omitempty"`
	}
	type outer struct {
		embedded
		*gen.SubmissionParameters
		File  openapi_types.File  `json:"file"`
		PFile *openapi_types.File `json:"pfile,omitempty"`
		B     bool                `json:"b"`
		U     uint                `json:"u,omitempty"`
		Nil   *string             `json:"nil"`
		Ptrs  []*string           `json:"ptrs,omitempty"`
		Skip  string              `json:"-"`
		hide  string
	}
	s := "x"
	tests := []struct {
		name string
		in   any
		want url.Values
	}{
		{"required empty sent", gen.WebidForm{Apikey: "K"}, url.Values{"apikey": {"K"}, "webid": {""}}},
		{"run zero sent", &gen.AnalysisDownloadForm{Apikey: "K", Webid: "1", Type: "html", Run: &run},
			url.Values{"apikey": {"K"}, "webid": {"1"}, "type": {"html"}, "run": {"0"}}},
		{"run nil omitted", gen.AnalysisDownloadForm{Apikey: "K", Webid: "1", Type: "html"},
			url.Values{"apikey": {"K"}, "webid": {"1"}, "type": {"html"}}},
		{"params", gen.SubmissionParameters{Systems: []string{"w10", "w7"}, SSLInspection: gen.FlagOn,
			InternetAccess: gen.FlagOff, AnalysisTime: 120, DocumentPassword: "pw"},
			url.Values{"systems[]": {"w10", "w7"}, "ssl-inspection": {"1"}, "internet-access": {"0"},
				"analysis-time": {"120"}, "office-files-password": {"pw"}}},
		{"embedded", outer{embedded: embedded{A: "a"}, SubmissionParameters: &gen.SubmissionParameters{Tags: []string{"t"}},
			B: true, U: 3, Ptrs: []*string{&s}, Skip: "no", hide: "no"},
			url.Values{"a": {"a"}, "tags[]": {"t"}, "b": {"1"}, "u": {"3"}, "ptrs": {"x"}}},
		{"nil pointer", (*gen.WebidForm)(nil), url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(3); err == nil {
		t.Fatal("want error for non-struct")
	}
	type bad struct {
		M map[string]string `json:"m"`
	}
	if _, err := Encode(bad{M: map[string]string{"a": "b"}}); err == nil {
		t.Fatal("want error for map")
	}
	type f struct {
		F float64 `json:"f"`
	}
	if _, err := Encode(f{}); err == nil {
		t.Fatal("want error for float")
	}
	type b2 struct {
		B bool `json:"b"`
		I int8 `json:"i"`
	}
	got, _ := Encode(b2{})
	if got.Get("b") != "0" || got.Get("i") != "0" {
		t.Fatal(got)
	}
}
