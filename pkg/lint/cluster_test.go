package lint

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// apiCases are objects the real API server accepts (reject false) or
// rejects (reject true); lint must report an error (schema or
// api-validation) exactly for the rejected ones.
var apiCases = []struct {
	name   string
	reject bool
	yaml   string
}{
	{"deployment ok", false, deployment("web", selectorAndTemplate("app: web", "app: web", podSpecOK))},
	{"replicas -1", true, deployment("web", "  replicas: -1\n"+selectorAndTemplate("app: web", "app: web", podSpecOK))},
	{"selector mismatch", true, deployment("web", selectorAndTemplate("app: web", "app: api", podSpecOK))},
	{"selector y read as boolean", true, deployment("web", selectorAndTemplate("app: y", "app: y", podSpecOK))},
	{"recreate with rollingUpdate", true, deployment("web", "  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n"+selectorAndTemplate("app: web", "app: web", podSpecOK))},
	{"maxUnavailable 150%", true, deployment("web", "  strategy:\n    rollingUpdate: {maxUnavailable: 150%}\n"+selectorAndTemplate("app: web", "app: web", podSpecOK))},
	{"container name", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - {name: My_App, image: nginx:1.27}\n"))},
	{"duplicate container", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - {name: a, image: nginx:1.27}\n        - {name: a, image: nginx:1.27}\n"))},
	{"missing name and bad quantity", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - image: nginx:1.27\n          resources: {requests: {cpu: lots}}\n"))},
	{"negative memory", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          resources: {limits: {memory: -1Gi}}\n"))},
	{"container port 70000", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          ports: [{containerPort: 70000}]\n"))},
	{"port name", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          ports: [{containerPort: 80, name: http_port}]\n"))},
	{"env name", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          env: [{name: A=B, value: x}]\n"))},
	{"env name relaxed ok", false, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          env: [{name: my.setting-1, value: x}]\n"))},
	{"mount without volume", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          volumeMounts: [{name: data, mountPath: /data}]\n"))},
	{"probe period -1", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          readinessProbe: {tcpSocket: {port: 80}, periodSeconds: -1}\n"))},
	{"probe period 0 ok", false, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 0}\n"))},
	{"probe two handlers", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          readinessProbe: {tcpSocket: {port: 80}, exec: {command: [true]}}\n"))},
	{"liveness successThreshold 2", true, deployment("web", selectorAndTemplate("app: web", "app: web", "      containers:\n        - name: a\n          image: nginx:1.27\n          livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2}\n"))},
	{"label value", true, deployment("web", selectorAndTemplate("app: web", "app: web\n        v: -bad-", podSpecOK))},
	{"unknown field", true, deployment("web", "  replica: 2\n"+selectorAndTemplate("app: web", "app: web", podSpecOK))},
	{"statefulset mismatch", true, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
` + selectorAndTemplate("app: db", "app: database", podSpecOK)},
	{"statefulset claim mount ok", false, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
` + selectorAndTemplate("app: db", "app: db", "      containers:\n        - name: a\n          image: nginx:1.27\n          volumeMounts: [{name: data, mountPath: /data}]\n") + `  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`},
	{"daemonset mismatch", true, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
` + selectorAndTemplate("app: agent", "app: other", podSpecOK)},
	{"job without restartPolicy", true, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n" + podSpecOK},
	{"job ok", false, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n" + podSpecOK},
	{"job manual selector mismatch", true, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {job: a}}\n  template:\n    metadata: {labels: {job: b}}\n    spec:\n      restartPolicy: Never\n" + podSpecOK},
	{"service ok", false, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}, {name: m, port: 9090, targetPort: 9090}]\n"},
	{"service port 70000", true, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 70000}]\n"},
	{"service quoted targetPort", true, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80, targetPort: \"8080\"}]\n"},
	{"service unnamed ports", true, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}, {port: 81}]\n"},
	{"service selector on", true, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: on}\n  ports: [{port: 80}]\n"},
	{"configmap key", true, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a/b: x}\n"},
	{"configmap number", true, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {port: 8080}\n"},
	{"secret not base64", true, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: not base64!}\n"},
	{"hpa max below min", true, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 3\n  maxReplicas: 2\n"},
	{"pdb both set", true, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec:\n  minAvailable: 1\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n"},
	{"ingress relative prefix path", true, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  rules:\n    - http:\n        paths:\n          - {path: api, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n"},
}

// selectorAndTemplate is a workload spec's selector and pod template.
func selectorAndTemplate(sel, podLabels, podSpec string) string {
	return "  selector:\n    matchLabels:\n      " + sel + "\n  template:\n    metadata:\n      labels:\n        " + podLabels + "\n    spec:\n" + podSpec
}

// TestAPIServerAgrees creates every case with a server-side dry run on the
// real API server and checks that lint reports an error exactly for those
// the server rejects.
func TestAPIServerAgrees(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	for _, c := range apiCases {
		t.Run(c.name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(c.yaml), &obj); err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{Object: obj}
			gvk := u.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatal(err)
			}
			_, serverErr := dyn.Resource(m.Resource).Namespace(ns).Create(context.Background(), u,
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
			if (serverErr != nil) != c.reject {
				t.Fatalf("the case is wrong: API server error %v, want rejected=%v", serverErr, c.reject)
			}
			var found []string
			for _, msg := range lintOne(t, writeChart(t, map[string]string{"x.yaml": c.yaml}), Options{}).Messages {
				if msg.Severity == Error && (msg.Rule == RuleSchema || msg.Rule == RuleAPIValidation) {
					found = append(found, msg.String())
				}
			}
			if c.reject && len(found) == 0 {
				t.Errorf("lint reports nothing; the API server says: %v", serverErr)
			}
			if !c.reject && len(found) > 0 {
				t.Errorf("lint reports what the API server accepts:\n%s", strings.Join(found, "\n"))
			}
			if testing.Verbose() {
				t.Logf("server: %v\nlint:\n%s", serverErr, strings.Join(found, "\n"))
			}
		})
	}
}
