package bugzilla

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestWhoAmI(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.URL.Path != "/rest/whoami" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("X-BUGZILLA-API-KEY") != "good-key" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":306,"documentation":"https://bmo.readthedocs.io/en/latest/api/","error":true,"message":"The API key you specified is invalid. Please check that you typed it correctly."}`)
			return
		}
		fmt.Fprint(w, `{"id":1234,"real_name":"Dev One","nick":"dev1","name":"dev1@example.org"}`)
	}))
	c.apiKey = "good-key"
	who, err := c.WhoAmI(context.Background())
	if err != nil || who != "dev1" {
		t.Errorf("WhoAmI = %q, %v", who, err)
	}
	c.apiKey = "bad-key"
	if _, err := c.WhoAmI(context.Background()); err == nil || !strings.Contains(err.Error(), "API key you specified is invalid") || strings.Contains(err.Error(), "bad-key") {
		t.Errorf("bad key: %v", err)
	}
	c.apiKey = ""
	if _, err := c.WhoAmI(context.Background()); err == nil {
		t.Error("no key: no error")
	}
}
