package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeChart writes a chart named "c" with the given templates and returns
// its directory.
func writeChart(t *testing.T, templates map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "c")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: c\nversion: 0.1.0\nicon: https://example.com/i.png\n",
		"values.yaml": "replicas: -1\nlabel: y\n",
	}
	for name, body := range templates {
		files[filepath.Join("templates", name)] = body
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// findings lints dir and returns the text form of its schema and
// api-validation messages, one per line.
func findings(t *testing.T, dir string) string {
	t.Helper()
	r := lintOne(t, dir, Options{})
	var lines []string
	for _, m := range r.Messages {
		if m.Rule == RuleSchema || m.Rule == RuleAPIValidation {
			lines = append(lines, m.String())
		}
	}
	return strings.Join(lines, "\n")
}

func wantLines(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing\n  %s\nin\n%s", w, got)
		}
	}
}

// The pod template of a valid Deployment, indented for spec.template.spec.
const podSpecOK = `      containers:
        - name: app
          image: nginx:1.27
`

func deployment(name, spec string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
` + spec
}

func TestEveryErrorOfAnObjectWithItsLine(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: y
    tier: {{ .Values.label }}
  ports:
    - port: "eighty"
      targetPort: 8080
      protocol: TCP
      nodPort: 30000
`,
		"deploy.yaml": deployment("web", `  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - image: nginx:1.27
          resources:
            requests:
              cpu: lots
              memory: 64Mi
            limits:
              memory: -1Gi
`),
	})
	got := findings(t, dir)
	wantLines(t, got,
		`[ERROR] templates/service.yaml:7: Service/web: spec.selector.app: expected a string, got a boolean (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: "y") [schema]`,
		`[ERROR] templates/service.yaml:8: Service/web: spec.selector.tier: expected a string, got a boolean (quote it: "true"; a value from values.yaml needs | quote, and there y/yes/on/off/n/no are booleans too) [schema]`,
		`[ERROR] templates/service.yaml:10: Service/web: spec.ports[0].port: expected an integer, got a string ("eighty") [schema]`,
		`[ERROR] templates/service.yaml:13: Service/web: spec.ports[0].nodPort: unknown field (did you mean "nodePort"?) [schema]`,
		// The bad quantity no longer hides the missing container name.
		`[ERROR] templates/deploy.yaml:18: Deployment/web: spec.template.spec.containers[0].resources.requests.cpu: "lots" is not a quantity (write a number with an optional suffix: 100m, 0.5, 64Mi, 1G) [schema]`,
		`[ERROR] templates/deploy.yaml:15: Deployment/web: spec.template.spec.containers[0].name: required field is missing [schema]`,
		`[ERROR] templates/deploy.yaml:21: Deployment/web: spec.template.spec.containers[0].resources.limits.memory: must be greater than or equal to 0, got -1Gi [api-validation]`,
	)
	// The dropped port is not reported again as missing.
	if strings.Contains(got, "port: required") {
		t.Errorf("type error reported twice:\n%s", got)
	}
	if n := strings.Count(got, "\n") + 1; n != 7 {
		t.Errorf("%d findings, want 7:\n%s", n, got)
	}
	// Every finding names its line.
	for _, l := range strings.Split(got, "\n") {
		if !strings.Contains(l, ".yaml:") {
			t.Errorf("no line: %s", l)
		}
	}
}

