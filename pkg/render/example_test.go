package render_test

import (
	"context"
	"fmt"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/render"
)

// A caller renders a chart (here built in memory; chart.Load reads one from
// a directory or archive) with user values and prints the manifest as
// `lade template` and `helm template` do.
func ExampleChart() {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "hello", Version: "0.1.0"},
		Values:   map[string]any{"greeting": "hello", "replicas": 1},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-greeting
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicas | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
`)}},
	}
	kv, err := common.ParseKubeVersion("1.33")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := render.Chart(context.Background(), ch, map[string]any{"greeting": "hi"}, render.Options{
		ReleaseName:  "demo",
		Namespace:    "default",
		Capabilities: common.DefaultCapabilities(kv),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := res.TemplateText(render.TemplateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(text)
	// Output:
	// ---
	// # Source: hello/templates/cm.yaml
	// apiVersion: v1
	// kind: ConfigMap
	// metadata:
	//   name: demo-greeting
	// data:
	//   greeting: "hi"
	//   replicas: "1"
	//   kube: "v1.33"
}
