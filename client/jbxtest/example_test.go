package jbxtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/jbx-go/jbxapi/client/jbxtest"
)

// A test starts a server (pass t instead of nil to have it closed by
// t.Cleanup), points a client at URL(), and finally checks that the client
// made no contract violation.
func Example() {
	srv := jbxtest.NewServer(nil)
	defer srv.Close()

	form := url.Values{"apikey": {srv.APIKey()}}
	resp, err := http.Post(srv.URL()+"/v2/server/online", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	// An unknown parameter is refused as the real server refuses it, and
	// recorded.
	form.Set("bogus", "1")
	resp, _ = http.Post(srv.URL()+"/v2/server/online", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println(len(srv.Violations()), "violation:", srv.Violations()[0].Reason)
	// Output:
	// 200 {"data":{"online":true}}
	// 400 {"errors":[{"code":3,"message":"Unknown parameter bogus."}]}
	// 1 violation: Unknown parameter bogus.
}