func TestYAMLBooleanHints(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  labels:
    enabled: on
    real: true
    version: 1.10
data:
  debug: false
  port: 8080
`,
	})
	got := findings(t, dir)
	wantLines(t, got,
		`templates/cm.yaml:6: ConfigMap/flags: metadata.labels.enabled: expected a string, got a boolean (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: "on") [schema]`,
		`templates/cm.yaml:7: ConfigMap/flags: metadata.labels.real: expected a string, got a boolean (quote it: "true"; a value from values.yaml needs | quote, and there y/yes/on/off/n/no are booleans too) [schema]`,
		`templates/cm.yaml:8: ConfigMap/flags: metadata.labels.version: expected a string, got a number (1.1) (quote it: "1.10") [schema]`,
		`templates/cm.yaml:10: ConfigMap/flags: data.debug: expected a string, got a boolean (quote it: "false"; a value from values.yaml needs | quote, and there y/yes/on/off/n/no are booleans too) [schema]`,
		`templates/cm.yaml:11: ConfigMap/flags: data.port: expected a string, got a number (8080) (quote it: "8080") [schema]`,
	)
}

func TestReplicasAndSelectors(t *testing.T) {
	sts := `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: database
    spec:
` + podSpecOK
	ds := `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchExpressions:
      - {key: tier, operator: In, values: [node]}
  template:
    metadata:
      labels:
        app: agent
    spec:
` + podSpecOK
	job := `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  manualSelector: true
  selector:
    matchLabels:
      job: migrate
  template:
    metadata:
      labels:
        job: other
    spec:
      restartPolicy: Never
` + podSpecOK
	dir := writeChart(t, map[string]string{
		"deploy.yaml": deployment("web", `  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: web
      tier: front
  template:
    metadata:
      labels:
        app: web
    spec:
`+podSpecOK),
		"sts.yaml": sts, "ds.yaml": ds, "job.yaml": job,
	})
	got := findings(t, dir)
	wantLines(t, got,
		`[ERROR] templates/deploy.yaml:6: Deployment/web: spec.replicas: must be greater than or equal to 0, got -1 [api-validation]`,
		`[ERROR] templates/deploy.yaml:13: Deployment/web: spec.template.metadata.labels: selector app=web,tier=front does not match the pod template's labels (app=web)`,
		`[ERROR] templates/sts.yaml:12: StatefulSet/db: spec.template.metadata.labels: selector app=db does not match the pod template's labels (app=database)`,
		`[ERROR] templates/ds.yaml:11: DaemonSet/agent: spec.template.metadata.labels: selector tier in (node) does not match the pod template's labels (app=agent)`,
		`[ERROR] templates/job.yaml:12: Job/migrate: spec.template.metadata.labels: selector job=migrate does not match the pod template's labels (job=other)`,
	)
	if n := strings.Count(got, "\n") + 1; n != 5 {
		t.Errorf("%d findings, want 5:\n%s", n, got)
	}
}

func TestPortsNamesQuantitiesProbes(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"deploy.yaml": deployment("web", `  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: My_App
          image: nginx:1.27
          ports:
            - containerPort: 70000
              name: http_port
          env:
            - name: "A=B"
          volumeMounts:
            - name: data
              mountPath: /data
          resources:
            requests:
              cpu: 100m
              memory: 1.5.5Gi
          livenessProbe:
            periodSeconds: -1
            successThreshold: 2
            httpGet:
              port: 8080
            exec:
              command: [sh]
          args: [--verbose, yes]
        - name: side
          image: busybox:1.36
        - name: side
          image: busybox:1.36
`),
		"svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 0x50
    - name: admin
      port: 70000
      targetPort: admin_port
`,
		"job.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
` + podSpecOK,
	})
	got := findings(t, dir)
	c := "Deployment/web: spec.template.spec.containers"
	wantLines(t, got,
		`templates/deploy.yaml:15: `+c+`[0].name: "My_App" is not a valid name: a lowercase RFC 1123 label must consist of`,
		`templates/deploy.yaml:18: `+c+`[0].ports[0].containerPort: 70000 is not a valid port: must be between 1 and 65535, inclusive [api-validation]`,
		`templates/deploy.yaml:19: `+c+`[0].ports[0].name: "http_port" is not a valid port name:`,
		`templates/deploy.yaml:21: `+c+`[0].env[0].name: "A=B" is not a valid variable name:`,
		`templates/deploy.yaml:23: `+c+`[0].volumeMounts[0].name: volume "data" is not defined in the pod's volumes [api-validation]`,
		`templates/deploy.yaml:28: `+c+`[0].resources.requests.memory: "1.5.5Gi" is not a quantity`,
		`templates/deploy.yaml:29: `+c+`[0].livenessProbe: may set only one of exec, httpGet, tcpSocket or grpc [api-validation]`,
		`templates/deploy.yaml:30: `+c+`[0].livenessProbe.periodSeconds: must be greater than or equal to 0, got -1 [api-validation]`,
		`templates/deploy.yaml:31: `+c+`[0].livenessProbe.successThreshold: must be 1 for liveness and startup probes, got 2 [api-validation]`,
		`templates/deploy.yaml:36: `+c+`[0].args[1]: expected a string, got a boolean (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: "yes") [schema]`,
		`templates/deploy.yaml:39: `+c+`[2].name: duplicate container name "side" [api-validation]`,
		`templates/svc.yaml:9: Service/web: spec.ports[0].name: required when a Service has more than one port [api-validation]`,
		`templates/svc.yaml:12: Service/web: spec.ports[1].port: 70000 is not a valid port: must be between 1 and 65535, inclusive [api-validation]`,
		`templates/svc.yaml:13: Service/web: spec.ports[1].targetPort: "admin_port" is not a valid port name:`,
		`templates/job.yaml:7: Job/once: spec.template.spec.restartPolicy: a Job's pods need restartPolicy "OnFailure" or "Never" (it defaults to Always, which a Job may not use) [api-validation]`,
	)
}

