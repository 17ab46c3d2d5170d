package kube

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestUnreachable: a request to an API server that is not there fails with
// UnreachableError naming the server; one that answers with an error does not.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "http://" + l.Addr().String()
	l.Close()
	c, err := New(&rest.Config{Host: host})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Clientset.CoreV1().Secrets("default").List(context.Background(), metav1.ListOptions{})
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Host != host {
		t.Fatalf("closed port: %v, want UnreachableError for %s", err, host)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	c, err = New(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Clientset.CoreV1().Secrets("default").List(context.Background(), metav1.ListOptions{})
	if err == nil || errors.As(err, &ue) {
		t.Fatalf("server answering 403: %v, want an error that is not UnreachableError", err)
	}
}
