{{- define "funcs.name" -}}
{{ .Chart.Name }}-{{ .Release.Name }}
{{- end -}}

{{- define "funcs.labels" -}}
app: {{ include "funcs.name" . }}
tier: {{ .Values.tier | default "web" }}
{{- end -}}
