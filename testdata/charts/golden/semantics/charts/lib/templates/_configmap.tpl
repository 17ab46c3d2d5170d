{{- define "lib.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
data:
  chart: {{ .top.Chart.Name }}
{{- end -}}
