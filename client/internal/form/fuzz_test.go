package form

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/jbx-go/jbxapi/gen"
)

// FuzzEncodeSubmissionParameters fills gen.SubmissionParameters with fuzzed
// strings, lists, numbers and flags and checks that the encoded form, sent
// and parsed back by url.ParseQuery, holds exactly the values set: every
// non-empty string, flag and non-zero number under its wire name, every list
// element (empty ones included) in order, and nothing else. EncodeInto keeps
// what the values held before.
func FuzzEncodeSubmissionParameters(f *testing.F) {
	f.Add("a comment", "infected", "w10x64\x00w7", "tag1\x00tag2", "1", "0", 120, -3, "de-CH")
	f.Add("", "", "", "", "", "", 0, 0, "")
	f.Add("a&b=c;d", "p%20w+d", "\x00", "&tags[]=x", "yes", "\r\n", -1, 1<<40, "\xff\xfe")
	f.Add("ключ=значение", "€", "a\x00\x00b", "#frag?q", "0", "1", 7, 9, "+ +")
	f.Fuzz(func(t *testing.T, comments, archivePW, systems, tags, flag1, flag2 string, analysisTime, priority int, locale string) {
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "\x00")
		}
		p := gen.SubmissionParameters{
			Comments:          comments,
			ArchivePassword:   archivePW,
			Systems:           split(systems),
			Tags:              split(tags),
			InternetAccess:    gen.Flag(flag1),
			SSLInspection:     gen.Flag(flag2),
			AnalysisTime:      analysisTime,
			Priority:          priority,
			LanguageAndLocale: locale,
		}
		want := url.Values{}
		set := func(k, v string) {
			if v != "" {
				want[k] = []string{v}
			}
		}
		set("comments", comments)
		set("archive-password", archivePW)
		set("internet-access", flag1)
		set("ssl-inspection", flag2)
		set("language-and-locale", locale)
		if analysisTime != 0 {
			want["analysis-time"] = []string{strconv.Itoa(analysisTime)}
		}
		if priority != 0 {
			want["priority"] = []string{strconv.Itoa(priority)}
		}
		if l := split(systems); l != nil {
			want["systems[]"] = l
		}
		if l := split(tags); l != nil {
			want["tags[]"] = l
		}

		got, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := url.ParseQuery(got.Encode())
		if err != nil {
			t.Fatalf("the encoded form does not parse: %v", err)
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("sent %v, want %v", back, want)
		}

		// EncodeInto adds to what is there: the key and the other form's fields stay.
		into := url.Values{"apikey": {"K"}, "accept-tac": {"1"}}
		if err := EncodeInto(into, &p); err != nil {
			t.Fatal(err)
		}
		want.Set("apikey", "K")
		want.Set("accept-tac", "1")
		back, err = url.ParseQuery(into.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("EncodeInto sent %v, want %v", back, want)
		}
	})
}