// A chart using the fields the rules check, correctly, reports nothing.
func TestValidObjectsPass(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"all.yaml": deployment("web", `  replicas: 0
  progressDeadlineSeconds: 600
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web
        extra: "yes"
    spec:
      volumes:
        - name: data
          emptyDir: {}
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: app
          image: nginx:1.27
          ports:
            - {containerPort: 8080, name: http}
          env:
            - {name: my.setting-1, value: "on"}
          volumeMounts:
            - {name: data, mountPath: /data}
          resources:
            requests: {cpu: 0.5, memory: 64Mi}
            limits: {cpu: "1", memory: 1Gi}
          readinessProbe:
            tcpSocket: {port: http}
          livenessProbe:
            httpGet: {path: /, port: 8080}
            periodSeconds: 0
`) + `---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: metrics, port: 9090, targetPort: 9090, nodePort: 0}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - {name: job, image: busybox:1.36}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: postgres:17
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: List
metadata:
  name: wrapper
items: []
---
apiVersion: v1
kind: SecretList
metadata:
  name: secrets
items: []
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  password: cGFzcw==
stringData:
  config.yaml: "a: b"
`,
	})
	if got := findings(t, dir); got != "" {
		t.Errorf("valid chart reports:\n%s", got)
	}
}

// Lines are counted across documents, comments, CRLF line ends and a last
// line without a line break.
func TestLinesAcrossDocuments(t *testing.T) {
	body := strings.Join([]string{
		"# a comment document",
		"---",
		"apiVersion: v1",
		"kind: ConfigMap",
		"metadata:",
		"  name: one",
		"data:",
		"  a: 1",
		"---",
		"",
		"---",
		"apiVersion: v1",
		"kind: ConfigMap",
		"metadata:",
		"  name: two",
		"data:",
		"  b: yes",
	}, "\r\n")
	got := findings(t, writeChart(t, map[string]string{"cms.yaml": body}))
	want := `[ERROR] templates/cms.yaml:8: ConfigMap/one: data.a: expected a string, got a number (1) (quote it: "1") [schema]
[ERROR] templates/cms.yaml:17: ConfigMap/two: data.b: expected a string, got a boolean (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: "yes") [schema]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Lines are the template file's: output of include and toYaml above a
// field does not shift it, and a finding inside such output is placed at the
// field that holds it.
func TestLinesAreTemplateLines(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"_helpers.tpl": `{{- define "labels" -}}
app: web
tier: front
bad: -x-
{{- end }}`,
		"deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    {{- include "labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      {{- include "labels" . | nindent 6 }}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: nginx:1.27
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - containerPort: 70000
`,
	})
	if err := os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("replicas: -1\nresources:\n  requests:\n    cpu: 100m\n    memory: lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := findings(t, dir)
	want := `[ERROR] templates/deploy.yaml:5: Deployment/web: metadata.labels: Invalid value: "-x-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?') [api-validation]
[ERROR] templates/deploy.yaml:8: Deployment/web: spec.replicas: must be greater than or equal to 0, got -1 [api-validation]
[ERROR] templates/deploy.yaml:10: Deployment/web: spec.selector.matchLabels: Invalid value: "-x-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?') [api-validation]
[ERROR] templates/deploy.yaml:21: Deployment/web: spec.template.spec.containers[0].resources.requests.memory: "lots" is not a quantity (write a number with an optional suffix: 100m, 0.5, 64Mi, 1G) [schema]
[ERROR] templates/deploy.yaml:25: Deployment/web: spec.template.spec.containers[0].ports[0].containerPort: 70000 is not a valid port: must be between 1 and 65535, inclusive [api-validation]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
