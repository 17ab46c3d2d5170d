package kube

import (
	"slices"
	"testing"
)

// TestPreviousAppliers: only server-side apply entries (not Update ones,
// not subresources, not the applying manager's own) of the managers to take
// over from are handed over.
func TestPreviousAppliers(t *testing.T) {
	raw := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","managedFields":[
		{"manager":"helm","operation":"Apply","fieldsV1":{}},
		{"manager":"lade","operation":"Apply","fieldsV1":{}},
		{"manager":"helm","operation":"Update","fieldsV1":{}},
		{"manager":"ops","operation":"Apply","subresource":"status"},
		{"manager":"kubectl-edit","operation":"Update"},
		{"manager":"argocd","operation":"Apply"}]}}`)
	got, err := previousAppliers(raw, []string{"lade", "ops", "kubectl-edit", "helm"}, "helm")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"lade"}) {
		t.Fatalf("take over from %v, want [lade]", got)
	}
	if _, err := previousAppliers([]byte("{"), []string{"lade"}, "helm"); err == nil {
		t.Fatal("a response that is not JSON gave no error")
	}
}
