// Package kubejson is the JSON codec of lade's requests to and responses
// from the API server: Marshal writes an object's request body and Decode
// reads a response into unstructured's generic form, both byte-for-byte and
// value-for-value what encoding/json and k8s.io/apimachinery's json produce,
// without reflection or repeated passes (the fuzz tests compare them).
// It imports nothing of lade; pkg/kube is its one user.
package kubejson
