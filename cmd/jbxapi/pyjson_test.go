package main

import (
	"encoding/json"
	"testing"
)

func TestPyJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string // JSON input
		want string
	}{
		{"empty list", `[]`, "[]\n"},
		{"empty object", `{}`, "{}\n"},
		{"null", `null`, "null\n"},
		{"scalars", `[true,false,null,1,-2.50,1e10,"x"]`, "[\n    true,\n    false,\n    null,\n    1,\n    -2.50,\n    1e10,\n    \"x\"\n]\n"},
		{"sorted keys", `{"b":1,"a":{"d":[],"c":{}}}`, "{\n    \"a\": {\n        \"c\": {},\n        \"d\": []\n    },\n    \"b\": 1\n}\n"},
		{"html not escaped", `"<b>&</b>"`, "\"<b>&</b>\"\n"},
		{"ascii escapes", `"a\"b\\c\n\r\t\b\f\u0001\u007f/"`, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u007f/\"\n"},
		{"non-ascii", `"é€"`, "\"\\u00e9\\u20ac\"\n"},
		{"astral as surrogates", `"😀"`, "\"\\ud83d\\ude00\"\n"},
		{"big numbers verbatim", `{"n":123456789012345678901234567890}`, "{\n    \"n\": 123456789012345678901234567890\n}\n"},
		{"unicode keys sorted by code point", `{"é":1,"z":2,"A":3}`, "{\n    \"A\": 3,\n    \"z\": 2,\n    \"\\u00e9\": 1\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pyJSON(json.RawMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPyJSONTyped(t *testing.T) {
	type item struct {
		Name string   `json:"name"`
		List []string `json:"list"`
	}
	var nilSlice []item
	for _, tt := range []struct {
		in   any
		want string
	}{
		{nilSlice, "[]\n"},
		{map[string]any(nil), "{}\n"},
		{[]item{{Name: "a<b"}}, "[\n    {\n        \"list\": null,\n        \"name\": \"a<b\"\n    }\n]\n"},
	} {
		got, err := pyJSON(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%#v: got\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}
